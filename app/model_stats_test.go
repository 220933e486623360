//go:build cgo

package app

import (
	"encoding/json"
	"testing"

	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// The service sends stats events without the config; the app merges
// their figures into the tunnel it knows and keeps its config, raw and
// decoded (the detail pane is keyed by the raw text).
func TestModelStatsKeepTheConfig(t *testing.T) {
	raw := json.RawMessage(`{"interface":{"addresses":["10.66.0.2/32"]},"peers":[{"public_key":"peer1","allowed_ips":["10.66.0.0/24"]}]}`)
	var m model
	m.apply(api.EventJSON{Kind: api.EventSnapshot, Time: sec(0), Tunnels: []api.TunnelJSON{{Name: "office", State: tunnel.StateActive, Config: raw}}})
	before, _ := m.get("office")
	if before.Cfg == nil {
		t.Fatal("the snapshot's config did not decode; the test proves nothing")
	}
	m.apply(statsEvent(sec(1), tunnel.StateActive, 4096, 2048))
	got, ok := m.get("office")
	if !ok || len(got.Peers) != 1 || got.Peers[0].RxBytes != 4096 {
		t.Fatalf("after stats: %+v, want the new figures", got)
	}
	if string(got.Config) != string(raw) || got.Cfg == nil || got.Cfg != before.Cfg {
		t.Fatalf("after stats the config is %q (decoded %v), want the snapshot's", got.Config, got.Cfg)
	}
	// A state event with a new config replaces it.
	raw2 := json.RawMessage(`{"interface":{"addresses":["10.77.0.2/32"]},"peers":[]}`)
	m.apply(api.EventJSON{Kind: api.EventState, Time: sec(2), Tunnel: &api.TunnelJSON{Name: "office", State: tunnel.StateInactive, Config: raw2}})
	if got, _ := m.get("office"); string(got.Config) != string(raw2) {
		t.Fatalf("after a state event the config is %q", got.Config)
	}
}
