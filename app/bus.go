//go:build cgo

package app

import (
	"os"
	"path/filepath"
)

// noBusAutolaunch keeps the process from starting a D-Bus session bus of
// its own. With no session bus address in the environment, the D-Bus
// libraries the toolkit uses (for the theme portal and notifications)
// "autolaunch" one through dbus-launch; outside a desktop session (sudo,
// ssh, Xvfb, a container) that daemon serves nobody, has no tray host or
// notification server on it, and outlives the app: every start left one
// behind. "disabled:" is D-Bus's own address for "no session bus". A bus
// the user's session has at $XDG_RUNTIME_DIR/bus is left to be found. It
// reports whether it disabled the bus.
func noBusAutolaunch(getenv func(string) string, setenv func(string, string) error, exists func(string) bool) bool {
	if getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return false
	}
	if dir := getenv("XDG_RUNTIME_DIR"); dir != "" && exists(filepath.Join(dir, "bus")) {
		return false
	}
	return setenv("DBUS_SESSION_BUS_ADDRESS", "disabled:") == nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
