package loginstart

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/windows/registry"
)

// The thin layer on the real registry (under Wine in CI, see
// internal/winetest): absent keys and values read as absent, values
// round-trip, Delete of what is gone is no error. It works in a scratch
// key under HKCU and removes it.
func TestWinRegistry(t *testing.T) {
	key := fmt.Sprintf(`Software\wgdesk-test-%d`, os.Getpid())
	t.Cleanup(func() { registry.DeleteKey(registry.CURRENT_USER, key) })
	r := winRegistry{}
	if _, ok, err := r.String(hkcu, key, "x"); ok || err != nil {
		t.Fatalf("absent key: %v, %v", ok, err)
	}
	if err := r.Delete(hkcu, key, "x"); err != nil {
		t.Fatalf("delete in an absent key: %v", err)
	}
	if err := r.SetString(hkcu, key, "run", `"C:\wgdesk.exe" --hidden`); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := r.String(hkcu, key, "run"); !ok || err != nil || v != `"C:\wgdesk.exe" --hidden` {
		t.Errorf("string back: %q, %v, %v", v, ok, err)
	}
	if _, ok, err := r.String(hkcu, key, "other"); ok || err != nil {
		t.Errorf("absent value: %v, %v", ok, err)
	}
	stamp := []byte{3, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}
	if err := r.SetBinary(hkcu, key, "approved", stamp); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := r.Binary(hkcu, key, "approved"); !ok || err != nil || !bytes.Equal(v, stamp) {
		t.Errorf("binary back: %x, %v, %v", v, ok, err)
	}
	for _, name := range []string{"run", "approved", "run"} {
		if err := r.Delete(hkcu, key, name); err != nil {
			t.Errorf("delete %s: %v", name, err)
		}
	}
	if _, ok, _ := r.String(hkcu, key, "run"); ok {
		t.Error("value still there after Delete")
	}
}
