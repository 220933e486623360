package loginstart

import "os"

// Default is the launch agent of the user who runs the app.
func Default() Starter {
	home, _ := os.UserHomeDir()
	exe, err := os.Executable()
	if err != nil {
		return Unavailable("Starting at login is not available: the app cannot tell where its program is (" + err.Error() + ").")
	}
	a, err := NewLaunchAgent(home, exe)
	if err != nil {
		return Unavailable("Starting at login is not available: " + err.Error() + ".")
	}
	return a
}
