//go:build cgo && linux

package app

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/wgdesk/wgdesk/tunnel"
)

// fakeWatcher plays a tray host's StatusNotifierWatcher: it reports the
// bus name of each item that registers.
type fakeWatcher struct{ registered chan string }

func (w *fakeWatcher) RegisterStatusNotifierItem(sender dbus.Sender, item string) *dbus.Error {
	w.registered <- string(sender)
	return nil
}

// startTrayHost connects to the session bus at addr and plays a tray host
// there (its StatusNotifierWatcher); the connection closes when the test
// ends.
func startTrayHost(t *testing.T, addr string) (*dbus.Conn, *fakeWatcher) {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	w := &fakeWatcher{registered: make(chan string, 4)}
	if err := conn.Export(w, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own the watcher name: %v %v", reply, err)
	}
	return conn, w
}

// menuLayout is a com.canonical.dbusmenu layout node, (ia{sv}av).
type menuLayout struct {
	ID       int32
	Props    map[string]dbus.Variant
	Children []dbus.Variant
}

// menuItems walks a dbusmenu layout: the item id of each label, and the
// toggle-state of each check mark item.
func menuItems(v any, ids, toggles map[string]int32) {
	var id int32
	var props map[string]dbus.Variant
	var children []dbus.Variant
	switch n := v.(type) {
	case menuLayout:
		id, props, children = n.ID, n.Props, n.Children
	case []any:
		if len(n) != 3 {
			return
		}
		id, _ = n[0].(int32)
		props, _ = n[1].(map[string]dbus.Variant)
		children, _ = n[2].([]dbus.Variant)
	default:
		return
	}
	if l, ok := props["label"].Value().(string); ok {
		ids[l] = id
		if st, ok := props["toggle-state"].Value().(int32); ok {
			toggles[l] = st
		}
	}
	for _, c := range children {
		menuItems(c.Value(), ids, toggles)
	}
}

// readMenu fetches the whole tray menu into ids and toggles.
func readMenu(menu dbus.BusObject, ids, toggles map[string]int32) bool {
	var rev uint32
	var layout menuLayout
	if err := menu.Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{}).Store(&rev, &layout); err != nil {
		return false
	}
	clear(ids)
	clear(toggles)
	menuItems(layout, ids, toggles)
	return true
}

// TestSmokeTrayMenuTogglesAndQuits runs the real binary with a session bus and a
// tray host, reads the tray menu it exports over D-Bus, activates a tunnel
// from it and sees its check mark change, then clicks Quit
// there: the app must exit cleanly (Fyne 2.7.1's systray panics on quit
// when it has no bus; the app must only use the tray when it has one).
func TestSmokeTrayMenuTogglesAndQuits(t *testing.T) {
	s := newSmoke(t, "dbus-daemon")
	s.serveFake()
	addr := startDBus(t)
	conn, w := startTrayHost(t, addr)

	p := s.startApp("DBUS_SESSION_BUS_ADDRESS=" + addr)
	var item string
	select {
	case item = <-w.registered:
	case <-p.done:
		t.Fatalf("app exited: %v\n%s", p.err, p.stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("no tray item registered\n%s", p.stderr.String())
	}

	menu := conn.Object(item, "/StatusNotifierMenu")
	labels, toggles := map[string]int32{}, map[string]int32{}
	p.poll(t, "the tray menu with the tunnels", func() bool {
		if !readMenu(menu, labels, toggles) {
			return false
		}
		_, ok := labels["office"]
		return ok
	})
	var names []string
	for l := range labels {
		names = append(names, l)
	}
	slices.Sort(names)
	for _, want := range []string{"home", "office", "Open wgdesk", "Import…", "Quit"} {
		if _, ok := labels[want]; !ok {
			t.Errorf("tray menu lacks %q: %q", want, names)
		}
	}
	if strings.Contains(p.stderr.String(), "no system tray") {
		t.Errorf("app skipped the tray although a host is there:\n%s", p.stderr.String())
	}

	// Clicking "home" in the tray activates it: the service says so and
	// the menu the tray host reads shows home checked.
	readToggles := func() bool { return readMenu(menu, labels, toggles) }
	p.poll(t, "the tunnels' check marks", func() bool { return readToggles() && toggles["office"] == 1 })
	if toggles["home"] != 0 {
		t.Fatalf("home is checked before it was clicked: %v", toggles)
	}
	if err := menu.Call("com.canonical.dbusmenu.Event", 0, labels["home"], "clicked", dbus.MakeVariant(""), uint32(0)).Err; err != nil {
		t.Fatalf("click home: %v", err)
	}
	p.poll(t, "home checked in the tray menu", func() bool { return readToggles() && toggles["home"] == 1 })
	if info, err := s.svc.Get("home"); err != nil || info.State != tunnel.StateActive {
		t.Fatalf("the tray click did not activate home: %v %v", info.State, err)
	}
	// labels holds the ids of the rebuilt menu, read by the last poll.

	quit, ok := labels["Quit"]
	if !ok {
		t.Fatal("no Quit entry")
	}
	if err := menu.Call("com.canonical.dbusmenu.Event", 0, quit, "clicked", dbus.MakeVariant(""), uint32(0)).Err; err != nil {
		t.Fatalf("click Quit: %v", err)
	}
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("app did not quit from the tray menu\n%s", p.stderr.String())
	}
	if p.err != nil || strings.Contains(p.stderr.String(), "panic") {
		t.Errorf("app did not exit cleanly: %v\n%s", p.err, p.stderr.String())
	}
}
