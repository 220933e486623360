package platform

import (
	"os"
	"path/filepath"
)

// WriteFileAtomic replaces path with data through a temporary file in the
// same directory (written, synced, then renamed over path, and the
// directory synced), so that a crash leaves either the old or the new
// file, never a part of one. The file gets mode perm. The journal and the
// tunnel store both write this way.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync() // best effort: make the rename itself durable
		d.Close()
	}
	return nil
}
