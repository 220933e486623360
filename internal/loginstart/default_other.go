//go:build !linux && !windows

package loginstart

// Default: macOS starts apps at login through a login item
// (SMAppService), which wgdesk does not register yet (issue #14).
func Default() Starter {
	return Unavailable("Starting at login is not available on macOS yet; add wgdesk in System Settings > General > Login Items.")
}
