//go:build cgo && darwin

package app

import (
	"os"

	"github.com/wgdesk/wgdesk/internal/macprompt"
	"github.com/wgdesk/wgdesk/internal/osservice"
)

// promptInstaller installs the launch daemon through macOS's administrator
// prompt: the app runs as the user, and `service install` needs root.
// internal/macprompt builds the osascript command, and runs it with the
// bundle's pure-Go wgdesk-service beside this executable (ServiceExe), so
// the daemon is that binary, as after the .pkg's postinstall; it is tested
// on any OS, and this file only wires it.
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
