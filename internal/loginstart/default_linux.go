package loginstart

import (
	"os"
	"os/exec"
)

// Default is the XDG autostart entry of the user who runs the app.
func Default() Starter {
	home, _ := os.UserHomeDir()
	exe, err := os.Executable()
	if err != nil {
		return Unavailable("Starting at login is not available: the app cannot tell where its program is (" + err.Error() + ").")
	}
	x, err := NewXDG(os.Getenv, home, exe, exec.LookPath)
	if err != nil {
		return Unavailable("Starting at login is not available: " + err.Error() + ".")
	}
	return x
}
