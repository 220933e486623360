//go:build cgo

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/tunnel/api"
)

func TestSocketArg(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, api.DefaultSocket},
		{[]string{"--socket", "/tmp/a.sock"}, "/tmp/a.sock"},
		{[]string{"--socket=/tmp/b.sock"}, "/tmp/b.sock"},
		{[]string{"-socket", "/tmp/c.sock"}, "/tmp/c.sock"},
		{[]string{"--socket"}, api.DefaultSocket},
	} {
		if got := socketArg(c.args); got != c.want {
			t.Errorf("socketArg(%q) = %q, want %q", c.args, got, c.want)
		}
	}
}

func TestServiceDownOnAMissingSocket(t *testing.T) {
	if !serviceDown(filepath.Join(t.TempDir(), "none.sock")) {
		t.Fatal("a missing socket does not count as a service that is down")
	}
}

// The cgo build links the GUI toolkit, whose packages read the locale
// before main runs; under C.UTF-8 (Debian's default outside a desktop
// session) no command may print the toolkit's locale complaint.
func TestNoLocaleNoiseUnderCUTF8(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "wgdesk")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, env := range [][]string{{"LANG=C.UTF-8"}, {"LC_ALL=POSIX.UTF-8"}} {
		cmd := exec.Command(bin, "version")
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v wgdesk version: %v\n%s", env, err, stderr.String())
		}
		if strings.Contains(stderr.String(), "locale") {
			t.Errorf("%v wgdesk version printed:\n%s", env, stderr.String())
		}
	}
}
