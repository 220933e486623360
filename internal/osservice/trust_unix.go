//go:build !windows

package osservice

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// fileOwner is what the trust check needs of a file's metadata.
type fileOwner struct {
	UID, GID uint32
	Mode     fs.FileMode
}

// trustedPath fails with ErrUntrustedPath unless only administrators may
// replace the file at path: it and every folder above it (after realPath
// resolves links) belong to root, others may not write to them (a sticky
// /tmp does not count), and their group may write only where groupMay
// allows that group (nil: no group may). The service manager runs the file
// with full privileges, so whoever may replace it could run code as root.
func trustedPath(path string, realPath func(string) (string, error), stat func(string) (fileOwner, error), groupMay func(gid uint32) bool) error {
	real, err := realPath(path)
	if err != nil {
		return err
	}
	for p := real; ; p = filepath.Dir(p) {
		fo, err := stat(p)
		if err != nil {
			return err
		}
		perm := fo.Mode.Perm()
		groupOK := perm&0o020 == 0 || (groupMay != nil && groupMay(fo.GID))
		if fo.UID != 0 || perm&0o002 != 0 || !groupOK {
			return fmt.Errorf("%s: %w", p, ErrUntrustedPath)
		}
		if p == "/" {
			return nil
		}
	}
}

// statOwner is the real stat of trustedPath.
func statOwner(path string) (fileOwner, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileOwner{}, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileOwner{}, fmt.Errorf("%s: no owner in its file info", path)
	}
	return fileOwner{UID: st.Uid, GID: st.Gid, Mode: fi.Mode()}, nil
}
