package wintun

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// Find returns the wintun.dll this process would load: Locate with the
// running executable's folder and System32. Its error wraps ErrDLLMissing
// when there is none.
func Find() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find wintun.dll: %w", err)
	}
	sys, err := windows.GetSystemDirectory()
	if err != nil {
		sys = "" // search the executable's folder alone
	}
	return Locate(filepath.Dir(exe), sys, func(p string) bool {
		fi, err := os.Stat(p)
		return err == nil && fi.Mode().IsRegular()
	})
}
