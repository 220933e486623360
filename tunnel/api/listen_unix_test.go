//go:build !windows

package api

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestListenRefusesUnsafeDirectory: a socket directory that its group or
// others may write, or that belongs to another user, is refused before
// anything is bound in it.
func TestListenRefusesUnsafeDirectory(t *testing.T) {
	for _, mode := range []os.FileMode{0o777, 0o775, 0o757, 0o777 | os.ModeSticky} {
		dir := filepath.Join(t.TempDir(), "run")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "wgdesk.sock")
		ln, err := Listen(path)
		if err == nil {
			ln.Close()
			t.Fatalf("Listen in a directory of mode %v succeeded", mode)
		}
		if !strings.Contains(err.Error(), "could replace the socket") || !strings.Contains(err.Error(), "only root can write") {
			t.Errorf("mode %v: error %q does not say why and what to use", mode, err)
		}
		if _, err := os.Lstat(path); err == nil {
			t.Errorf("mode %v: a socket was bound before the refusal", mode)
		}
	}
	// A symlink to a safe directory is refused too: its target could
	// change under the service.
	safe := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(safe, link); err != nil {
		t.Fatal(err)
	}
	if ln, err := Listen(filepath.Join(link, "wgdesk.sock")); err == nil {
		ln.Close()
		t.Fatal("Listen in a directory reached through a symlink succeeded")
	}
	if os.Geteuid() != 0 {
		t.Log("not root: the check of the directory's owner needs a directory of another user")
		return
	}
	dir := filepath.Join(t.TempDir(), "run")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	ln, err := Listen(filepath.Join(dir, "wgdesk.sock"))
	if err == nil {
		ln.Close()
		t.Fatal("root listened in a directory that belongs to uid 65534")
	}
	if !strings.Contains(err.Error(), "belongs to uid 65534, not root") {
		t.Errorf("error %q does not name the owner", err)
	}
}

// TestListenSocketModes: the socket is 0600 from the moment it is bound
// (nobody else can connect before its group is set), then 0660 and the
// service's group.
func TestListenSocketModes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: giving the socket to a group")
	}
	const gid = 65534 // nogroup, which exists on every Debian
	setListenSeams(t, gid, func(path string) {
		if fi, err := os.Lstat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("socket right after bind: %v, %v; want mode 0600", fi.Mode(), err)
		}
	})
	path := filepath.Join(t.TempDir(), "wgdesk.sock")
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode&0o7777 != 0o660 || st.Uid != 0 || st.Gid != gid {
		t.Fatalf("socket mode %04o uid %d gid %d; want 0660, root, gid %d", st.Mode&0o7777, st.Uid, st.Gid, gid)
	}
}

// TestListenDoesNotFollowSwappedSymlink: if the socket is swapped for a
// symlink between bind and the group change, root changes neither the
// owner nor the mode of the link's target, and Listen fails.
func TestListenDoesNotFollowSwappedSymlink(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: only root's chown could change another file's owner")
	}
	target := filepath.Join(t.TempDir(), "precious")
	if err := os.WriteFile(target, []byte("root's"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(target, 0, 0); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "wgdesk.sock")
	setListenSeams(t, 65534, func(path string) {
		if err := os.Remove(path); err != nil {
			t.Error(err)
		}
		if err := os.Symlink(target, path); err != nil {
			t.Error(err)
		}
	})
	ln, err := Listen(path)
	if err == nil {
		ln.Close()
		t.Error("Listen went on with a symlink in place of its socket")
	} else if !strings.Contains(err.Error(), "was replaced") {
		t.Errorf("error %q does not say the socket was replaced", err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(target, &st); err != nil {
		t.Fatal(err)
	}
	if st.Uid != 0 || st.Gid != 0 || st.Mode&0o7777 != 0o600 {
		t.Fatalf("the symlink's target now has mode %04o, uid %d, gid %d; want 0600, root, root", st.Mode&0o7777, st.Uid, st.Gid)
	}
}

// setListenSeams gives the socket to gid and runs hook after each bind,
// until the test ends.
func setListenSeams(t *testing.T, gid uint32, hook func(path string)) {
	t.Helper()
	oldGroup, oldHook := socketGroupID, afterBind
	socketGroupID = func(string) (uint32, error) { return gid, nil }
	afterBind = hook
	t.Cleanup(func() { socketGroupID, afterBind = oldGroup, oldHook })
}

// A socket file left by a service that died is replaced, with a mode that
// keeps others out. Unix only, as the next test: on Windows Listen makes a
// named pipe and no file exists at the path (pipe_windows_test.go).
func TestListenReplacesStaleSocket(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "wgdesk.sock")
	os.MkdirAll(filepath.Dir(path), 0o755)
	old, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	old.(*net.UnixListener).SetUnlinkOnClose(false)
	old.Close()
	ln, err := Listen(path)
	if err != nil {
		t.Fatalf("listen over a stale socket: %v", err)
	}
	defer ln.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode&0o007 != 0 || (mode != 0o600 && mode != 0o660) {
		t.Fatalf("socket mode %v, want 0600 or 0660 and never open to others", mode)
	}
	if sl := ln.(*socketListener); !strings.Contains(sl.note, path) {
		t.Fatalf("access note %q does not name the socket", sl.note)
	}
}

// Listen never removes a file at the socket path that is not a socket.
func TestListenRefusesNonSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wgdesk.sock")
	if err := os.WriteFile(path, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	if ln, err := Listen(path); err == nil {
		ln.Close()
		t.Fatal("Listen replaced a regular file")
	}
	if b, _ := os.ReadFile(path); string(b) != "precious" {
		t.Fatal("Listen touched a regular file")
	}
}
