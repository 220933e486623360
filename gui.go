//go:build cgo

package main

import (
	"fmt"
	"io"
	"os"

	"github.com/wgdesk/wgdesk/app"
)

// rootWarning is what the app says when it is started as root.
const rootWarning = "wgdesk: warning: the app runs as root. It needs no privilege: the tunnel service does the privileged work. Run the app as your desktop user (make run does), so that images, QR codes and zip files are never parsed as root."

// runGUI starts the desktop app; args are [--socket PATH]. The app never
// runs the tunnel service in its own process: it talks to a service over
// the socket (the installed one, or the one make run starts for it), and
// says when none answers. Started as root, it warns that it should not be.
func runGUI(args []string, stdout, stderr io.Writer) int {
	if os.Geteuid() == 0 {
		fmt.Fprintln(stderr, rootWarning)
	}
	return app.Main(args, stdout, stderr)
}
