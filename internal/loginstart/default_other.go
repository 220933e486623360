//go:build !linux && !windows && !darwin

package loginstart

// Default: wgdesk knows no way to start apps at login on this system.
func Default() Starter {
	return Unavailable("Starting at login is not available on this system; add wgdesk to your desktop's startup programs.")
}
