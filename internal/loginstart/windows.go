package loginstart

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// The Windows Starter's logic, portable so that it runs in tests on
// every OS against a fake registry; registry_windows.go is the thin
// layer over the real one.
//
// Windows starts at login what the Run keys name: HKLM's for every user,
// HKCU's for one. The MSI writes HKLM\...\Run "wgdesk" for all users
// (packaging/windows/wgdesk.wxs). A user turns such an entry off for
// themself the way Task Manager's Startup tab and Settings > Apps >
// Startup do: a value of the same name under HKCU\...\Explorer\
// StartupApproved\Run whose first byte is odd (03, then the time it was
// turned off as a FILETIME); absent or even (02) means on. So:
//
//   - installed by the MSI (HKLM entry present): the setting writes or
//     removes the StartupApproved value and never adds an HKCU entry,
//     which would start the app twice;
//   - without the MSI (a copied .exe): the setting writes or removes
//     HKCU\...\Run "wgdesk" = "C:\path\wgdesk.exe" --hidden.
//
// Both are what the system's own startup settings show and change.

// regRoot names a registry hive.
type regRoot string

const (
	hkcu regRoot = `HKCU`
	hklm regRoot = `HKLM`
)

// registryStore is the part of the registry winLogin uses. A missing key
// or value is ok == false, not an error; Delete of one is no error.
type registryStore interface {
	String(root regRoot, key, name string) (v string, ok bool, err error)
	Binary(root regRoot, key, name string) (v []byte, ok bool, err error)
	SetString(root regRoot, key, name, v string) error
	SetBinary(root regRoot, key, name string, v []byte) error
	Delete(root regRoot, key, name string) error
}

const (
	runKey      = `Software\Microsoft\Windows\CurrentVersion\Run`
	approvedKey = `Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run`
	runValue    = "wgdesk"
)

// winLogin is the Windows Starter.
type winLogin struct {
	reg registryStore
	exe string           // the running program's path
	now func() time.Time // when it was turned off, for StartupApproved
}

func (w winLogin) Available() (bool, string) { return true, "" }

func (w winLogin) Enabled() (bool, error) {
	_, machine, err := w.reg.String(hklm, runKey, runValue)
	if err != nil {
		return false, fmt.Errorf("read the machine's run key: %w", err)
	}
	_, user, err := w.reg.String(hkcu, runKey, runValue)
	if err != nil {
		return false, fmt.Errorf("read the user's run key: %w", err)
	}
	if !machine && !user {
		return false, nil
	}
	approved, err := w.approved()
	return approved, err
}

// approved: no StartupApproved value, or one whose first byte is even.
func (w winLogin) approved() (bool, error) {
	b, ok, err := w.reg.Binary(hkcu, approvedKey, runValue)
	if err != nil {
		return false, fmt.Errorf("read startup approval: %w", err)
	}
	return !ok || len(b) == 0 || b[0]&1 == 0, nil
}

func (w winLogin) SetEnabled(on bool) error {
	_, machine, err := w.reg.String(hklm, runKey, runValue)
	if err != nil {
		return fmt.Errorf("read the machine's run key: %w", err)
	}
	var errs []error
	switch {
	case on && machine:
		// The MSI's entry starts it; a user entry would start it twice.
		errs = append(errs, w.reg.Delete(hkcu, runKey, runValue), w.reg.Delete(hkcu, approvedKey, runValue))
	case on:
		errs = append(errs, w.reg.SetString(hkcu, runKey, runValue, `"`+w.exe+`" `+HiddenFlag),
			w.reg.Delete(hkcu, approvedKey, runValue))
	case machine:
		errs = append(errs, w.reg.Delete(hkcu, runKey, runValue), w.reg.SetBinary(hkcu, approvedKey, runValue, disabledStamp(w.now())))
	default:
		errs = append(errs, w.reg.Delete(hkcu, runKey, runValue), w.reg.Delete(hkcu, approvedKey, runValue))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("set start at login: %w", err)
	}
	return nil
}

// disabledStamp is the StartupApproved value of an entry turned off at t:
// 03 00 00 00 and t as a FILETIME (100 ns since 1601, little-endian).
func disabledStamp(t time.Time) []byte {
	const epochDiff = 116444736000000000 // 1601-01-01 to 1970-01-01 in 100 ns
	b := make([]byte, 12)
	b[0] = 3
	binary.LittleEndian.PutUint64(b[4:], uint64(t.UnixNano()/100+epochDiff))
	return b
}
