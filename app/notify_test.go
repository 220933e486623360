//go:build cgo

package app

import (
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

func TestTransitionNotification(t *testing.T) {
	for _, c := range []struct {
		was, now tunnel.State
		iface    string
		want     string // "title: content", or "" for none
	}{
		{tunnel.StateActivating, tunnel.StateActive, "wg-office", "wgdesk: office connected: The tunnel is up on wg-office."},
		{"", tunnel.StateActive, "", "wgdesk: office connected: The tunnel is up."},
		{tunnel.StateActive, tunnel.StateActive, "wg-office", ""},
		{tunnel.StateActive, tunnel.StateInactive, "", "wgdesk: office disconnected: The tunnel is down."},
		{tunnel.StateDeactivating, tunnel.StateInactive, "", "wgdesk: office disconnected: The tunnel is down."},
		{tunnel.StateActivating, tunnel.StateInactive, "", ""},
		{tunnel.StateFailed, tunnel.StateInactive, "", ""},
		{"", tunnel.StateInactive, "", ""},
		{tunnel.StateActive, tunnel.StateFailed, "", "wgdesk: office failed: The tunnel stopped working."},
		{tunnel.StateFailed, tunnel.StateFailed, "", ""},
		{tunnel.StateInactive, tunnel.StateActivating, "", ""},
		{tunnel.StateActive, tunnel.StateDeactivating, "", ""},
	} {
		n := transitionNotification(c.was, api.TunnelJSON{Name: "office", State: c.now, Interface: c.iface})
		got := ""
		if n != nil {
			got = n.Title + ": " + n.Content
		}
		if got != c.want {
			t.Errorf("%q -> %q: %q, want %q", c.was, c.now, got, c.want)
		}
	}
}

// Only changes notify: the snapshot that shows an already active tunnel
// does not, and each up and down does once.
func TestNotifiesConnectAndDisconnectOnce(t *testing.T) {
	h := newHarness(t, true, Options{})
	for _, name := range []string{"home", "office"} {
		if err := h.svc.Import(name, testConfig(t)); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.svc.SetState("home", tunnel.StateActive); err != nil {
		t.Fatal(err)
	}
	ta := &trayApp{App: h.ui.app}
	u := h.startUI(ta, Options{})
	h.waitFor("the snapshot", func() bool { return u.connected && len(u.model.tunnels) == 2 })
	if len(ta.sent) != 0 {
		t.Errorf("notifications for the snapshot: %q", ta.sent)
	}

	for _, step := range []struct {
		name string
		s    tunnel.State
	}{
		{"office", tunnel.StateActivating},
		{"office", tunnel.StateActive},
		{"home", tunnel.StateDeactivating},
		{"home", tunnel.StateInactive},
		{"office", tunnel.StateInactive},
	} {
		if err := h.svc.SetState(step.name, step.s); err != nil {
			t.Fatal(err)
		}
		h.waitFor(step.name+" "+string(step.s), func() bool {
			v, _ := u.model.get(step.name)
			return v.State == step.s
		})
	}
	want := "wgdesk: office connected: The tunnel is up on wg-office.|" +
		"wgdesk: home disconnected: The tunnel is down.|" +
		"wgdesk: office disconnected: The tunnel is down."
	if got := strings.Join(ta.sent, "|"); got != want {
		t.Errorf("notifications:\n%s\nwant\n%s", got, want)
	}
}
