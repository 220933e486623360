//go:build cgo

package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// formEntry is a one-line entry for the app's dialogs that hands Escape
// on: widget.Entry ignores the key, and a focused entry gets every key,
// so without it the dialog's own handler never hears Escape while the
// user is typing.
type formEntry struct {
	widget.Entry
	onEscape func()
}

func newFormEntry() *formEntry {
	e := &formEntry{}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey runs onEscape for Escape and edits the text for other keys.
func (e *formEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && e.onEscape != nil {
		e.onEscape()
		return
	}
	e.Entry.TypedKey(k)
}

// dialogKeys gives d on canvas c the keys of a desktop dialog while it is
// open: Escape dismisses it, Return or Enter runs submit (nil: dismisses
// it too, as the only button of a message does). Fyne's dialogs have
// neither. The canvas's own key handler is restored when d closes.
func dialogKeys(c fyne.Canvas, d dialog.Dialog, submit func()) {
	prev := c.OnTypedKey()
	if submit == nil {
		submit = d.Dismiss
	}
	c.SetOnTypedKey(func(k *fyne.KeyEvent) {
		switch k.Name {
		case fyne.KeyEscape:
			d.Dismiss()
		case fyne.KeyReturn, fyne.KeyEnter:
			submit()
		default:
			if prev != nil {
				prev(k)
			}
		}
	})
	d.SetOnClosed(func() { c.SetOnTypedKey(prev) })
}

// showMessage shows an information dialog on w that Escape and Return
// close.
func showMessage(title, text string, w fyne.Window) {
	d := dialog.NewInformation(title, text, w)
	dialogKeys(w.Canvas(), d, nil)
	d.Show()
}

// dialogOpen reports whether a dialog (or another overlay) covers the
// window, when the window's own shortcuts must wait.
func dialogOpen(w fyne.Window) bool {
	return w.Canvas().Overlays().Top() != nil
}
