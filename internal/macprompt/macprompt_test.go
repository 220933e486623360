//go:build !windows

// The administrator prompt exists only on macOS. These tests run on Linux
// and macOS: they rely on POSIX paths, execute bits and sh, which Windows
// (the test binaries run under Wine in make test) does not have.

package macprompt

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/internal/osservice"
)

// awkward are paths a Mac may really have: spaces, both quotes, a
// backslash before letters AppleScript reads as escapes (\n, \t), shell
// syntax that must stay text, and letters beyond ASCII.
var awkward = []string{
	"/Applications/wgdesk.app/Contents/MacOS/wgdesk",
	"/Applications/Net Tools/wg desk.app/Contents/MacOS/wgdesk",
	`/Applications/Ana's "VPN".app/Contents/MacOS/wgdesk`,
	`/Applications/back\slash\n\t.app/wgdesk`,
	"/Applications/$HOME `id` $(id); rm -rf x & | > y.app/wgdesk",
	"/Applications/Ünïcödé 日本.app/wgdesk",
	"/Applications/'''.app/wgdesk",
}

// appleScriptLiteral reads the string literal at the start of s as
// AppleScript does (escapes \\ \" \n \t \r) and returns it and the rest.
func appleScriptLiteral(t *testing.T, s string) (string, string) {
	t.Helper()
	if !strings.HasPrefix(s, `"`) {
		t.Fatalf("no string literal at %q", s)
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:]
		case '\\':
			i++
			if i == len(s) {
				t.Fatalf("literal ends in a backslash: %q", s)
			}
			b.WriteByte(map[byte]byte{'\\': '\\', '"': '"', 'n': '\n', 't': '\t', 'r': '\r'}[s[i]])
		default:
			b.WriteByte(c)
		}
	}
	t.Fatalf("unterminated literal %q", s)
	return "", ""
}

// The script's shell command, read back as AppleScript would and run by
// /bin/sh as `do shell script` would, passes each path as one argument,
// byte for byte.
func TestScriptRoundTrip(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	for _, p := range awkward {
		script, err := Script([]string{"printf", `%s\n`, p, "service", "install"}, `Ana's "prompt" \ here`)
		if err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		rest, ok := strings.CutPrefix(script, "do shell script ")
		if !ok {
			t.Fatalf("script %q", script)
		}
		shell, rest := appleScriptLiteral(t, rest)
		rest, ok = strings.CutPrefix(rest, " with prompt ")
		if !ok {
			t.Fatalf("no prompt in %q", script)
		}
		prompt, rest := appleScriptLiteral(t, rest)
		if prompt != `Ana's "prompt" \ here` {
			t.Errorf("prompt read back as %q", prompt)
		}
		if rest != " with administrator privileges without altering line endings" {
			t.Errorf("script ends %q", rest)
		}
		out, err := exec.Command("sh", "-c", shell).Output()
		if err != nil {
			t.Fatalf("%q: sh -c %q: %v", p, shell, err)
		}
		if want := p + "\nservice\ninstall\n"; string(out) != want {
			t.Errorf("%q: the shell passed\n%q\nwant\n%q", p, out, want)
		}
	}
}

// The exact script for the usual path and for one with a quote, so a
// change shows in review.
func TestScript(t *testing.T) {
	for argv, want := range map[string]string{
		"/Applications/wgdesk.app/Contents/MacOS/wgdesk": `do shell script "'/Applications/wgdesk.app/Contents/MacOS/wgdesk' 'service' 'install'" with prompt "p" with administrator privileges without altering line endings`,
		`/Applications/Ana's "x".app/wgdesk`:             `do shell script "'/Applications/Ana'\\''s \"x\".app/wgdesk' 'service' 'install'" with prompt "p" with administrator privileges without altering line endings`,
	} {
		got, err := Script([]string{argv, "service", "install"}, "p")
		if err != nil || got != want {
			t.Errorf("Script(%q)\n got %s, %v\nwant %s", argv, got, err, want)
		}
	}
	for _, bad := range [][]string{nil, {"/Applications/a\nb.app/wgdesk"}, {"/x\x00y"}} {
		if s, err := Script(bad, "p"); err == nil {
			t.Errorf("Script(%q) = %q, want an error", bad, s)
		}
	}
	if _, err := Script([]string{"/x"}, "two\nlines"); err == nil {
		t.Error("a prompt with a line break was accepted")
	}
	argv, err := Command([]string{"/x"}, "p")
	if err != nil || len(argv) != 3 || argv[0] != "/usr/bin/osascript" || argv[1] != "-e" || !strings.HasPrefix(argv[2], "do shell script ") {
		t.Errorf("Command = %q, %v", argv, err)
	}
}

// What osascript prints when the command fails or the user cancels.
func TestResult(t *testing.T) {
	for _, c := range []struct {
		stderr string
		code   int
		want   error
	}{
		{"", 0, nil},
		{"0:196: execution error: User canceled. (-128)\n", 1, ErrCanceled},
		{"0:283: execution error: wgdesk service install: /Users/ana/Downloads: non-administrators may replace it, and the service would run it with full privileges; install wgdesk.app in /Applications first (or pass --any-path to accept that) (1)\n", 1,
			errors.New("/Users/ana/Downloads: non-administrators may replace it, and the service would run it with full privileges; install wgdesk.app in /Applications first (or pass --any-path to accept that)")},
		{"", 1, errors.New("osascript exit status 1")},
		{"osascript: no such thing\n", 2, errors.New("osascript: no such thing")},
	} {
		got := Result(c.stderr, c.code)
		if fmt.Sprint(got) != fmt.Sprint(c.want) || (c.want == ErrCanceled) != errors.Is(got, ErrCanceled) {
			t.Errorf("Result(%q, %d) = %v, want %v", c.stderr, c.code, got, c.want)
		}
	}
}

