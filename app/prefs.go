//go:build cgo

package app

import "fyne.io/fyne/v2"

// Keys of what the app remembers between runs in fyne.App.Preferences
// (a file in the user's config directory in production).
const (
	prefWidth    = "window.width"
	prefHeight   = "window.height"
	prefSelected = "selected.tunnel"
)

// defaultWindowSize is the window's size on the first run.
var defaultWindowSize = fyne.NewSize(900, 660)

// minRememberedSize keeps a window that was shrunk to a sliver (or a
// broken preferences file) from coming back unusable.
var minRememberedSize = fyne.NewSize(320, 240)

// savedWindowSize is the window size remembered in p, or the default.
func savedWindowSize(p fyne.Preferences) fyne.Size {
	s := fyne.NewSize(float32(p.Float(prefWidth)), float32(p.Float(prefHeight)))
	if s.Width < minRememberedSize.Width || s.Height < minRememberedSize.Height {
		return defaultWindowSize
	}
	return s
}

// saveWindowState remembers the window's size; it runs when the window is
// closed, hidden to the tray or the app quits.
func (u *UI) saveWindowState() {
	s := u.win.Canvas().Size()
	if s.Width <= 0 || s.Height <= 0 {
		return // not laid out (yet): nothing worth keeping
	}
	p := u.app.Preferences()
	p.SetFloat(prefWidth, float64(s.Width))
	p.SetFloat(prefHeight, float64(s.Height))
}
