//go:build !cgo

package main

import (
	"fmt"
	"io"
)

// runGUI: the desktop app needs cgo (OpenGL); a CGO_ENABLED=0 build is the
// service and the command line only.
func runGUI(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "wgdesk: this build has no desktop app (built without cgo); use the command line:")
	usage(stderr)
	return 2
}
