//go:build !windows

package api

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wgdesk/wgdesk/internal/hints"
)

// Listen opens the service's Unix socket at path. The directory is created
// with mode 0755 and must be one only root (or this process's user) can
// write: Listen refuses a directory that belongs to anyone else or that its
// group or others may write, since whoever can replace entries in it could
// swap the socket for a symlink before the service sets its owner. The
// socket is bound with mode 0600 (under umask 0177, so it is never more
// open, not even for a moment), then given to the group wgdesk with mode
// 0660 when that group exists, through the directory's file descriptor
// and without following symlinks. It is never world-writable. A socket
// left behind by a dead service is removed; a live one makes Listen fail
// with ErrAlreadyRunning.
func Listen(path string) (net.Listener, error) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create socket directory: %w", err)
	}
	dfd, err := openSocketDir(dir)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dfd)
	if err := removeStale(path); err != nil {
		return nil, err
	}
	ln, err := listenUmask(path, 0o177)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	ul := ln.(*net.UnixListener)
	// Close removes the socket file; a listener that lost its file to a
	// newer service must not remove that one's, but Listen refuses to
	// replace a live socket, so this is ours.
	ul.SetUnlinkOnClose(true)
	afterBind(path)
	// Only root can add, remove or rename entries in dir, so the entry
	// named base stays what the check below finds; fchownat does not
	// follow a symlink in any case.
	var st unix.Stat_t
	if err := unix.Fstatat(dfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		ln.Close()
		return nil, fmt.Errorf("check %s after binding: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		ul.SetUnlinkOnClose(false) // not ours any more
		ln.Close()
		return nil, fmt.Errorf("%s was replaced by something that is not a socket right after the service bound it: its directory %s is not the service's own", path, dir)
	}
	sl := &socketListener{Listener: ln}
	gid, err := socketGroupID(Group)
	switch {
	case err != nil:
		sl.restricted = true
		sl.note = fmt.Sprintf("socket %s has mode 0600: the group %s does not exist (%v), so only root can connect; %s", path, Group, err, hints.Current().CreateGroup)
	case unix.Fchownat(dfd, base, -1, int(gid), unix.AT_SYMLINK_NOFOLLOW) != nil:
		sl.restricted = true
		sl.note = fmt.Sprintf("socket %s has mode 0600: cannot give it to group %s, so only root can connect", path, Group)
	default:
		// Fchmodat has no flag that stops it at a symlink on Linux; the
		// entry is the socket checked above and nobody else can swap it.
		if err := unix.Fchmodat(dfd, base, 0o660, 0); err != nil {
			ln.Close()
			return nil, fmt.Errorf("set the mode of %s: %w", path, err)
		}
		sl.note = fmt.Sprintf("socket %s has mode 0660, group %s: root and members of %s may connect", path, Group, Group)
	}
	return sl, nil
}

// socketGroupID looks up the group the socket is given to; a seam, so that
// tests as root need not create the group wgdesk.
var socketGroupID = lookupGroupID

// afterBind is a test seam: it runs between binding the socket and setting
// its owner, where a swap of the file would have to happen.
var afterBind = func(path string) {}

// umaskMu serialises Listen's umask changes: the umask belongs to the whole
// process, and two Listens interleaving could leave the stricter one set
// for good. Other goroutines creating files meanwhile get fewer
// permissions, never more.
var umaskMu sync.Mutex

// listenUmask binds a Unix socket at path with the process umask set to
// mask, so that the socket file is created with mode 0777 &^ mask.
func listenUmask(path string, mask int) (net.Listener, error) {
	umaskMu.Lock()
	defer umaskMu.Unlock()
	old := syscall.Umask(mask)
	defer syscall.Umask(old)
	return net.Listen("unix", path)
}

// openSocketDir opens dir, which must be a directory (not a symlink to one)
// that belongs to root or to this process's user and that neither its
// group nor others may write.
func openSocketDir(dir string) (int, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open socket directory %s: %w", dir, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("check socket directory %s: %w", dir, err)
	}
	if err := socketDirSafe(dir, st.Uid, uint32(st.Mode)); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// socketDirSafe refuses a socket directory owned by someone other than
// root or this process's user, or writable by its group or others.
func socketDirSafe(dir string, uid, mode uint32) error {
	if uid != 0 && int(uid) != os.Geteuid() {
		return fmt.Errorf("socket directory %s belongs to uid %d, not root: its owner could replace the socket; use a directory only root can write, such as %s", dir, uid, filepath.Dir(DefaultSocket))
	}
	if mode&0o022 != 0 {
		return fmt.Errorf("socket directory %s has mode %04o: its group or others could replace the socket; use a directory only root can write, such as %s (mode 0755)", dir, mode&0o7777, filepath.Dir(DefaultSocket))
	}
	return nil
}

// removeStale removes a socket file nobody answers on.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s exists and is not a socket; remove it if it is not needed", path)
	}
	if c, err := net.DialTimeout("unix", path, 2*time.Second); err == nil {
		c.Close()
		return fmt.Errorf("%w on %s", ErrAlreadyRunning, path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove stale socket %s: %w", path, err)
	}
	return nil
}
