package hints

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// linuxOnly matches words that make sense only on Linux: its service
// manager, its user and group tools, and paths under /run (macOS has no
// /run; its run directory is /var/run).
var linuxOnly = regexp.MustCompile(`systemctl|usermod|groupadd|(^|[^A-Za-z0-9_.-])/run/`)

// sudo exists on Linux and macOS, never on Windows.
var sudo = regexp.MustCompile(`\bsudo\b`)

// texts lists every text field of h by name.
func texts(h Hints) map[string]string {
	out := map[string]string{}
	v := reflect.ValueOf(h)
	for i := 0; i < v.NumField(); i++ {
		if name := v.Type().Field(i).Name; name != "OS" {
			out[name] = v.Field(i).String()
		}
	}
	return out
}

// checkWords fails t when text, shown at where, holds a word wrong on goos.
func checkWords(t *testing.T, goos, where, text string) {
	t.Helper()
	if goos != "linux" {
		if m := linuxOnly.FindString(text); m != "" {
			t.Errorf("%s: %s shows Linux-only %q: %q", goos, where, strings.TrimSpace(m), text)
		}
	}
	if goos != "linux" && goos != "darwin" && sudo.MatchString(text) {
		t.Errorf("%s: %s says sudo: %q", goos, where, text)
	}
}

func TestNoOSGetsAnotherOSsWords(t *testing.T) {
	for _, goos := range []string{"linux", "darwin", "windows", "freebsd"} {
		h := For(goos)
		if h.OS != goos {
			t.Errorf("For(%q).OS = %q", goos, h.OS)
		}
		for name, text := range texts(h) {
			if text == "" && !(name == "AddUser" && goos == "freebsd") {
				t.Errorf("%s: %s is empty", goos, name)
			}
			checkWords(t, goos, name, text)
		}
	}
}

// The checker itself: each Linux text trips it on Windows, so the test
// above can fail.
func TestCheckerCatchesLinuxTexts(t *testing.T) {
	for name, text := range texts(For("linux")) {
		if name == "Relogin" {
			continue // the one text without a command
		}
		if !linuxOnly.MatchString(text) && !sudo.MatchString(text) {
			t.Errorf("linux %s %q has no Linux-only word; the checker would not notice it on Windows", name, text)
		}
	}
	if linuxOnly.MatchString("/var/run/wgdesk/wgdesk.sock") {
		t.Error("/var/run is macOS's run directory, not Linux's /run")
	}
	if !linuxOnly.MatchString("on /run/wgdesk/wgdesk.sock") || !linuxOnly.MatchString(`"/run/x"`) {
		t.Error("/run/ paths go unnoticed")
	}
}

func TestWindowsTexts(t *testing.T) {
	h := For("windows")
	for name, want := range map[string][]string{
		"Start":         {"sc start wgdesk", "Services app", "wgdesk service install", "Run as administrator"},
		"StartBanner":   {"    sc start wgdesk\n", "Services app", "    wgdesk service install", "Run as administrator"},
		"Access":        {"net localgroup wgdesk %USERNAME% /add", "sign out and in"},
		"AccessBanner":  {"    net localgroup wgdesk %USERNAME% /add\n", "sign out and in"},
		"NeedPrivilege": {"Run as administrator", "`wgdesk service install`", "`wgdesk service`"},
		"CreateGroup":   {"net localgroup wgdesk /add", "Run as administrator"},
		"Install":       {"Run as administrator", "`wgdesk service install`"},
		"AddUser":       {"net localgroup wgdesk %USERNAME% /add"},
		"Relogin":       {"sign out and in again"},
		"NeedAdmin":     {"Run as administrator"},
	} {
		for _, w := range want {
			if !strings.Contains(texts(h)[name], w) {
				t.Errorf("windows %s %q lacks %q", name, texts(h)[name], w)
			}
		}
	}
}

