//go:build cgo

package app

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

func TestShortcuts(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.waitFor("the snapshot", func() bool { return h.ui.connected })
	typer, ok := h.ui.win.Canvas().(interface{ TypedShortcut(fyne.Shortcut) })
	if !ok {
		t.Fatal("the test canvas takes no shortcuts")
	}

	typer.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyI, Modifier: fyne.KeyModifierShortcutDefault})
	if top := h.topOverlay(); top == nil {
		t.Fatal("Ctrl+I opened no dialog")
	}
	h.ui.win.Canvas().Overlays().Remove(h.topOverlay())

	typer.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault})
	if top := h.topOverlay(); top == nil {
		t.Fatal("Ctrl+N opened no dialog")
	}
	h.ui.win.Canvas().Overlays().Remove(h.topOverlay())

	typer.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierShortcutDefault})
	// Quitting ends the connection to the service; run the UI's work
	// until it has.
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		select {
		case f := <-h.queue:
			f()
		case <-h.ui.done:
			return
		case <-deadline.C:
			t.Fatal("Ctrl+Q did not stop the app")
		}
	}
}
