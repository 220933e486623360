//go:build cgo && !windows

package app

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func claimFirst(t *testing.T, path string) chan struct{} {
	t.Helper()
	onShow, shown := showCounter()
	inst, err := claimInstance(path, onShow)
	if err != nil {
		t.Fatalf("first instance: %v", err)
	}
	t.Cleanup(func() { inst.Close() })
	return shown
}

func TestSecondInstanceShowsFirst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wgdesk-gui.sock")
	shown := claimFirst(t, path)
	for range 2 {
		inst, err := claimInstance(path, func() { t.Error("the second instance was asked to show") })
		if !errors.Is(err, errAlreadyRunning) {
			if inst != nil {
				inst.Close()
			}
			t.Fatalf("second instance: %v, want errAlreadyRunning", err)
		}
		waitShow(t, shown)
	}
}

func TestInstanceIgnoresOtherRequests(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wgdesk-gui.sock")
	shown := claimFirst(t, path)
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte(strings.Repeat("x", 200) + "show\n"))
	buf := make([]byte, 8)
	if n, err := c.Read(buf); err == nil {
		t.Errorf("answered a bogus request: %q", buf[:n])
	}
	c.Close()
	// A proper request after it still works, and is the only show.
	if err := askToShow(path); err != nil {
		t.Fatal(err)
	}
	waitShow(t, shown)
	select {
	case <-shown:
		t.Error("the bogus request showed the window")
	default:
	}
}

func TestStaleInstanceSocketReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wgdesk-gui.sock")
	// A first instance that died left its socket file behind.
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("no stale socket to test with: %v", err)
	}
	shown := claimFirst(t, path)
	if _, err := claimInstance(path, func() {}); !errors.Is(err, errAlreadyRunning) {
		t.Fatalf("launch after the replacement: %v", err)
	}
	waitShow(t, shown)
}

func TestInstanceLeavesOtherFilesAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wgdesk-gui.sock")
	if err := os.WriteFile(path, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if inst, err := claimInstance(path, func() {}); err == nil || !strings.Contains(err.Error(), "not a socket") {
		if inst != nil {
			inst.Close()
		}
		t.Errorf("claim over a regular file: %v", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "mine" {
		t.Errorf("the file was touched: %q, %v", b, err)
	}
}

func TestInstanceSocketPath(t *testing.T) {
	run := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", run)
	if got, err := instanceSocket(); err != nil || got != filepath.Join(run, "wgdesk-gui.sock") {
		t.Errorf("with XDG_RUNTIME_DIR: %q, %v", got, err)
	}

	t.Setenv("XDG_RUNTIME_DIR", "")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	got, err := instanceSocket()
	dir := filepath.Dir(got)
	if err != nil || filepath.Dir(dir) != tmp || !strings.HasPrefix(filepath.Base(dir), "wgdesk-") {
		t.Fatalf("without XDG_RUNTIME_DIR: %q, %v", got, err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("fallback directory: %v, %v", fi.Mode(), err)
	}
	// A directory others may enter is refused.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := instanceSocket(); err == nil || !strings.Contains(err.Error(), "not private") {
		t.Errorf("with a shared directory: %q, %v", got, err)
	}
}

func TestMainShowsRunningInstance(t *testing.T) {
	run := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", run)
	t.Setenv("DISPLAY", ":99") // never opened: the first instance answers
	shown := claimFirst(t, filepath.Join(run, "wgdesk-gui.sock"))
	var out, errb bytes.Buffer
	if code := Main(nil, &out, &errb); code != 0 || !strings.Contains(out.String(), "already running") {
		t.Fatalf("Main = %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	waitShow(t, shown)
}
