package main

import (
	"fmt"
	"io"
)

// runGUI starts the desktop app. The Fyne app lives in app/ and is wired in
// here once it exists; until then say what to use instead.
func runGUI(stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "wgdesk: the desktop app is not part of this build yet; use the command line:")
	usage(stderr)
	return 2
}
