package wintun

import (
	"errors"
	"fmt"
	"path/filepath"
)

// ErrDLLMissing is wrapped by Locate's error when wintun.dll is in none of
// the folders Windows would load it from.
var ErrDLLMissing = errors.New("wintun.dll is missing")

// Locate returns the wintun.dll that wireguard-go would load, given the
// executable's folder and the System32 folder; exists reports whether a
// file exists. golang.zx2c4.com/wintun loads the DLL with LoadLibraryEx
// and LOAD_LIBRARY_SEARCH_APPLICATION_DIR|LOAD_LIBRARY_SEARCH_SYSTEM32
// (dll.go), which searches exactly these two folders, the executable's
// first. Paths are joined with the host's separator: Windows passes
// Windows paths.
//
// The error wraps ErrDLLMissing, names the expected path and says how to
// fix it.
func Locate(exeDir, system32 string, exists func(string) bool) (string, error) {
	local := filepath.Join(exeDir, DLLName)
	if exists(local) {
		return local, nil
	}
	if system32 != "" {
		if p := filepath.Join(system32, DLLName); exists(p) {
			return p, nil
		}
	}
	return "", &MissingError{Path: local, System32: system32}
}

// MissingError says where wintun.dll was expected.
type MissingError struct {
	Path     string // next to the executable, where wgdesk ships it
	System32 string // the other folder searched ("" when unknown)
}

func (e *MissingError) Error() string {
	also := ""
	if e.System32 != "" {
		also = " nor in " + e.System32
	}
	return fmt.Sprintf("%v: not at %s%s; put wintun.dll from %s next to wgdesk.exe, or reinstall wgdesk",
		ErrDLLMissing, e.Path, also, Pinned.ZipName())
}

func (e *MissingError) Unwrap() error { return ErrDLLMissing }
