//go:build !windows && !linux

package osservice

import "errors"

// New returns errors.ErrUnsupported: macOS has no launch daemon yet (issue
// #14). internal/hints says what to do instead.
func New() (Manager, error) { return nil, errors.ErrUnsupported }
