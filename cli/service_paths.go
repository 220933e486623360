package cli

import "strings"

// windowsStateDir is the service's state directory on Windows, in the
// machine-wide application data folder (%ProgramData%, C:\ProgramData
// unless moved), as wireguard-windows keeps its own there.
func windowsStateDir(programData string) string {
	if programData == "" {
		programData = `C:\ProgramData`
	}
	return strings.TrimRight(programData, `\/`) + `\wgdesk`
}

// stateDirSDDL is the DACL the Windows service gives its state directory:
// full control to LocalSystem and the Administrators, inherited by every
// file and folder in it (OICI), and nothing inherited from above (P), so
// that no other user can read the private keys in it.
const stateDirSDDL = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
