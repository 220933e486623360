package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// The service, config and platform code must never pull in a GUI toolkit:
// service mode runs as root on machines without a display.
func TestCorePackagesDoNotImportGUI(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./config/...", "./platform/...", "./tunnel/...", "./cli/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "fyne.io/") {
			t.Errorf("a core package depends on %s", dep)
		}
	}
}

// config/ stays pure Go: no packages that change OS network state.
func TestConfigHasNoOSNetworkImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./config/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/vishvananda/", "golang.zx2c4.com/", "github.com/godbus/", "github.com/wgdesk/wgdesk/platform", "github.com/wgdesk/wgdesk/tunnel"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("config depends on %s", dep)
			}
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"frobnicate"}, &out, &errb); code != 2 {
		t.Fatalf("exit code %d, want 2", code)
	}
	if !strings.Contains(errb.String(), `unknown command "frobnicate"`) || !strings.Contains(errb.String(), "Usage:") {
		t.Fatalf("stderr lacks the reason and usage:\n%s", errb.String())
	}
}

func TestGofmt(t *testing.T) {
	out, err := exec.Command("gofmt", "-l", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("gofmt: %v\n%s", err, out)
	}
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Fatalf("files need gofmt:\n%s", s)
	}
}
