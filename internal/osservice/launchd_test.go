//go:build !windows

package osservice

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// What launchctl prints, from macOS 14: the top of `launchctl print
// system/LABEL` with a nested dictionary whose keys must not count, the
// answer for a label launchd does not know, and bootstrap's failure.
const (
	printRunning     = "system/io.github.wgdesk.service = {\n\tactive count = 1\n\tpath = /Library/LaunchDaemons/io.github.wgdesk.service.plist\n\ttype = LaunchDaemon\n\tstate = running\n\n\tprogram = /Applications/wgdesk.app/Contents/MacOS/wgdesk\n\targuments = {\n\t\t/Applications/wgdesk.app/Contents/MacOS/wgdesk\n\t\tservice\n\t}\n\n\tstdout path = /var/log/wgdesk.log\n\tdefault environment = {\n\t\tstate = not running\n\t\tpid = 7\n\t}\n\n\truns = 1\n\tpid = 4242\n\timmediate reason = speculative\n\tforks = 0\n\texecs = 1\n\tlast exit code = (never exited)\n}\n"
	printSpawning    = "system/io.github.wgdesk.service = {\n\tstate = spawn scheduled\n\tlast exit code = (never exited)\n}\n"
	printStopping    = "system/io.github.wgdesk.service = {\n\tstate = SIGTERMed\n\tpid = 4242\n\tlast exit code = (never exited)\n}\n"
	printFailed      = "system/io.github.wgdesk.service = {\n\tstate = not running\n\truns = 1\n\tlast exit code = 1\n}\n"
	printNotFound    = "Bad request.\nCould not find service \"io.github.wgdesk.service\" in domain for system\n"
	bootstrapFailure = "Bootstrap failed: 5: Input/output error\nTry re-running the command as root for richer errors.\n"
	bootoutNoProcess = "Boot-out failed: 3: No such process\n"
)

// fakeLaunchd records what the manager does and answers from a script:
// `launchctl print` one answer a call (the last one repeats; "" is a
// label launchd does not know), dials likewise, other commands by line.
type fakeLaunchd struct {
	calls  []string
	prints []string
	dials  []bool
	group  bool // the group exists
	out    map[string]string
	codes  map[string]int
	owners map[string]fileOwner
}

func next[T any](s *[]T) T {
	var v T
	if len(*s) > 0 {
		v = (*s)[0]
		if len(*s) > 1 {
			*s = (*s)[1:]
		}
	}
	return v
}

func (f *fakeLaunchd) run(name string, args ...string) (string, int, error) {
	line := strings.Join(append([]string{name}, args...), " ")
	shown := []string{name}
	for _, a := range args {
		if strings.Contains(a, " ") {
			a = fmt.Sprintf("%q", a)
		}
		shown = append(shown, a)
	}
	f.calls = append(f.calls, strings.Join(shown, " "))
	if code := f.codes[line]; code != 0 {
		f.calls[len(f.calls)-1] += fmt.Sprintf(" -> exit %d", code)
	}
	switch {
	case line == "launchctl print system/"+LaunchdLabel:
		p := next(&f.prints)
		if p == "" {
			f.calls[len(f.calls)-1] += " -> not found"
			return printNotFound, launchctlNotFound, nil
		}
		f.calls[len(f.calls)-1] += " -> " + parsePrint(p).State
		return p, 0, nil
	}
	return f.out[line], f.codes[line], nil
}

func (f *fakeLaunchd) manager(root string) launchdManager {
	return launchdManager{
		run: f.run, root: root,
		sleep:    func(d time.Duration) { f.calls = append(f.calls, fmt.Sprintf("sleep %s", d)) },
		realPath: func(p string) (string, error) { return p, nil },
		stat: func(p string) (fileOwner, error) {
			if o, ok := f.owners[p]; ok {
				return o, nil
			}
			return fileOwner{UID: 0, GID: gidWheel, Mode: fs.ModeDir | 0o755}, nil
		},
		groupExists: func(name string) (bool, error) {
			f.calls = append(f.calls, fmt.Sprintf("lookup group %s -> %v", name, map[bool]string{true: "found", false: "unknown"}[f.group]))
			return f.group, nil
		},
		chown: func(p string, uid, gid int) error {
			f.calls = append(f.calls, fmt.Sprintf("chown %d:%d %s", uid, gid, strings.TrimPrefix(p, root)))
			return nil
		},
		dial: func(s string) error {
			ok := next(&f.dials)
			f.calls = append(f.calls, fmt.Sprintf("dial %s -> %v", s, map[bool]string{true: "answers", false: "refused"}[ok]))
			if !ok {
				return errors.New("connection refused")
			}
			return nil
		},
		socket:   "/var/run/wgdesk/wgdesk.sock",
		stateDir: "/Library/Application Support/wgdesk",
	}
}

