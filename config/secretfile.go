package config

import (
	"fmt"
	"os"
)

// WriteSecretFile writes an exported config (text or QR image, private key
// included) to path, readable by its owner only: mode 0600, also when the
// file existed with a wider mode (a save dialog may have created it).
// Windows has no mode bits (Chmod only clears the read-only attribute):
// there a new file gets the access list its folder hands down (in the
// user's own folders: the user, SYSTEM and the Administrators), and an
// existing file keeps its own.
func WriteSecretFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("restrict %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
