//go:build cgo

// Command fyneref is the bench's reference for the desktop app: the
// smallest Fyne program that shows a window of wgdesk's default size with
// one label and then does nothing. Its idle CPU and memory, measured in the
// same run and on the same X server as the app's, are the floor that the
// toolkit itself sets (bench/README.md), so the app's figures are reported
// as ratios against it.
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("org.wgdesk.bench.fyneref")
	w := a.NewWindow("fyneref")
	w.SetContent(widget.NewLabel("A minimal Fyne window, the reference of the desktop app's figures."))
	w.Resize(fyne.NewSize(900, 660)) // app/prefs.go defaultWindowSize
	w.ShowAndRun()
}