const appExe = "/Applications/wgdesk.app/Contents/MacOS/wgdesk"

// plistDoc is the property list as encoding/xml reads it back.
type plistDoc struct {
	XMLName xml.Name `xml:"plist"`
	Version string   `xml:"version,attr"`
	Dict    struct {
		Items []plistItem `xml:",any"`
	} `xml:"dict"`
}

type plistItem struct {
	XMLName xml.Name
	Text    string      `xml:",chardata"`
	Items   []plistItem `xml:",any"`
}

// checkPlist checks what plutil would of the XML form: one XML
// declaration, Apple's DOCTYPE, a plist of version 1.0 holding one dict of
// keys each followed by one value, keys unique, values of the plist types
// only. It returns the top-level keys with their values rendered as text.
func checkPlist(s string) (map[string]string, error) {
	const doctype = `<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">`
	if !strings.HasPrefix(s, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+doctype+"\n") {
		return nil, errors.New("no XML declaration and Apple's DOCTYPE")
	}
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	var doc plistDoc
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse the plist back: %w", err)
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if cd, ok := tok.(xml.CharData); err != nil || !ok || strings.TrimSpace(string(cd)) != "" {
			return nil, fmt.Errorf("more after </plist>: %v %v", tok, err)
		}
	}
	if doc.Version != "1.0" {
		return nil, fmt.Errorf("plist version %q", doc.Version)
	}
	var bad error
	var value func(it plistItem) string
	value = func(it plistItem) string {
		switch it.XMLName.Local {
		case "string", "integer":
			return it.Text
		case "true", "false":
			return it.XMLName.Local
		case "array":
			var vs []string
			for _, c := range it.Items {
				vs = append(vs, value(c))
			}
			return "[" + strings.Join(vs, "|") + "]"
		case "dict":
			var vs []string
			for i := 0; i+1 < len(it.Items); i += 2 {
				vs = append(vs, it.Items[i].Text+"="+value(it.Items[i+1]))
			}
			return "{" + strings.Join(vs, ",") + "}"
		}
		bad = fmt.Errorf("%s is no plist type", it.XMLName.Local)
		return ""
	}
	keys := map[string]string{}
	items := doc.Dict.Items
	if len(items)%2 != 0 {
		return nil, fmt.Errorf("a key without a value: %d items", len(items))
	}
	for i := 0; i < len(items); i += 2 {
		if items[i].XMLName.Local != "key" {
			return nil, fmt.Errorf("item %d is a %s, want a key", i, items[i].XMLName.Local)
		}
		k := items[i].Text
		if _, dup := keys[k]; dup {
			return nil, fmt.Errorf("key %s twice", k)
		}
		keys[k] = value(items[i+1])
	}
	return keys, bad
}

// readPlist is checkPlist in a test.
func readPlist(t *testing.T, s string) map[string]string {
	t.Helper()
	keys, err := checkPlist(s)
	if err != nil {
		t.Fatalf("%v:\n%s", err, s)
	}
	return keys
}

func TestLaunchdPlist(t *testing.T) {
	m := (&fakeLaunchd{}).manager("")
	plist, err := m.launchdPlist(NewPlan(appExe))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "launchd-plist", plist)
	keys := readPlist(t, plist)
	want := map[string]string{
		"Label":             LaunchdLabel,
		"ProgramArguments":  "[" + appExe + "|service|--socket|/var/run/wgdesk/wgdesk.sock|--state-dir|/Library/Application Support/wgdesk]",
		"RunAtLoad":         "true",
		"KeepAlive":         "{SuccessfulExit=false}",
		"ThrottleInterval":  "5",
		"ExitTimeOut":       "45",
		"ProcessType":       "Interactive",
		"StandardOutPath":   "/var/log/wgdesk.log",
		"StandardErrorPath": "/var/log/wgdesk.log",
	}
	for k, v := range want {
		if keys[k] != v {
			t.Errorf("%s = %q, want %q", k, keys[k], v)
		}
	}
	if len(keys) != len(want) {
		t.Errorf("keys %v", keys)
	}
	// A path with the characters XML escapes stays one argument.
	odd, err := m.launchdPlist(NewPlan(`/Applications/R&D <x> "wg".app/Contents/MacOS/wgdesk`))
	if err != nil {
		t.Fatal(err)
	}
	if got := readPlist(t, odd)["ProgramArguments"]; !strings.HasPrefix(got, `[/Applications/R&D <x> "wg".app/Contents/MacOS/wgdesk|service|`) {
		t.Errorf("ProgramArguments %q", got)
	}
	p := NewPlan(appExe)
	p.AutoStart = false
	if _, err := m.launchdPlist(p); err == nil {
		t.Error("a daemon that does not start with the system was rendered")
	}
}