// The macOS texts name the launch daemon that osservice installs
// (launchd_test.go checks the names against osservice's).
func TestDarwinTexts(t *testing.T) {
	h := For("darwin")
	kickstart := "system/io.github.wgdesk.service"
	for name, want := range map[string][]string{
		"Start":         {"`sudo wgdesk service install`", "`sudo launchctl kickstart -k " + kickstart + "`", "/var/log/wgdesk.log"},
		"StartBanner":   {"\n    sudo wgdesk service install\n", "\n    sudo launchctl kickstart -k " + kickstart + "\n", "/var/log/wgdesk.log"},
		"Access":        {"sudo dseditgroup -o edit -a $USER -t user wgdesk"},
		"AccessBanner":  {"    sudo dseditgroup -o edit -a $USER -t user wgdesk\n"},
		"NeedPrivilege": {"`sudo wgdesk service install`", "launchd", "`sudo wgdesk service`"},
		"CreateGroup":   {"dseditgroup -o create", "`sudo wgdesk service install`"},
		"Install":       {"`sudo wgdesk service install`", "launchd"},
	} {
		for _, w := range want {
			if !strings.Contains(texts(h)[name], w) {
				t.Errorf("darwin %s %q lacks %q", name, texts(h)[name], w)
			}
		}
	}
}

// Linux keeps the texts it has always shown.
func TestLinuxTexts(t *testing.T) {
	h := For("linux")
	if h.Start != "start it with `sudo systemctl start wgdesk` or `sudo wgdesk service`" {
		t.Errorf("Start = %q", h.Start)
	}
	if h.Access != "ask an administrator to add you to the wgdesk group (sudo usermod -aG wgdesk $USER) and log in again" {
		t.Errorf("Access = %q", h.Access)
	}
	if h.CreateGroup != "create it with `sudo groupadd --system wgdesk`" {
		t.Errorf("CreateGroup = %q", h.CreateGroup)
	}
}

// One-line texts follow a colon; banners put each command on a line of
// its own, and the user's command is the same in both.
func TestShapes(t *testing.T) {
	for _, goos := range []string{"linux", "darwin", "windows", "freebsd"} {
		h := For(goos)
		for name, text := range texts(h) {
			banner := strings.HasSuffix(name, "Banner")
			if !banner && strings.Contains(text, "\n") {
				t.Errorf("%s: one-line %s has a line break: %q", goos, name, text)
			}
			if !banner && name != "AddUser" && text != "" && strings.ToLower(text[:1]) != text[:1] {
				t.Errorf("%s: one-line %s should start lowercase after a colon: %q", goos, name, text)
			}
			if banner && (strings.ToUpper(text[:1]) != text[:1] || strings.HasPrefix(text, " ")) {
				t.Errorf("%s: %s should start a sentence: %q", goos, name, text)
			}
		}
		if h.AddUser != "" {
			if !strings.Contains(h.Access, h.AddUser) {
				t.Errorf("%s: Access %q lacks the command %q", goos, h.Access, h.AddUser)
			}
			if !strings.Contains(h.AccessBanner, "\n    "+h.AddUser+"\n") {
				t.Errorf("%s: AccessBanner %q lacks the command line %q", goos, h.AccessBanner, h.AddUser)
			}
		}
	}
}

// TestSourcesShowNoLinuxWordsElsewhere supplements the table's tests: no
// string in a non-test source file that builds for Windows or macOS holds
// a word of another OS, so a hint written outside the table is caught.
// The table itself is checked above.

func TestSourcesShowNoLinuxWordsElsewhere(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	ctxs := map[string]build.Context{}
	for _, goos := range []string{"windows", "darwin"} {
		c := build.Default
		c.GOOS, c.GOARCH, c.CgoEnabled = goos, "amd64", true
		ctxs[goos] = c
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "dist" || name == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		var oses []string
		for goos, c := range ctxs {
			if ok, err := c.MatchFile(filepath.Dir(path), name); err == nil && ok {
				oses = append(oses, goos)
			}
		}
		if len(oses) == 0 {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, goos := range oses {
				checkWords(t, goos, rel, s)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked only %d files under %s; the walk is broken", checked, root)
	}
}
