//go:build cgo && linux

package app

import (
	"strings"
	"testing"
	"time"
)

// TestSmokeHiddenTrayClickShowsUpToDateWindow runs the real binary as a
// start at login does (--hidden) with a session bus and a tray host: it
// must register its tray icon and show no window. A left click on the icon
// (the item's Activate, as a tray host sends it) must show the window
// drawn from what happened while it was hidden: its title names the
// active tunnel, which only a redraw on showing sets (visibility.go; Fyne's
// own handler would show the window as it was first built).
func TestSmokeHiddenTrayClickShowsUpToDateWindow(t *testing.T) {
	s := newSmoke(t, "dbus-daemon", "xwininfo")
	s.serveFake()
	addr := startDBus(t)
	conn, w := startTrayHost(t, addr)

	p := s.startAppArgs([]string{"--hidden"}, "DBUS_SESSION_BUS_ADDRESS="+addr)
	var item string
	select {
	case item = <-w.registered:
	case <-p.done:
		t.Fatalf("app exited: %v\n%s", p.err, p.stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("no tray item registered\n%s", p.stderr.String())
	}
	p.poll(t, "the log line of a hidden start", func() bool {
		return strings.Contains(p.stderr.String(), "started hidden in the tray")
	})
	if out, _ := run(t, "xwininfo", "-display", s.display, "-root", "-tree"); strings.Contains(out, `"wgdesk`) {
		t.Fatalf("started hidden with a tray, the app has a window:\n%s", out)
	}

	if err := conn.Object(item, "/StatusNotifierItem").Call("org.kde.StatusNotifierItem.Activate", 0, int32(0), int32(0)).Err; err != nil {
		t.Fatalf("click the tray icon: %v", err)
	}
	p.waitWindow(t, s.display, "wgdesk — connected: office")
}