// The checker can fail: it notices a missing DOCTYPE, a key without
// a value and a value of no plist type.
func TestReadPlistCatchesBrokenLists(t *testing.T) {
	good, _ := (&fakeLaunchd{}).manager("").launchdPlist(NewPlan(appExe))
	for name, bad := range map[string]string{
		"no doctype":      strings.Replace(good, "<!DOCTYPE", "<!-- ", 1),
		"lone key":        strings.Replace(good, "\t<true/>\n", "", 1),
		"twice":           strings.Replace(good, "<key>ExitTimeOut</key>", "<key>Label</key>", 1),
		"not a plist tag": strings.Replace(good, "<integer>45</integer>", "<int>45</int>", 1),
		"broken xml":      strings.Replace(good, "</array>", "", 1),
	} {
		if _, err := checkPlist(bad); err == nil {
			t.Errorf("%s: checkPlist passed it", name)
		}
	}
}

// launchdTranscript renders calls, progress and the result; a block of up
// to four calls repeated in a row is shown once with a count.
func launchdTranscript(f *fakeLaunchd, said []string, err error) string {
	var b strings.Builder
	b.WriteString("commands:\n")
	c := f.calls
	for i := 0; i < len(c); {
		k, reps := 1, 1
		for n := 1; n <= 4 && i+2*n <= len(c); n++ {
			r := 1
			for i+(r+1)*n <= len(c) && slicesEqual(c[i:i+n], c[i+r*n:i+(r+1)*n]) {
				r++
			}
			if r > 1 && r*n > reps*k {
				k, reps = n, r
			}
		}
		if reps > 1 {
			fmt.Fprintf(&b, "  (×%d) {\n", reps)
			for _, line := range c[i : i+k] {
				fmt.Fprintf(&b, "    %s\n", line)
			}
			b.WriteString("  }\n")
		} else {
			fmt.Fprintf(&b, "  %s\n", c[i])
		}
		i += k * reps
	}
	b.WriteString("said:\n")
	for _, s := range said {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	fmt.Fprintf(&b, "error: %v\n", err)
	return b.String()
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestLaunchdInstall(t *testing.T) {
	for _, tt := range []struct {
		name     string
		f        *fakeLaunchd
		existing bool // the same plist is there
		exe      string
		wantErr  string
		wrote    bool
	}{
		{name: "launchd-install-fresh", wrote: true,
			f: &fakeLaunchd{prints: []string{"", printSpawning, printRunning}, dials: []bool{false, true}}},
		{name: "launchd-install-again-loaded", existing: true, wrote: true,
			f: &fakeLaunchd{group: true, prints: []string{printRunning, printStopping, "", printRunning}, dials: []bool{false, true},
				codes: map[string]int{}}},
		{name: "launchd-install-bootout-race", wrote: true,
			f: &fakeLaunchd{group: true, prints: []string{printRunning, "", printRunning}, dials: []bool{false, true},
				out: map[string]string{"launchctl bootout system/" + LaunchdLabel: bootoutNoProcess}, codes: map[string]int{"launchctl bootout system/" + LaunchdLabel: launchctlNoProcess}}},
		{name: "launchd-install-bootstrap-fails", wantErr: "as root, `launchctl print system/io.github.wgdesk.service`", wrote: true,
			f: &fakeLaunchd{prints: []string{""},
				out: map[string]string{"launchctl bootstrap system " + LaunchdPlist: bootstrapFailure}, codes: map[string]int{"launchctl bootstrap system " + LaunchdPlist: 5}}},
		{name: "launchd-install-exits", wantErr: "exited with code 1", wrote: true,
			f: &fakeLaunchd{group: true, prints: []string{"", printSpawning, printFailed}}},
		{name: "launchd-install-never-listens", wantErr: "running but not listening", wrote: true,
			f: &fakeLaunchd{group: true, prints: []string{"", printRunning}, dials: []bool{false}}},
		{name: "launchd-install-group-fails", wantErr: "dseditgroup -o create wgdesk",
			f: &fakeLaunchd{codes: map[string]int{"dseditgroup -o create -r wgdesk users wgdesk": 64}, out: map[string]string{"dseditgroup -o create -r wgdesk users wgdesk": "Operation not permitted\n"}}},
		{name: "launchd-install-from-downloads", wantErr: "non-administrators may replace it", exe: "/Users/ana/Downloads/wgdesk.app/Contents/MacOS/wgdesk",
			f: &fakeLaunchd{owners: map[string]fileOwner{"/Users/ana/Downloads": {UID: 501, GID: 20, Mode: fs.ModeDir | 0o700}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			exe := tt.exe
			if exe == "" {
				exe = appExe
			}
			m := tt.f.manager(root)
			p := NewPlan(exe)
			if tt.existing {
				plist, _ := m.launchdPlist(p)
				os.MkdirAll(filepath.Join(root, "Library/LaunchDaemons"), 0o755)
				os.WriteFile(filepath.Join(root, LaunchdPlist), []byte(plist), 0o644)
			}
			var said []string
			err := m.Install(p, func(s string) { said = append(said, s) })
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error %v, want one saying %q", err, tt.wantErr)
			}
			golden(t, tt.name, launchdTranscript(tt.f, said, err))
			got, statErr := os.ReadFile(filepath.Join(root, LaunchdPlist))
			if (statErr == nil) != tt.wrote {
				t.Fatalf("plist written: %v", statErr == nil)
			}
			if tt.wrote {
				want, _ := m.launchdPlist(p)
				fi, _ := os.Stat(filepath.Join(root, LaunchdPlist))
				if string(got) != want || fi.Mode().Perm() != 0o644 {
					t.Errorf("plist %v:\n%s", fi.Mode(), got)
				}
				if _, err := os.Stat(filepath.Join(root, LaunchdPlist+".new")); !os.IsNotExist(err) {
					t.Errorf("temporary file left: %v", err)
				}
			}
		})
	}
}

// The failing bootstrap says, in one sentence, where to look.
func TestLaunchdBootstrapFailureSaysWhere(t *testing.T) {
	f := &fakeLaunchd{group: true, prints: []string{""},
		out: map[string]string{"launchctl bootstrap system " + LaunchdPlist: bootstrapFailure}, codes: map[string]int{"launchctl bootstrap system " + LaunchdPlist: 5}}
	err := f.manager(t.TempDir()).Install(NewPlan(appExe), nil)
	want := "launchctl bootstrap system /Library/LaunchDaemons/io.github.wgdesk.service.plist: exit status 5: Bootstrap failed: 5: Input/output error Try re-running the command as root for richer errors. " +
		"(as root, `launchctl print system/io.github.wgdesk.service` and /var/log/wgdesk.log say why)"
	if err == nil || err.Error() != want {
		t.Errorf("error\n %v\nwant\n %s", err, want)
	}
}

func TestLaunchdUninstall(t *testing.T) {
	for _, tt := range []struct {
		name    string
		f       *fakeLaunchd
		plist   bool
		wantErr error
	}{
		{name: "launchd-uninstall", plist: true, f: &fakeLaunchd{prints: []string{printRunning, printStopping, printStopping, ""}, dials: []bool{false}}},
		{name: "launchd-uninstall-not-loaded", plist: true, f: &fakeLaunchd{prints: []string{""}}},
		{name: "launchd-uninstall-not-installed", f: &fakeLaunchd{prints: []string{""}}, wantErr: ErrNotInstalled},
		{name: "launchd-uninstall-hangs", plist: true, f: &fakeLaunchd{prints: []string{printRunning, printStopping}}, wantErr: errors.New("still stopping")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			if tt.plist {
				os.MkdirAll(filepath.Join(root, "Library/LaunchDaemons"), 0o755)
				os.WriteFile(filepath.Join(root, LaunchdPlist), []byte("<plist/>"), 0o644)
			}
			var said []string
			err := tt.f.manager(root).Uninstall(func(s string) { said = append(said, s) })
			switch {
			case tt.wantErr == nil && err != nil, tt.wantErr != nil && err == nil:
				t.Errorf("error %v, want %v", err, tt.wantErr)
			case errors.Is(tt.wantErr, ErrNotInstalled) && !errors.Is(err, ErrNotInstalled):
				t.Errorf("error %v, want ErrNotInstalled", err)
			}
			if tt.name != "launchd-uninstall-hangs" {
				golden(t, tt.name, launchdTranscript(tt.f, said, err))
			}
			_, statErr := os.Stat(filepath.Join(root, LaunchdPlist))
			if kept := statErr == nil; kept != (tt.wantErr != nil && tt.plist) {
				t.Errorf("plist kept: %v", kept)
			}
		})
	}
}

// The stop wait is bounded by StopTimeout, counted in polls.
func TestLaunchdStopWaitIsBounded(t *testing.T) {
	f := &fakeLaunchd{prints: []string{printRunning, printStopping}}
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "Library/LaunchDaemons"), 0o755)
	os.WriteFile(filepath.Join(root, LaunchdPlist), nil, 0o644)
	err := f.manager(root).Uninstall(nil)
	sleeps := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, "sleep") {
			sleeps++
		}
	}
	if err == nil || !strings.Contains(err.Error(), "still stopping after 45s") {
		t.Fatalf("error %v", err)
	}
	if want := int(StopTimeout / pollEvery); sleeps != want {
		t.Errorf("%d polls, want %d", sleeps, want)
	}
}

