//go:build cgo && darwin

package app

import (
	"os"

	"github.com/wgdesk/wgdesk/internal/macprompt"
	"github.com/wgdesk/wgdesk/internal/osservice"
)

// promptInstaller installs the launch daemon through macOS's administrator
// prompt: the app runs as the user, and `wgdesk service install` needs
// root. internal/macprompt builds the osascript command and is tested on
// any OS; this file only wires it.
func promptInstaller() ServiceInstaller {
	m, err := osservice.New()
	if err != nil {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	return macprompt.New(exe, m.Status)
}
