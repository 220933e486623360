package osservice

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeSystemd records commands and answers them from a script: exit codes
// by command line, and what `systemctl is-active` prints, one answer a
// call, the last one repeating.
type fakeSystemd struct {
	calls  []string
	codes  map[string]int
	active []string
}

func (f *fakeSystemd) run(name string, args ...string) (string, int, error) {
	line := strings.Join(append([]string{name}, args...), " ")
	f.calls = append(f.calls, line)
	if line == "systemctl is-active wgdesk.service" {
		out := "inactive"
		if len(f.active) > 0 {
			out = f.active[0]
			if len(f.active) > 1 {
				f.active = f.active[1:]
			}
		}
		code := 3
		if out == "active" {
			code = 0
		}
		f.calls[len(f.calls)-1] += " -> " + out
		return out + "\n", code, nil
	}
	if code := f.codes[line]; code != 0 {
		return "it failed", code, nil
	}
	return "", 0, nil
}

func (f *fakeSystemd) manager(root string) systemdManager {
	return systemdManager{run: f.run, root: root, sleep: func(d time.Duration) { f.calls = append(f.calls, fmt.Sprintf("sleep %s", d)) },
		rootOnly: func(p string) error {
			if strings.HasPrefix(p, "/tmp/") {
				return fmt.Errorf("/tmp: %w", ErrUntrustedPath)
			}
			return nil
		}}
}

func systemdTranscript(f *fakeSystemd, said []string, err error) string {
	var b strings.Builder
	b.WriteString("commands:\n")
	for _, c := range f.calls {
		fmt.Fprintf(&b, "  %s\n", c)
	}
	b.WriteString("said:\n")
	for _, s := range said {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	fmt.Fprintf(&b, "error: %v\n", err)
	return b.String()
}

func TestSystemdUnit(t *testing.T) {
	unit, err := systemdUnit(NewPlan("/usr/local/bin/wgdesk"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "systemd-unit", unit)
	if strings.Count(unit, "ExecStart=") != 1 || !strings.Contains(unit, "\nExecStart=/usr/local/bin/wgdesk service\n") {
		t.Errorf("unit:\n%s", unit)
	}
	if _, err := systemdUnit(NewPlan("/opt/my tools/wgdesk")); err == nil {
		t.Error("a path with a space went into ExecStart")
	}
}

func TestSystemdInstall(t *testing.T) {
	for _, tt := range []struct {
		name     string
		f        *fakeSystemd
		existing string // the unit already there
		exe      string
		wantErr  bool
	}{
		{name: "systemd-install-fresh", f: &fakeSystemd{active: []string{"inactive", "activating", "active"}}},
		{name: "systemd-install-again-running", f: &fakeSystemd{codes: map[string]int{"groupadd --system wgdesk": groupaddExists}, active: []string{"active"}}, existing: "same"},
		{name: "systemd-install-fails-to-start", f: &fakeSystemd{active: []string{"inactive", "activating", "failed"}}, wantErr: true},
		{name: "systemd-install-groupadd-fails", f: &fakeSystemd{codes: map[string]int{"groupadd --system wgdesk": 10}}, wantErr: true},
		{name: "systemd-install-from-home", f: &fakeSystemd{}, exe: "/home/ana/src/wgdesk/bin/wgdesk", wantErr: true},
		{name: "systemd-install-from-tmp", f: &fakeSystemd{}, exe: "/tmp/wgdesk", wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			exe := tt.exe
			if exe == "" {
				exe = "/usr/local/bin/wgdesk"
			}
			p := NewPlan(exe)
			if tt.existing != "" {
				unit, _ := systemdUnit(p)
				os.MkdirAll(filepath.Join(root, "etc/systemd/system"), 0o755)
				os.WriteFile(filepath.Join(root, unitPath), []byte(unit), 0o644)
			}
			var said []string
			err := tt.f.manager(root).Install(p, func(s string) { said = append(said, s) })
			if (err != nil) != tt.wantErr {
				t.Errorf("error %v, want error: %v", err, tt.wantErr)
			}
			golden(t, tt.name, systemdTranscript(tt.f, said, err))
			_, statErr := os.Stat(filepath.Join(root, unitPath))
			if wrote := statErr == nil; wrote != (tt.name != "systemd-install-groupadd-fails" && tt.name != "systemd-install-from-home" && tt.name != "systemd-install-from-tmp") {
				t.Errorf("unit written: %v", wrote)
			}
		})
	}
}

func TestSystemdUninstall(t *testing.T) {
	root := t.TempDir()
	f := &fakeSystemd{}
	m := f.manager(root)
	if err := m.Uninstall(nil); err != ErrNotInstalled {
		t.Fatalf("nothing installed: %v", err)
	}
	if st, err := m.Status(); st != NotInstalled || err != nil {
		t.Fatalf("status %s, %v", st, err)
	}
	unit, _ := systemdUnit(NewPlan("/usr/bin/wgdesk"))
	os.MkdirAll(filepath.Join(root, "etc/systemd/system"), 0o755)
	os.WriteFile(filepath.Join(root, unitPath), []byte(unit), 0o644)
	f.active = []string{"active"}
	if st, err := m.Status(); st != Running || err != nil {
		t.Fatalf("status %s, %v", st, err)
	}
	f.calls = nil
	var said []string
	err := m.Uninstall(func(s string) { said = append(said, s) })
	golden(t, "systemd-uninstall", systemdTranscript(f, said, err))
	if _, err := os.Stat(filepath.Join(root, unitPath)); !os.IsNotExist(err) {
		t.Errorf("unit left behind: %v", err)
	}
	// A stop that fails keeps the unit, so that nothing is half removed.
	os.WriteFile(filepath.Join(root, unitPath), []byte(unit), 0o644)
	f.codes = map[string]int{"systemctl disable --now wgdesk.service": 1}
	if err := m.Uninstall(nil); err == nil || !strings.Contains(err.Error(), "disable --now") {
		t.Errorf("failed stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, unitPath)); err != nil {
		t.Errorf("unit removed though the service did not stop: %v", err)
	}
}

// The real check: a temporary folder is not root's alone; the shell,
// installed by the system, is.
func TestRootOnly(t *testing.T) {
	f := filepath.Join(t.TempDir(), "wgdesk")
	os.WriteFile(f, nil, 0o755)
	if err := rootOnly(f); !errors.Is(err, ErrUntrustedPath) {
		t.Errorf("%s: %v, want ErrUntrustedPath", f, err)
	}
	if err := rootOnly("/bin/sh"); err != nil {
		t.Errorf("/bin/sh: %v", err)
	}
}
