//go:build !linux && !windows && !darwin

package platform

import "runtime"

// New returns the fallback for operating systems wgdesk does not support:
// Apply and Recover fail with an error wrapping errors.ErrUnsupported.
func New(opts Options) (Network, error) {
	return unsupported{os: runtime.GOOS}, nil
}
