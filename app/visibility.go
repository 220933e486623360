//go:build cgo

package app

import (
	"time"

	"fyne.io/systray"
)

// The app spends most of its life hidden in the tray, where nothing it
// draws can be seen, and the service sends figures every second. So:
//
//   - while the window is hidden to the tray, events only update the model
//     and the tray (its icon and menu change with the tunnels' states);
//     no widget of the window is refreshed and no timer runs for it. The
//     window is drawn again, once, when it is shown;
//   - while it is shown, a change of state (a tunnel goes up or down, the
//     list changes) is drawn at once, but the live figures of the detail
//     pane (counters, "12 s ago", the traffic graph) are drawn at most once
//     per Options.Refresh: stats events in between only update the model,
//     and one timer draws their latest figures when the period is over.
//     While the selected tunnel is active the same timer keeps "12 s ago"
//     moving when no figures come.
//
// Every Refresh that reaches a canvas marks the window dirty, and Fyne's
// GL driver then paints the whole window again on its next frame (fyne
// v2.7.1 internal/driver/glfw/loop.go drawSingleFrame), so a label that
// changes costs a repaint of everything: on Xvfb's software OpenGL
// (llvmpipe) most of the shown app's idle CPU was that repaint, once a
// second, for "12 s ago" and the traffic graph scrolling by a pixel or
// two. So what only drifts with the clock, with no new figure behind it,
// is drawn every driftStep; when a figure changes (a counter, the state),
// the window is painted anyway and the drifting parts are drawn with it.

// driftStep is how often "12 s ago" and the traffic graphs move on their
// own: five times less often than the figures may change.
const driftStep = 5 * time.Second

// driftDue reports whether the drifting parts of the pane are drawn in
// this fill: with a change that repaints the window anyway, when
// driftStep has passed, or always when timed redraws are off.
func (u *UI) driftDue(changed bool) bool {
	return changed || u.opts.Refresh <= 0 || u.pane.driftAt.IsZero() ||
		!u.lastFill.Before(u.pane.driftAt.Add(driftStep))
}

// afterFunc runs f on its own goroutine once d has passed and returns a
// function that cancels it, as time.AfterFunc and (*Timer).Stop do.
type afterFunc func(d time.Duration, f func()) (stop func() bool)

func timeAfterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

// redrawState is what the UI knows about its window's redraws.
type redrawState struct {
	inTray bool // the window is hidden to the tray (or never shown, started --hidden)
	// figuresOnly is set while a stats event is drawn: its figures may
	// wait for the next timed fill.
	figuresOnly bool
	stop        func() bool // cancels the pending timed fill; nil when none
	gen         int         // identifies the pending timed fill
}

// hideToTray hides the window to the tray (its close button, with a tray):
// from now on nothing in it is redrawn.
func (u *UI) hideToTray() {
	u.saveWindowState()
	u.win.Hide()
	u.redraw.inTray = true
	u.cancelTimedFill()
}

// showWindow shows the window, first bringing it up to date when it comes
// back from the tray: the model moved on, and so did the clock of
// "12 s ago", while nothing was drawn.
func (u *UI) showWindow() {
	if u.redraw.inTray {
		u.redraw.inTray = false
		u.listKey = "" // redraw the list from the model
		u.renderWindow()
	}
	u.win.Show()
}

// trackTrayTaps makes a click on the tray icon show the window through
// showWindow. Fyne's SetSystemTrayWindow shows it directly (fyne v2.7.1
// internal/driver/glfw/driver_desktop.go: systray.SetOnTapped(glw.Show)),
// which would bypass the redraw of a window that was hidden; this replaces
// that handler and must run after it. systray calls it on its own
// goroutine.
func (u *UI) trackTrayTaps() {
	systray.SetOnTapped(func() { u.opts.Do(u.Raise) })
}

// fillDue reports whether the live figures may be drawn now.
func (u *UI) fillDue() bool {
	return u.opts.Refresh <= 0 || !u.opts.Now().Before(u.lastFill.Add(u.opts.Refresh))
}

// fillLater arms the timed fill of the detail pane for when the current
// period ends, unless one is armed already, the window is in the tray or
// timed fills are off (Options.Refresh 0).
func (u *UI) fillLater() {
	if u.redraw.stop != nil || u.redraw.inTray || u.opts.Refresh <= 0 {
		return
	}
	d := max(u.lastFill.Add(u.opts.Refresh).Sub(u.opts.Now()), 0)
	u.redraw.gen++
	gen := u.redraw.gen
	u.redraw.stop = u.opts.AfterFunc(d, func() { u.opts.Do(func() { u.timedFill(gen) }) })
}

// timedFill is the timed fill armed by fillLater as generation gen; a
// cancelled one that had already fired does nothing.
func (u *UI) timedFill(gen int) {
	if gen != u.redraw.gen || u.redraw.stop == nil {
		return
	}
	u.redraw.stop = nil
	if u.redraw.inTray {
		return
	}
	if !u.fillDue() { // a change of state drew the pane since it was armed
		u.fillLater()
		return
	}
	u.renderDetail()
}

// startInTray marks the window as hidden to the tray before it was ever
// shown (a start with --hidden): nothing is drawn until it is shown.
func (u *UI) startInTray() {
	u.redraw.inTray = true
}

func (u *UI) cancelTimedFill() {
	if u.redraw.stop != nil {
		u.redraw.stop()
		u.redraw.stop = nil
	}
	u.redraw.gen++
}
