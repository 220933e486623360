//go:build cgo

package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/tunnel/api"
	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
)

// The app started as root runs no tunnel service of its own, even where
// none answers (it did until issue #10 item 13, parsing files as root in
// the same process), and warns that it runs as root.
func TestAppAsRootRunsNoService(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("checks what the app does when started as root; run as root")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "wgdesk")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	sock := filepath.Join(dir, "run", "wgdesk.sock")
	cmd := exec.Command(bin, "--socket", sock)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "XDG_RUNTIME_DIR=" + dir,
		"DISPLAY=:" + strconv.Itoa(90+os.Getpid()%800), "LANG=C.UTF-8"} // no X server listens there
	out, _ := cmd.CombinedOutput()
	if _, err := os.Stat(sock); err == nil || strings.Contains(string(out), "in this process") {
		t.Errorf("the app started a tunnel service:\n%s", out)
	}
	if !strings.Contains(string(out), "the app runs as root") {
		t.Errorf("no warning about running as root:\n%s", out)
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

// A display that cannot be opened (no X server there, or one resetting)
// ends the app with a sentence naming it, not the toolkit's panic.
func TestAppReportsADisplayItCannotOpen(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "wgdesk")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// A service answers on the socket, so that the app (run as root in
	// make test) does not start one of its own.
	sock := filepath.Join(dir, "s.sock")
	ln, err := api.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- api.Serve(ctx, ln, apitest.New(), api.Options{
			Access: &api.Access{PeerCred: func(net.Conn) (api.Cred, error) { return api.Cred{}, nil }},
		})
	}()
	t.Cleanup(func() { cancel(); <-served })

	cmd := exec.Command(bin, "--socket", sock)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "XDG_RUNTIME_DIR=" + dir,
		"DISPLAY=:" + strconv.Itoa(90+os.Getpid()%800), "LANG=C.UTF-8"} // no X server listens there
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit %v, want status 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "wgdesk: cannot open the display") || strings.Contains(string(out), "goroutine") {
		t.Errorf("output:\n%s", out)
	}
}
