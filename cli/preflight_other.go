//go:build !windows

package cli

// preflight checks, when the service starts, what tunnels will need from
// the system (see preflight_windows.go). Linux and macOS create TUN
// devices through the kernel and need nothing extra.
func preflight(log func(string, ...any)) {}
