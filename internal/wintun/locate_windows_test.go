package wintun

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestFind runs the search wireguard-go's loader does, for this test
// binary: absent, then present next to the exe.
func TestFind(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(filepath.Dir(exe), DLLName)
	if p, err := Find(); err == nil {
		t.Skipf("wintun.dll is installed at %s; this test needs a system without it", p)
	}
	_, err = Find()
	var me *MissingError
	if !errors.As(err, &me) || !errors.Is(err, ErrDLLMissing) || !filepath.IsAbs(me.System32) {
		t.Fatalf("got %v, want a MissingError naming System32", err)
	}
	if me.Path != local {
		t.Errorf("expected path %s, want %s", me.Path, local)
	}
	if err := os.WriteFile(local, []byte("MZ"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(local)
	if p, err := Find(); err != nil || p != local {
		t.Errorf("with the DLL next to the exe: got %q, %v; want %s", p, err, local)
	}
}
