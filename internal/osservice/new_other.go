//go:build !windows && !linux && !darwin

package osservice

import "errors"

// New returns errors.ErrUnsupported: wgdesk registers its service with the
// SCM, systemd and launchd only. internal/hints says what to do instead.
func New() (Manager, error) { return nil, errors.ErrUnsupported }
