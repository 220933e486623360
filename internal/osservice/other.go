//go:build !windows

package osservice

import (
	"errors"
	"os"
)

// New returns errors.ErrUnsupported: systemd's unit is installed by
// packaging/install.sh and macOS has no launch daemon yet (issue #14).
// internal/hints says what to do instead.
func New() (Manager, error) { return nil, errors.ErrUnsupported }

// Elevated reports whether this process runs as root.
func Elevated() bool { return os.Geteuid() == 0 }
