//go:build !windows

// The launch agent exists only on macOS; its paths are POSIX paths, which
// these tests write into a temporary home. They run on Linux and macOS;
// Windows (the test binaries run under Wine in make test) has other path
// rules.

package loginstart

import (
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/internal/golden"
)

// The macOS launch agent: written under ~/Library/LaunchAgents with the
// app's program and --hidden, read back as on, and removed.
func TestLaunchAgent(t *testing.T) {
	home := t.TempDir()
	a, err := NewLaunchAgent(home, "/Applications/wgdesk.app/Contents/MacOS/wgdesk")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, "Library", "LaunchAgents", "io.github.wgdesk.login.plist")
	if a.Path() != path {
		t.Errorf("path %s", a.Path())
	}
	if on, err := a.Enabled(); on || err != nil {
		t.Fatalf("before: %v, %v", on, err)
	}
	for range 2 { // on twice: no error, same file
		if err := a.SetEnabled(true); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "launchagent.plist"), string(b), *update)
	if on, err := a.Enabled(); !on || err != nil {
		t.Errorf("after on: %v, %v", on, err)
	}
	for range 2 {
		if err := a.SetEnabled(false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("agent left after off: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 0 {
		t.Errorf("left in LaunchAgents/: %v", entries)
	}
	if _, err := NewLaunchAgent("", "/x"); err == nil {
		t.Error("no home accepted")
	}
	if _, err := NewLaunchAgent(home, "wgdesk"); err == nil {
		t.Error("a relative program accepted")
	}
}

// A program path with what XML escapes stays one argument, read back as it
// was written.
func TestLaunchAgentPlistParses(t *testing.T) {
	exe := `/Applications/R&D <tools> "wg".app/Contents/MacOS/wgdesk`
	a, _ := NewLaunchAgent("/Users/ana", exe)
	var doc struct {
		Dict struct {
			Keys  []string `xml:"key"`
			Array struct {
				Strings []string `xml:"string"`
			} `xml:"array"`
		} `xml:"dict"`
	}
	d := xml.NewDecoder(strings.NewReader(a.plist()))
	d.Strict = true
	if err := d.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Dict.Array.Strings; len(got) != 2 || got[0] != exe || got[1] != HiddenFlag {
		t.Errorf("ProgramArguments %q", got)
	}
	if strings.Join(doc.Dict.Keys, ",") != "Label,ProgramArguments,RunAtLoad,LimitLoadToSessionType,ProcessType" {
		t.Errorf("keys %v", doc.Dict.Keys)
	}
	if !strings.Contains(a.plist(), `<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">`) {
		t.Error("no DOCTYPE")
	}
}