func TestInstaller(t *testing.T) {
	var ran [][]string
	state := osservice.NotInstalled
	in := Installer{
		Exe:    "/Applications/Net Tools/wgdesk.app/Contents/MacOS/wgdesk",
		Status: func() (osservice.State, error) { return state, nil },
		Run: func(argv []string) (string, string, int, error) {
			ran = append(ran, argv)
			return "Created the group wgdesk.\nWrote the property list /Library/LaunchDaemons/io.github.wgdesk.service.plist.\n\nThe wgdesk service runs …\nTo let a user …\n", "", 0, nil
		},
	}
	if !in.Offer() {
		t.Error("no offer while the service is not installed")
	}
	var steps []string
	if err := in.Install(func(s string) { steps = append(steps, s) }); err != nil {
		t.Fatal(err)
	}
	if len(ran) != 1 || ran[0][0] != Osascript || !strings.Contains(ran[0][2], `'/Applications/Net Tools/wgdesk.app/Contents/MacOS/wgdesk' 'service' 'install'`) {
		t.Errorf("ran %q", ran)
	}
	if strings.Join(steps, "|") != "Created the group wgdesk.|Wrote the property list /Library/LaunchDaemons/io.github.wgdesk.service.plist." {
		t.Errorf("steps %q", steps)
	}
	for _, st := range []osservice.State{osservice.Stopped, osservice.Running, osservice.StartPending} {
		state = st
		if in.Offer() {
			t.Errorf("offer while %s", st)
		}
	}
	in.Status = func() (osservice.State, error) { return osservice.NotInstalled, errors.New("launchctl: boom") }
	if in.Offer() {
		t.Error("offer though the status is unknown")
	}
	in.Run = func([]string) (string, string, int, error) {
		return "", "0:196: execution error: User canceled. (-128)\n", 1, nil
	}
	if err := in.Install(nil); !errors.Is(err, ErrCanceled) {
		t.Errorf("canceled: %v", err)
	}
}

// writeFile writes a file of mode perm at dir/name and returns its path.
func writeFile(t *testing.T, dir, name string, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), perm); err != nil {
		t.Fatal(err)
	}
	// WriteFile's mode passes through the umask.
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
	return path
}

// The app installs the service through the wgdesk-service beside its own
// executable when the bundle has one, and through itself otherwise.
func TestServiceExe(t *testing.T) {
	// A bundle as build.sh makes it, in a folder with a space.
	bundle := filepath.Join(t.TempDir(), "wg desk.app", "Contents", "MacOS")
	if err := os.MkdirAll(bundle, 0o755); err != nil {
		t.Fatal(err)
	}
	app := writeFile(t, bundle, "wgdesk", 0o755)
	service := writeFile(t, bundle, "wgdesk-service", 0o755)
	if got := ServiceExe(app); got != service {
		t.Errorf("ServiceExe(%q) = %q, want %q", app, got, service)
	}

	// No sibling, a sibling that is not executable, or a folder of that
	// name: the app's own executable.
	bare := t.TempDir()
	exe := writeFile(t, bare, "wgdesk", 0o755)
	if got := ServiceExe(exe); got != exe {
		t.Errorf("without a sibling: ServiceExe(%q) = %q", exe, got)
	}
	writeFile(t, bare, "wgdesk-service", 0o644)
	if got := ServiceExe(exe); got != exe {
		t.Errorf("with a sibling that is not executable: ServiceExe(%q) = %q", exe, got)
	}
	dir := t.TempDir()
	exe = writeFile(t, dir, "wgdesk", 0o755)
	if err := os.Mkdir(filepath.Join(dir, "wgdesk-service"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := ServiceExe(exe); got != exe {
		t.Errorf("with a folder named wgdesk-service: ServiceExe(%q) = %q", exe, got)
	}
}

// New, given the app's executable, installs the sibling wgdesk-service:
// the administrator prompt runs `wgdesk-service service install`, so the
// launchd plist runs the pure-Go binary.
func TestNewInstallsTheServiceBinary(t *testing.T) {
	bundle := filepath.Join(t.TempDir(), "wgdesk.app", "Contents", "MacOS")
	if err := os.MkdirAll(bundle, 0o755); err != nil {
		t.Fatal(err)
	}
	app := writeFile(t, bundle, "wgdesk", 0o755)
	service := writeFile(t, bundle, "wgdesk-service", 0o755)
	in := New(app, func() (osservice.State, error) { return osservice.NotInstalled, nil })
	var ran [][]string
	in.Run = func(argv []string) (string, string, int, error) {
		ran = append(ran, argv)
		return "", "", 0, nil
	}
	if err := in.Install(nil); err != nil {
		t.Fatal(err)
	}
	if len(ran) != 1 || !strings.HasPrefix(ran[0][2], `do shell script "'`+service+`' 'service' 'install'"`) {
		t.Errorf("ran %q, want %s service install", ran, service)
	}
}
