//go:build cgo && !linux

package app

// trayAvailable: Windows and macOS always have a tray (notification area,
// menu bar).
func trayAvailable() (bool, string) { return true, "" }
