package cli

import (
	"fmt"
	"os"

	"golang.org/x/sys/windows"

	"github.com/wgdesk/wgdesk/internal/hints"
)

// needPrivilege is what `wgdesk service` says to a caller without the
// right to run it.
var needPrivilege = hints.Current().NeedPrivilege

// defaultStateDir is --state-dir's default: %ProgramData%\wgdesk.
func defaultStateDir() string { return windowsStateDir(os.Getenv("ProgramData")) }

// isRootOS reports whether this process may run the service: LocalSystem,
// as a Windows service, or an elevated administrator.
func isRootOS() bool {
	tok := windows.GetCurrentProcessToken()
	if tok.IsElevated() {
		return true
	}
	u, err := tok.GetTokenUser()
	return err == nil && u.User.Sid.IsWellKnown(windows.WinLocalSystemSid)
}

// prepareStateDir creates the state directory and gives it stateDirSDDL,
// replacing what it inherited: Windows ignores the 0700 the store asks
// for, and under %ProgramData% every user could otherwise read the keys.
// SetNamedSecurityInfo hands the new entries down to what is already in
// it.
func prepareStateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create state directory %s: %w", dir, err)
	}
	sd, err := windows.SecurityDescriptorFromString(stateDirSDDL)
	if err != nil {
		return fmt.Errorf("security descriptor for %s: %w", dir, err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("security descriptor for %s: %w", dir, err)
	}
	err = windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
	if err != nil {
		return fmt.Errorf("restrict %s to SYSTEM and administrators: %w", dir, err)
	}
	return nil
}
