package tunnel

import (
	"context"
	"testing"
)

// Stats events carry the figures without the config: they come every
// StatsInterval per active tunnel, and a config may be 100,000
// AllowedIPs. The other kinds keep it.
func TestStatsEventsCarryNoConfig(t *testing.T) {
	l := newLab(t)
	m := newTestManager(t, l, t.TempDir())
	events, cancel := m.Subscribe()
	defer cancel()
	if err := m.Import("home", splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(context.Background(), "home"); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, events, "home", EventState); ev.Tunnel.Config == nil {
		t.Error("a state event lacks the config")
	}
	ev := nextEvent(t, events, "home", EventStats)
	if ev.Tunnel.Config != nil {
		t.Error("a stats event carries the config")
	}
	if ev.Tunnel.State != StateActive || len(ev.Tunnel.Peers) != 1 || ev.Tunnel.Interface != "home" {
		t.Errorf("stats event %+v, want the active tunnel's figures", ev.Tunnel)
	}
	if info := mustGet(t, m, "home"); info.Config == nil {
		t.Error("Get lacks the config")
	}
}
