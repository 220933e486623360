// Package loginstart turns "start wgdesk when I log in" on and off for
// the user who runs the app. The setting lives in the OS's own place for
// it, not in the app's preferences, so that the desktop's startup
// settings show and change the same thing: an XDG autostart entry on
// Linux (xdg.go), the Run key on Windows (windows.go, with the registry
// behind a seam so that the logic is tested on every OS), a launch agent
// in ~/Library/LaunchAgents on macOS (launchagent.go). A start at login
// passes HiddenFlag: the app then starts in the tray.
//
// It has no cgo and no GUI, so its Windows registry layer is tested
// under Wine (internal/winetest) like the service's code.
package loginstart

import "errors"

// HiddenFlag is the flag a login start passes: the app starts in the
// tray without a window, or shown where no tray host exists.
const HiddenFlag = "--hidden"

// Starter turns starting the app at login on and off for the user who
// runs it. Its methods may touch files or the registry; they are quick.
type Starter interface {
	// Available reports whether this system can start the app at login;
	// when it cannot, why is a sentence for people.
	Available() (ok bool, why string)
	// Enabled reports whether the app starts at login now.
	Enabled() (bool, error)
	// SetEnabled turns it on or off; doing what is already done is no
	// error.
	SetEnabled(on bool) error
}

// Unavailable is the Starter of a system without the feature (yet); its
// text says so in a sentence.
type Unavailable string

func (u Unavailable) Available() (bool, string) { return false, string(u) }
func (Unavailable) Enabled() (bool, error)      { return false, nil }
func (u Unavailable) SetEnabled(bool) error     { return errors.New(string(u)) }
