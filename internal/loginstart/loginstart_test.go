package loginstart

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func noLookPath(string) (string, error) { return "", errors.New("not on PATH") }

// The XDG entry: written under $XDG_CONFIG_HOME/autostart with the
// program's path and --hidden, read back as on, turned off by a desktop's
// Hidden=true, and removed.
func TestXDGAutostartEntry(t *testing.T) {
	cfg, home := t.TempDir(), t.TempDir()
	env := map[string]string{"XDG_CONFIG_HOME": cfg}
	x, err := NewXDG(func(k string) string { return env[k] }, home, "/opt/wg desk/wgdesk", noLookPath)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(cfg, "autostart", "wgdesk.desktop")
	if on, err := x.Enabled(); on || err != nil {
		t.Fatalf("before: %v, %v", on, err)
	}
	if err := x.SetEnabled(true); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no entry under XDG_CONFIG_HOME: %v", err)
	}
	golden.Check(t, filepath.Join("testdata", "xdg-wgdesk.desktop"), string(b), *update)
	if fi, _ := os.Stat(path); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o644 {
		t.Errorf("entry mode %v, want 0644", fi.Mode().Perm())
	}
	if on, err := x.Enabled(); !on || err != nil {
		t.Errorf("after on: %v, %v", on, err)
	}
	if err := x.SetEnabled(true); err != nil { // again: no error, same file
		t.Fatal(err)
	}

	// GNOME's startup settings turn an entry off in the file.
	os.WriteFile(path, append(b, []byte("Hidden=true\n")...), 0o644)
	if on, _ := x.Enabled(); on {
		t.Error("an entry with Hidden=true reads as on")
	}
	if err := x.SetEnabled(true); err != nil {
		t.Fatal(err)
	}
	if on, _ := x.Enabled(); !on {
		t.Error("on again does not replace the hidden entry")
	}

	if err := x.SetEnabled(false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("entry left after off: %v", err)
	}
	if err := x.SetEnabled(false); err != nil {
		t.Errorf("off twice: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(cfg, "autostart"))
	if len(entries) != 0 {
		t.Errorf("left in autostart/: %v", entries)
	}
}

// Without XDG_CONFIG_HOME (or with a relative one, which the spec says to
// ignore) the entry goes to ~/.config; the program found on PATH is
// named by its name.
func TestXDGAutostartDefaults(t *testing.T) {
	home := t.TempDir()
	exe := filepath.Join(home, "bin", "wgdesk")
	os.MkdirAll(filepath.Dir(exe), 0o755)
	os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)
	onPath := func(string) (string, error) { return exe, nil }
	for _, xdg := range []string{"", "relative/dir"} {
		x, err := NewXDG(func(string) string { return xdg }, home, exe, onPath)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.SetEnabled(true); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(home, ".config", "autostart", "wgdesk.desktop"))
		if err != nil || !strings.Contains(string(b), "\nExec=wgdesk --hidden\n") {
			t.Errorf("XDG_CONFIG_HOME=%q: %v\n%s", xdg, err, b)
		}
		x.SetEnabled(false)
	}
	if _, err := NewXDG(func(string) string { return "" }, "", exe, onPath); err == nil {
		t.Error("no home and no XDG_CONFIG_HOME: no error")
	}
}

func TestExecQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/bin/wgdesk":       "/usr/bin/wgdesk",
		"/opt/wg desk/wgdesk":   `"/opt/wg desk/wgdesk"`,
		`/home/a"b/$x/wgdesk`:   `"/home/a\"b/\$x/wgdesk"`,
		"/home/100%/wgdesk":     "/home/100%%/wgdesk",
		"/home/with`tick`/prog": "\"/home/with\\`tick\\`/prog\"",
	} {
		if got := execQuote(in); got != want {
			t.Errorf("execQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// fakeRegistry is a registryStore in a map, shown as sorted lines.
type fakeRegistry map[string]string

func (f fakeRegistry) String(r regRoot, k, n string) (string, bool, error) {
	v, ok := f[string(r)+`\`+k+` `+n]
	return strings.TrimPrefix(v, "sz "), ok, nil
}
func (f fakeRegistry) Binary(r regRoot, k, n string) ([]byte, bool, error) {
	v, ok := f[string(r)+`\`+k+` `+n]
	return []byte(strings.TrimPrefix(v, "bin ")), ok, nil
}
func (f fakeRegistry) SetString(r regRoot, k, n, v string) error {
	f[string(r)+`\`+k+` `+n] = "sz " + v
	return nil
}
func (f fakeRegistry) SetBinary(r regRoot, k, n string, v []byte) error {
	f[string(r)+`\`+k+` `+n] = "bin " + string(v)
	return nil
}
func (f fakeRegistry) Delete(r regRoot, k, n string) error {
	delete(f, string(r)+`\`+k+` `+n)
	return nil
}
func (f fakeRegistry) text() string {
	var lines []string
	for k, v := range f {
		if b, ok := strings.CutPrefix(v, "bin "); ok {
			v = "bin " + strings.TrimSpace(strings.Join(strings.Fields(hexBytes([]byte(b))), " "))
		}
		lines = append(lines, k+" = "+v)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func hexBytes(b []byte) string {
	const digits = "0123456789abcdef"
	var s strings.Builder
	for _, c := range b {
		s.WriteByte(digits[c>>4])
		s.WriteByte(digits[c&15])
		s.WriteByte(' ')
	}
	return s.String()
}

// The Windows setting, with and without the MSI's HKLM entry: each step
// and the registry it leaves, compared with a golden file.
func TestWindowsLoginRegistry(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var out strings.Builder
	step := func(w winLogin, reg fakeRegistry, what string, on bool) {
		if err := w.SetEnabled(on); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		got, err := w.Enabled()
		if err != nil || got != on {
			t.Errorf("%s: Enabled %v, %v; want %v", what, got, err, on)
		}
		out.WriteString("# " + what + "\n" + reg.text() + "\n")
	}
	// A copied .exe: the user's Run key.
	reg := fakeRegistry{}
	w := winLogin{reg: reg, exe: `C:\Users\ann\wgdesk\wgdesk.exe`, now: func() time.Time { return at }}
	step(w, reg, "portable: on", true)
	step(w, reg, "portable: off", false)

	// Installed by the MSI: its HKLM entry stays; the user's choice is
	// Explorer's StartupApproved value, as Task Manager writes it.
	reg = fakeRegistry{`HKLM\` + runKey + ` wgdesk`: `sz "C:\Program Files\wgdesk\wgdesk.exe"`}
	w.reg = reg
	if on, _ := w.Enabled(); !on {
		t.Error("the MSI's entry does not read as on")
	}
	step(w, reg, "msi: off", false)
	step(w, reg, "msi: on", true)
	// A user entry from before the MSI was installed goes, so that the
	// app does not start twice.
	reg[`HKCU\`+runKey+` wgdesk`] = `sz "C:\old\wgdesk.exe" --hidden`
	step(w, reg, "msi with an old user entry: on", true)
	golden.Check(t, filepath.Join("testdata", "windows-registry.txt"), out.String(), *update)
}
