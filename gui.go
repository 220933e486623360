//go:build cgo

package main

import (
	"io"

	"github.com/wgdesk/wgdesk/app"
)

// runGUI starts the desktop app; args are [--socket PATH].
func runGUI(args []string, stdout, stderr io.Writer) int {
	return app.Main(args, stdout, stderr)
}