func TestLaunchdStatus(t *testing.T) {
	for _, tt := range []struct {
		print string
		plist bool
		want  State
	}{
		{"", false, NotInstalled},
		{"", true, Stopped},
		{printRunning, true, Running},
		{printSpawning, true, StartPending},
		{printStopping, true, StopPending},
		{printFailed, true, Stopped},
	} {
		root := t.TempDir()
		if tt.plist {
			os.MkdirAll(filepath.Join(root, "Library/LaunchDaemons"), 0o755)
			os.WriteFile(filepath.Join(root, LaunchdPlist), nil, 0o644)
		}
		f := &fakeLaunchd{prints: []string{tt.print}}
		if got, err := f.manager(root).Status(); got != tt.want || err != nil {
			t.Errorf("%q, plist %v: %s, %v; want %s", tt.print, tt.plist, got, err, tt.want)
		}
	}
	// launchctl failing otherwise is an error, not a state.
	f := &fakeLaunchd{}
	m := f.manager(t.TempDir())
	m.run = func(string, ...string) (string, int, error) { return "Unrecognized target specifier.", 1, nil }
	if _, err := m.Status(); err == nil {
		t.Error("no error from a failing launchctl print")
	}
}

// parsePrint reads only the top level: the nested dictionary's state and
// pid do not count.
func TestParsePrint(t *testing.T) {
	j := parsePrint(printRunning)
	if j != (launchdJob{Loaded: true, State: "running", PID: 4242, LastExit: "(never exited)"}) {
		t.Errorf("%+v", j)
	}
}

