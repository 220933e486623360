//go:build cgo

package app

import (
	"os"

	"github.com/godbus/dbus/v5"
)

// trayAvailable reports whether a tray host listens on the session bus.
// Fyne 2.7.1's systray dereferences a nil D-Bus connection on quit when
// there is no session bus, and without a StatusNotifierWatcher the icon
// would never show, so the app keeps a plain window then.
func trayAvailable() (bool, string) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return false, "DBUS_SESSION_BUS_ADDRESS is not set"
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return false, "cannot reach the session bus: " + err.Error()
	}
	defer conn.Close()
	var has bool
	err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&has)
	switch {
	case err != nil:
		return false, "cannot ask the session bus for a tray host: " + err.Error()
	case !has:
		return false, "no StatusNotifierWatcher on the session bus"
	}
	return true, ""
}
