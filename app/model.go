//go:build cgo

package app

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/wgdesk/wgdesk/cli"
	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// tunnelView is one tunnel as the app knows it from the event stream.
type tunnelView struct {
	api.TunnelJSON
	// Cfg is the redacted config the service sends along; nil when the
	// service sent none or it did not decode.
	Cfg *cli.ConfigJSON
}

// model is the app's copy of the service's tunnels, kept sorted by name.
// It is changed only by events, on the UI goroutine.
type model struct {
	tunnels []tunnelView
	// traffic holds the recent counter readings of each peer of the
	// active tunnels, by trafficKey.
	traffic map[string]*trafficRing
}

func newView(t api.TunnelJSON) tunnelView {
	v := tunnelView{TunnelJSON: t}
	if len(t.Config) > 0 {
		var c cli.ConfigJSON
		if json.Unmarshal(t.Config, &c) == nil {
			v.Cfg = &c
		}
	}
	return v
}

// apply folds one event into the model.
func (m *model) apply(ev api.EventJSON) {
	switch ev.Kind {
	case api.EventSnapshot:
		m.tunnels = m.tunnels[:0]
		m.traffic = nil // the stream was broken: readings may be missing
		for _, t := range ev.Tunnels {
			m.tunnels = append(m.tunnels, newView(t))
			m.recordTraffic(t, ev.Time)
		}
		sort.Slice(m.tunnels, func(i, j int) bool { return m.tunnels[i].Name < m.tunnels[j].Name })
	case api.EventRemoved:
		if ev.Tunnel == nil {
			return
		}
		if i, ok := m.index(ev.Tunnel.Name); ok {
			m.tunnels = append(m.tunnels[:i], m.tunnels[i+1:]...)
		}
		m.forgetTraffic(ev.Tunnel.Name)
	default: // added, state, options, stats: the event carries the tunnel
		if ev.Tunnel == nil {
			return
		}
		m.recordTraffic(*ev.Tunnel, ev.Time)
		v := newView(*ev.Tunnel)
		i, ok := m.index(v.Name)
		if ok {
			// A stats event carries no config (api.EventJSON): the
			// tunnel keeps the one it has, and its detail pane stays.
			if len(v.Config) == 0 {
				v.Config = m.tunnels[i].Config
			}
			if v.Cfg == nil {
				v.Cfg = m.tunnels[i].Cfg
			}
			m.tunnels[i] = v
			return
		}
		m.tunnels = append(m.tunnels, tunnelView{})
		copy(m.tunnels[i+1:], m.tunnels[i:])
		m.tunnels[i] = v
	}
}

// index finds name, or where it would be inserted.
func (m *model) index(name string) (int, bool) {
	i := sort.Search(len(m.tunnels), func(i int) bool { return m.tunnels[i].Name >= name })
	return i, i < len(m.tunnels) && m.tunnels[i].Name == name
}

func (m *model) get(name string) (tunnelView, bool) {
	i, ok := m.index(name)
	if !ok {
		return tunnelView{}, false
	}
	return m.tunnels[i], true
}

// nameTaken reports whether a tunnel has this name, ignoring case as the
// service does (names that differ only in case would share one file on
// macOS and Windows).
func (m *model) nameTaken(name string) bool {
	return slices.ContainsFunc(m.tunnels, func(t tunnelView) bool { return strings.EqualFold(t.Name, name) })
}

// stateText is a tunnel state in words for the badge.
func stateText(s tunnel.State) string {
	switch s {
	case tunnel.StateActive:
		return "Active"
	case tunnel.StateActivating:
		return "Activating…"
	case tunnel.StateDeactivating:
		return "Deactivating…"
	case tunnel.StateFailed:
		return "Failed"
	case tunnel.StateInactive:
		return "Inactive"
	}
	return string(s)
}

// humanBytes renders a byte count in binary units: "512 B", "1.5 KiB".
func humanBytes(n uint64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n) / 1024
	u := 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	return fmt.Sprintf("%.1f %s", v, units[u])
}

// ago renders how long before now t was: "12 s ago", "3 min ago",
// "5 h ago", "2 days ago"; "never" for the zero time.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}

// orNone joins values, or says "none".
func orNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

// peerConfig is one peer of a tunnel's redacted config.
type peerConfig = cli.PeerJSON
