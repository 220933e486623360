package loginstart

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// setFile is SetEnabled of a Starter that is one file in the user's home
// (the XDG autostart entry, the macOS launch agent): on writes content to
// path through a temporary file and a rename, so a reader never sees half
// of it, creating the folder; off removes it, and a file already gone is
// no error. what names the file in errors ("launch agent").
func setFile(path string, content []byte, on bool, what string) error {
	if !on {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", what, err)
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create the folder of the %s: %w", what, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, content, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", what, err)
	}
	return nil
}
