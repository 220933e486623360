//go:build cgo

package app

import (
	"bufio"
	"os/exec"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"github.com/godbus/dbus/v5"

	"github.com/wgdesk/wgdesk/tunnel"
)

// trayApp is the Fyne test app with a system tray that records what the
// UI installs in it and the notifications it sends.
type trayApp struct {
	fyne.App
	menu   *fyne.Menu
	icons  []string
	sent   []string // notifications, "title: content"
	window fyne.Window
}

func (a *trayApp) SendNotification(n *fyne.Notification) {
	a.sent = append(a.sent, n.Title+": "+n.Content)
}

func (a *trayApp) SetSystemTrayMenu(m *fyne.Menu)    { a.menu = m }
func (a *trayApp) SetSystemTrayIcon(r fyne.Resource) { a.icons = append(a.icons, r.Name()) }
func (a *trayApp) SetSystemTrayWindow(w fyne.Window) { a.window = w }

// The close intercept (hide to the tray) is not covered: the Fyne test
// driver's Window.Close ignores intercepts and does not model visibility.
func TestTrayIconAndMenuInstalled(t *testing.T) {
	h := newHarness(t, true, Options{})
	ta := &trayApp{App: h.ui.app}
	u := New(ta, h.ui.client, Options{Tray: true, Do: h.ui.opts.Do, RetryMin: h.ui.opts.RetryMin})
	u.Start()
	t.Cleanup(func() {
		u.cancel()
		for {
			select {
			case f := <-h.queue:
				f()
			case <-u.done:
				return
			}
		}
	})
	if ta.window != u.win {
		t.Errorf("the tray does not control the main window")
	}
	if err := h.svc.Import("office", testConfig(t)); err != nil {
		t.Fatal(err)
	}
	h.waitFor("office in the tray menu", func() bool {
		return ta.menu != nil && len(ta.menu.Items) > 0 && ta.menu.Items[0].Label == "office"
	})
	if err := h.svc.SetState("office", tunnel.StateActivating); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the connecting icon", func() bool { return ta.icons[len(ta.icons)-1] == "tray-connecting.png" })
	if err := h.svc.SetState("office", tunnel.StateActive); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the connected icon", func() bool { return ta.icons[len(ta.icons)-1] == "tray-connected.png" })
	if !ta.menu.Items[0].Checked {
		t.Errorf("tray item of the active tunnel is not checked")
	}
	if got := strings.Join(ta.icons, " "); got != "tray-error.png tray-disconnected.png tray-connecting.png tray-connected.png" {
		t.Errorf("icons in order: %s", got)
	}

	if got := strings.Join(ta.sent, "|"); got != "wgdesk: office connected: The tunnel is up on wg-office." {
		t.Errorf("notifications before a failure: %q", got)
	}
	ta.sent = nil
	if err := h.svc.SetState("office", tunnel.StateFailed); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the error icon", func() bool { return ta.icons[len(ta.icons)-1] == "tray-error.png" })
	if got := strings.Join(ta.sent, "|"); got != "wgdesk: office failed: The tunnel stopped working." {
		t.Errorf("notifications after a failure: %q", got)
	}

}

func TestTrayAvailable(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	if ok, why := trayAvailable(); ok || !strings.Contains(why, "DBUS_SESSION_BUS_ADDRESS") {
		t.Errorf("without a session bus: %v, %q", ok, why)
	}

	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Skip("dbus-daemon is missing (make deps-gui installs dbus)")
	}
	addr := startDBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	if ok, why := trayAvailable(); ok || !strings.Contains(why, "no StatusNotifierWatcher") {
		t.Errorf("without a tray host: %v, %q", ok, why)
	}

	// A tray host owns the watcher name.
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if reply, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own the watcher name: %v %v", reply, err)
	}
	if ok, why := trayAvailable(); !ok {
		t.Errorf("with a tray host: %v, %q", ok, why)
	}
}

// startDBus starts a private session bus and returns its address.
func startDBus(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	return strings.TrimSpace(addr)
}
