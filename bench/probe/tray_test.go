package main

import (
	"bytes"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// syncBuffer is a bytes.Buffer that the watcher writes from its bus
// goroutines while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// privateBus starts the tray's private bus for the test and returns its
// address; the test skips without dbus-daemon.
func privateBus(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Skip("dbus-daemon is not installed (Debian: dbus-daemon)")
	}
	addr, stop, err := startBus(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return addr
}

func dial(t *testing.T, addr string) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// An app finds the stand-in tray as the tray host, registers its icon
// with it, and the tray reports that and the icon's changes.
func TestTrayReportsItemsAndTheirSignals(t *testing.T) {
	addr := privateBus(t)
	var out syncBuffer
	stop, err := serveTray(dial(t, addr), &out)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if got := out.String(); got != "watching\n" {
		t.Fatalf("output %q before any item, want watching", got)
	}

	app := dial(t, addr)
	var has bool
	if err := app.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&has); err != nil || !has {
		t.Fatalf("NameHasOwner(%s) = %v, %v; the app would find no tray", watcherName, has, err)
	}
	call := app.Object(watcherName, watcherPath).Call(watcherName+".RegisterStatusNotifierItem", 0, "/StatusNotifierItem")
	if call.Err != nil {
		t.Fatal(call.Err)
	}
	if err := app.Emit("/StatusNotifierItem", itemIface+".NewIcon"); err != nil {
		t.Fatal(err)
	}
	want := "watching\nitem " + app.Names()[0] + " /StatusNotifierItem\nsignal " + app.Names()[0] + " NewIcon\n"
	deadline := time.Now().Add(5 * time.Second)
	for out.String() != want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := out.String(); got != want {
		t.Fatalf("output %q, want %q", got, want)
	}

	// A second tray on the same bus says the name is taken.
	if _, err := serveTray(dial(t, addr), &syncBuffer{}); err == nil || !strings.Contains(err.Error(), "taken") {
		t.Fatalf("a second tray: %v, want the name taken", err)
	}
}
