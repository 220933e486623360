//go:build cgo

package app

import (
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/tunnel"
)

// An activation that waits for its handshake notifies "connected" only
// when the handshake comes, "no handshake" once per activation (a second
// loss of the peer in the same activation stays quiet, the next
// activation says it again), and the list, the pane and the tray show
// each state; the tray's Diagnose entry calls OnDiagnose.
func TestConnectionStatesInTheApp(t *testing.T) {
	h := newHarness(t, true, Options{})
	ta := &trayApp{App: h.ui.app}
	var diagnosed []string
	u := New(ta, h.ui.client, Options{Tray: true, Do: h.ui.opts.Do, RetryMin: h.ui.opts.RetryMin,
		OnDiagnose: func(name string) { diagnosed = append(diagnosed, name) }})
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
	if err := h.svc.Import("office", testConfig(t)); err != nil {
		t.Fatal(err)
	}
	h.waitFor("office in the list", func() bool { _, ok := u.rows["office"]; return ok })
	u.selectTunnel("office")

	step := func(what string, f func() error, badge, pane, icon string) {
		t.Helper()
		if err := f(); err != nil {
			t.Fatal(err)
		}
		h.waitFor(what, func() bool {
			r := u.rows["office"]
			return r != nil && r.badge.Text == badge && u.pane != nil && strings.Contains(u.pane.state.Text, pane) &&
				len(ta.icons) > 0 && ta.icons[len(ta.icons)-1] == icon
		})
	}
	conn := func(c tunnel.Connection) func() error {
		return func() error { return h.svc.SetConnection("office", c) }
	}
	state := func(s tunnel.State) func() error {
		return func() error { return h.svc.SetState("office", s) }
	}

	// The fake service starts the next activation waiting.
	if err := h.svc.SetConnection("office", tunnel.ConnConnecting); err != nil {
		t.Fatal(err)
	}
	step("connecting", state(tunnel.StateActive), "Connecting…", "waiting for the first handshake", "tray-connecting.png")
	if len(ta.sent) != 0 {
		t.Errorf("notified before the handshake: %q", ta.sent)
	}
	step("connected", conn(tunnel.ConnConnected), "Active", "connected (the peer answers)", "tray-connected.png")
	step("no handshake", conn(tunnel.ConnNoHandshake), "No handshake", "no handshake: the peer does not answer", "tray-error.png")

	var diag, item string
	for _, mi := range ta.menu.Items {
		item += mi.Label + "|"
		if mi.Label == "Diagnose office…" {
			diag = mi.Label
			mi.Action()
		}
	}
	if diag == "" || strings.Join(diagnosed, ",") != "office" {
		t.Errorf("tray menu %s: Diagnose called for %q", item, diagnosed)
	}

	step("connected again", conn(tunnel.ConnConnected), "Active", "connected", "tray-connected.png")
	step("no handshake again", conn(tunnel.ConnNoHandshake), "No handshake", "no handshake", "tray-error.png")
	step("down", state(tunnel.StateInactive), "Inactive", "Inactive", "tray-disconnected.png")
	step("up again", state(tunnel.StateActive), "No handshake", "no handshake", "tray-error.png")

	want := []string{
		"wgdesk: office connected: The peer answered; the tunnel is up on wg-office.",
		"wgdesk: office: no handshake: The tunnel is up but the peer does not answer: its firewall may drop the WireGuard port, or it does not know this computer's key. Choose Diagnose in the wgdesk menu to find out which.",
		"wgdesk: office connected: The peer answered; the tunnel is up on wg-office.",
		"wgdesk: office disconnected: The tunnel is down.",
		"wgdesk: office: no handshake: The tunnel is up but the peer does not answer: its firewall may drop the WireGuard port, or it does not know this computer's key. Choose Diagnose in the wgdesk menu to find out which.",
	}
	if got := strings.Join(ta.sent, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("notifications:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}
