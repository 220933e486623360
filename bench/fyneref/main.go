//go:build cgo

// Command fyneref is the bench's reference for the desktop app: the
// smallest Fyne program that shows a window of wgdesk's default size with
// one label and then does nothing. Its idle CPU and memory, measured in the
// same run and on the same X server as the app's, are the floor that the
// toolkit itself sets (bench/README.md), so the app's figures are reported
// as ratios against it.
//
// With --hidden it makes the same window but does not show it, as
// wgdesk --hidden does in the tray, and prints "started" once Fyne's event
// loop runs: the reference of the app's figures with its window hidden.
package main

import (
	"fmt"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	hidden := len(os.Args) == 2 && os.Args[1] == "--hidden"
	if len(os.Args) > 1 && !hidden {
		fmt.Fprintln(os.Stderr, "usage: fyneref [--hidden]")
		os.Exit(2)
	}
	a := app.NewWithID("org.wgdesk.bench.fyneref")
	w := a.NewWindow("fyneref")
	w.SetContent(widget.NewLabel("A minimal Fyne window, the reference of the desktop app's figures."))
	w.Resize(fyne.NewSize(900, 660)) // app/prefs.go defaultWindowSize
	if hidden {
		a.Lifecycle().SetOnStarted(func() { fmt.Println("started") })
		a.Run()
		return
	}
	w.ShowAndRun()
}
