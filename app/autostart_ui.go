//go:build cgo

package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/wgdesk/wgdesk/internal/loginstart"
)

// Start at login: a check in the Settings dialog writes or removes the
// OS's own login start for the user (internal/loginstart: an XDG
// autostart entry on Linux, the Run key on Windows; not yet on macOS).
// Started that way the app gets --hidden and stays in the tray.

// LoginStarter turns starting the app at login on and off
// (Options.Login).
type LoginStarter = loginstart.Starter

// startAtLoginLabel is the check in the Settings dialog.
const startAtLoginLabel = "Start wgdesk when I log in"

// startAtLoginNote says under the check what it does where it is
// available.
const startAtLoginNote = "wgdesk then starts in the tray without a window (or with it, when the desktop has no tray). Tunnels marked to connect when the computer starts do not need it: the service brings them up."

// settingsDialog is the open Settings dialog.
type settingsDialog struct {
	d       dialog.Dialog
	atLogin *widget.Check
	note    *widget.Label
}

// showSettings opens the Settings dialog: start at login, where
// Options.Login can do it; disabled with the reason where it cannot.
func (u *UI) showSettings() {
	s := &settingsDialog{note: widget.NewLabel("")}
	s.note.Wrapping = fyne.TextWrapWord
	login := u.opts.Login
	if login == nil {
		login = loginstart.Unavailable("Starting at login is not available in this build.")
	}
	s.atLogin = widget.NewCheck(startAtLoginLabel, nil)
	ok, why := login.Available()
	on, err := false, error(nil)
	if ok {
		on, err = login.Enabled()
	}
	s.atLogin.SetChecked(on)
	switch {
	case !ok:
		s.atLogin.Disable()
		s.note.SetText(why)
	case err != nil:
		u.opts.Logf("start at login: %v", err)
		s.note.SetText("Could not tell whether wgdesk starts at login: " + humanText(err))
	default:
		s.note.SetText(startAtLoginNote)
	}
	s.atLogin.OnChanged = func(want bool) {
		if err := login.SetEnabled(want); err != nil {
			u.opts.Logf("start at login: %v", err)
			s.note.SetText("Could not change it: " + humanText(err))
		} else {
			s.note.SetText(startAtLoginNote)
		}
		// The check shows what is, not what was asked.
		now, _ := login.Enabled()
		if now != s.atLogin.Checked {
			s.atLogin.SetChecked(now)
		}
	}
	s.d = dialog.NewCustom("Settings", "Close", container.NewVBox(s.atLogin, s.note), u.win)
	s.d.Resize(fyne.NewSize(460, 0))
	u.lastSettings = s
	s.d.Show()
}

// ShowAtLaunch shows the window unless the app was started hidden (at
// login) and a tray holds it; it reports whether it showed it. Without a
// tray a hidden start would leave nothing to click, so it shows.
func (u *UI) ShowAtLaunch(hidden bool) bool {
	if hidden && u.desk != nil {
		return false
	}
	u.win.Show()
	return true
}
