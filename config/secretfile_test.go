package config

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestWriteSecretFileTightensAnExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "home.conf")
	if err := os.WriteFile(path, []byte("old and longer content"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteSecretFile(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// Mode bits exist on Unix only: Windows reports rw-rw-rw- for every
	// writable file (see WriteSecretFile's doc). The rest runs everywhere.
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("content %q, want %q", b, "new")
	}
	if err := WriteSecretFile(filepath.Join(t.TempDir(), "no", "such", "dir"), nil); err == nil {
		t.Error("writing into a missing directory did not fail")
	}
}