// /Applications is root:admin 0775 on macOS: group write by admin or wheel
// is trusted, by any other group or by anyone is not, nor a folder a user
// owns.
func TestLaunchdTrusted(t *testing.T) {
	dir := fs.ModeDir
	for _, tt := range []struct {
		name  string
		owner fileOwner // of /Applications
		ok    bool
	}{
		{"root:admin 0775", fileOwner{0, gidAdmin, dir | 0o775}, true},
		{"root:wheel 0775", fileOwner{0, gidWheel, dir | 0o775}, true},
		{"root:admin 0755", fileOwner{0, gidAdmin, dir | 0o755}, true},
		{"root:staff 0775", fileOwner{0, 20, dir | 0o775}, false},
		{"root:admin 0777", fileOwner{0, gidAdmin, dir | 0o777}, false},
		{"root:admin sticky 1777", fileOwner{0, gidAdmin, dir | fs.ModeSticky | 0o777}, false},
		{"ana:admin 0755", fileOwner{501, gidAdmin, dir | 0o755}, false},
	} {
		f := &fakeLaunchd{owners: map[string]fileOwner{"/Applications": tt.owner}}
		err := f.manager("").trusted(appExe)
		if (err == nil) != tt.ok {
			t.Errorf("%s: %v, want trusted %v", tt.name, err, tt.ok)
		}
		if err != nil && (!errors.Is(err, ErrUntrustedPath) || !strings.HasPrefix(err.Error(), "/Applications:")) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	// The executable itself counts too, and symbolic links are followed.
	f := &fakeLaunchd{owners: map[string]fileOwner{"/opt/wg/wgdesk": {0, 20, 0o775}}}
	m := f.manager("")
	m.realPath = func(string) (string, error) { return "/opt/wg/wgdesk", nil }
	if err := m.trusted("/usr/local/bin/wgdesk"); !errors.Is(err, ErrUntrustedPath) || !strings.HasPrefix(err.Error(), "/opt/wg/wgdesk:") {
		t.Errorf("group-writable link target: %v", err)
	}
}
