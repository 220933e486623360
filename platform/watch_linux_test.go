package platform

import "testing"

// Linux's policy rules follow the uplink by themselves: its Network must
// not make the engine apply settings again on every route change.
func TestLinuxIsNoWatcher(t *testing.T) {
	n, err := New(Options{StateDir: t.TempDir(), ResolvConf: t.TempDir() + "/resolv.conf"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := n.(Watcher); ok {
		t.Error("the Linux Network implements Watcher")
	}
}
