//go:build !windows

package api

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/wgdesk/wgdesk/internal/hints"
)

// Listen opens the service's Unix socket at path. The directory is created
// with mode 0755; the socket gets mode 0660 and the group wgdesk when that
// group exists, else mode 0600 so that only root can connect. It is never
// world-writable. A socket left behind by a dead service is removed; a live
// one makes Listen fail with ErrAlreadyRunning.
func Listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create socket directory: %w", err)
	}
	if err := removeStale(path); err != nil {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	ul := ln.(*net.UnixListener)
	// Close removes the socket file; a listener that lost its file to a
	// newer service must not remove that one's, but Listen refuses to
	// replace a live socket, so this is ours.
	ul.SetUnlinkOnClose(true)
	sl := &socketListener{Listener: ln}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("set the mode of %s: %w", path, err)
	}
	gid, err := lookupGroupID(Group)
	switch {
	case err != nil:
		sl.restricted = true
		sl.note = fmt.Sprintf("socket %s has mode 0600: the group %s does not exist (%v), so only root can connect; %s", path, Group, err, hints.Current().CreateGroup)
	case os.Chown(path, 0, int(gid)) != nil:
		sl.restricted = true
		sl.note = fmt.Sprintf("socket %s has mode 0600: cannot give it to group %s, so only root can connect", path, Group)
	default:
		if err := os.Chmod(path, 0o660); err != nil {
			ln.Close()
			return nil, fmt.Errorf("set the mode of %s: %w", path, err)
		}
		sl.note = fmt.Sprintf("socket %s has mode 0660, group %s: root and members of %s may connect", path, Group, Group)
	}
	return sl, nil
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
