//go:build cgo

package app

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func sec(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

func TestTrafficRingKeepsTheNewest(t *testing.T) {
	r := newTrafficRing(3)
	if got := r.samples(); len(got) != 0 {
		t.Fatalf("empty ring has %v", got)
	}
	for i := range 5 {
		r.add(trafficSample{at: sec(i), rx: uint64(i)})
		if i == 1 {
			r.add(trafficSample{at: sec(1), rx: 99}) // a repeated reading
			r.add(trafficSample{at: sec(0), rx: 98}) // and an older one
		}
	}
	got := r.samples()
	if len(got) != 3 {
		t.Fatalf("%d samples, want 3: %v", len(got), got)
	}
	for i, s := range got {
		if want := uint64(i + 2); s.rx != want || !s.at.Equal(sec(i+2)) {
			t.Errorf("sample %d: %+v, want rx %d at %v", i, s, want, sec(i+2))
		}
	}
}

func TestTrafficRates(t *testing.T) {
	got := trafficRates([]trafficSample{
		{sec(0), 0, 0},
		{sec(1), 1000, 500},
		{sec(3), 3000, 500},
		{sec(3), 9000, 9000}, // same instant: no interval
		{sec(4), 100, 700},   // rx counter started over
	})
	want := []trafficRate{
		{sec(1), 1000, 500},
		{sec(3), 1000, 0},
		{sec(4), 0, 0}, // both went backwards from the 9000 reading
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rates\n%v\nwant\n%v", got, want)
	}
	if trafficRates([]trafficSample{{sec(0), 1, 1}}) != nil {
		t.Errorf("a single reading gave a rate")
	}
}

func statsEvent(at time.Time, state tunnel.State, rx, tx uint64) api.EventJSON {
	return api.EventJSON{Kind: api.EventStats, Time: at, Tunnel: &api.TunnelJSON{
		Name: "office", State: state,
		Peers: []api.PeerJSON{{PublicKey: "peer1", RxBytes: rx, TxBytes: tx}},
	}}
}

func TestModelRecordsTrafficWhileActive(t *testing.T) {
	var m model
	m.apply(statsEvent(sec(0), tunnel.StateActive, 0, 0))
	m.apply(statsEvent(sec(2), tunnel.StateActive, 4096, 2048))
	if got := fmt.Sprint(m.rates("office", "peer1")); got != fmt.Sprint([]trafficRate{{sec(2), 2048, 1024}}) {
		t.Errorf("rates while active: %s", got)
	}
	if m.rates("office", "other") != nil || m.rates("home", "peer1") != nil {
		t.Errorf("rates of an unknown peer or tunnel")
	}
	m.apply(statsEvent(sec(3), tunnel.StateInactive, 0, 0))
	if len(m.traffic) != 0 {
		t.Errorf("history kept after the tunnel went down: %v", m.traffic)
	}
	m.apply(statsEvent(sec(4), tunnel.StateActive, 10, 10))
	m.apply(api.EventJSON{Kind: api.EventRemoved, Tunnel: &api.TunnelJSON{Name: "office"}})
	if len(m.traffic) != 0 {
		t.Errorf("history kept after the tunnel was removed: %v", m.traffic)
	}
}

func TestTrafficGraphInDetail(t *testing.T) {
	h := newHarness(t, true, Options{})
	cfg := testConfig(t)
	if err := h.svc.Import("office", cfg); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the tunnel", func() bool { return h.shows("office") && h.ui.pane != nil })
	peer := cfg.Peers[0].PublicKey.String()
	l := h.ui.pane.peers[peer]
	if l == nil || l.graph.caption() != "no figures yet" {
		t.Fatalf("peer graph before any figures: %+v", l)
	}
	// Figures as the service sends them, one a second.
	for i, rx := range []uint64{0, 1024, 3072, 3072} {
		ev := statsEvent(sec(i), tunnel.StateActive, rx, 512*uint64(i))
		ev.Tunnel.Peers[0].PublicKey = peer
		v, _ := h.ui.model.get("office")
		ev.Tunnel.Config = v.Config // as the service sends it along
		h.ui.onEvent(ev)
	}
	if h.ui.pane.peers[peer] != l {
		t.Fatalf("the detail pane was rebuilt for figures")
	}
	if got := len(l.graph.rates); got != 3 {
		t.Errorf("graph has %d rates, want 3", got)
	}
	if got, want := l.graph.caption(), "↓ 0 B/s  ↑ 512 B/s"; got != want {
		t.Errorf("caption %q, want %q", got, want)
	}
	// It draws: the graph's raster holds both lines, the newest reading
	// at the right edge, and the window paints without panic.
	h.ui.win.Resize(fyne.NewSize(900, 900))
	img := l.graph.image(180, 64, 12)
	if x, ok := lastColumnWith(img, toNRGBA(theme.Color(theme.ColorNamePrimary))); !ok || x < 175 {
		t.Errorf("received line ends at x=%d (drawn %v), want the right edge", x, ok)
	}
	if img := h.ui.win.Canvas().Capture(); img.Bounds().Dx() == 0 {
		t.Errorf("nothing painted")
	}
}
