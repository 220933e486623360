//go:build cgo

package app

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/wgdesk/wgdesk/app/tray"
	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// refreshLog records every object handed to a canvas's Refresh: the call
// by which a widget's change reaches the driver, which on the GL driver
// marks the window dirty and so costs a repaint of the whole window.
type refreshLog struct{ objs []fyne.CanvasObject }

func (r *refreshLog) reset() { r.objs = nil }

// countingApp is the Fyne test app whose driver's canvases record their
// refreshes in log.
type countingApp struct {
	fyne.App
	log *refreshLog
}

func (a *countingApp) Driver() fyne.Driver { return &countingDriver{a.App.Driver(), a.log} }

type countingDriver struct {
	fyne.Driver
	log *refreshLog
}

func (d *countingDriver) CanvasForObject(o fyne.CanvasObject) fyne.Canvas {
	c := d.Driver.CanvasForObject(o)
	if c == nil {
		return nil
	}
	return &countingCanvas{c, d.log}
}

type countingCanvas struct {
	fyne.Canvas
	log *refreshLog
}

func (c *countingCanvas) Refresh(o fyne.CanvasObject) {
	c.log.objs = append(c.log.objs, o)
	c.Canvas.Refresh(o)
}

// fakeClock is Options.Now and Options.AfterFunc on a clock that moves
// only when advance is called; due timers run inside advance.
type fakeClock struct {
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// pending counts the armed timers.
func (c *fakeClock) pending() int {
	n := 0
	for _, t := range c.timers {
		if !t.stopped {
			n++
		}
	}
	return n
}

func (c *fakeClock) advance(d time.Duration) {
	c.now = c.now.Add(d)
	for {
		i := slices.IndexFunc(c.timers, func(t *fakeTimer) bool { return !t.stopped && !t.at.After(c.now) })
		if i < 0 {
			return
		}
		t := c.timers[i]
		t.stopped = true
		t.f()
	}
}

// redrawRig is a UI on the counting test app and the fake clock, with
// Refresh at one second as in production. It is driven by handing events
// to onEvent on the test goroutine (Do runs at once): no service.
type redrawRig struct {
	t     *testing.T
	ui    *UI
	clock *fakeClock
	log   *refreshLog
}

func newRedrawRig(t *testing.T) *redrawRig {
	t.Helper()
	a := test.NewTempApp(t)
	r := &redrawRig{t: t, clock: &fakeClock{now: sec(100)}, log: &refreshLog{}}
	ca := &countingApp{App: a, log: r.log}
	fyne.SetCurrentApp(ca)
	r.ui = New(ca, nil, Options{
		Now:       r.clock.Now,
		AfterFunc: r.clock.AfterFunc,
		Do:        func(f func()) { f() },
		Refresh:   time.Second,
		Logf:      t.Logf,
	})
	t.Cleanup(r.ui.cancelTimedFill)
	raw := json.RawMessage(`{"interface":{"addresses":["10.66.0.2/32"]},"peers":[{"public_key":"peer1","endpoint":"192.0.2.1:51820","allowed_ips":["10.66.0.0/24"]}]}`)
	r.ui.onEvent(api.EventJSON{Kind: api.EventSnapshot, Time: r.clock.now, Tunnels: []api.TunnelJSON{{
		Name: "office", State: tunnel.StateActive, Config: raw,
		Peers: []api.PeerJSON{{PublicKey: "peer1"}},
	}}})
	if r.ui.pane == nil || r.ui.pane.peers["peer1"] == nil {
		t.Fatal("the snapshot drew no pane with the peer; the test proves nothing")
	}
	return r
}

// stats hands the UI the service's stats event for office's peer at the
// fake clock's time.
func (r *redrawRig) stats(rx, tx uint64, handshake time.Time) {
	r.ui.onEvent(api.EventJSON{Kind: api.EventStats, Time: r.clock.now, Tunnel: &api.TunnelJSON{
		Name: "office", State: tunnel.StateActive,
		Peers: []api.PeerJSON{{PublicKey: "peer1", RxBytes: rx, TxBytes: tx, LastHandshake: handshake}},
	}})
}

// Hidden to the tray, the window gets no Refresh at all over a minute of
// stats events and timer ticks, and no timer stays armed for it; the tray
// icon still follows a change of state, at once. Shown again, the window
// is drawn once with what happened meanwhile.
func TestHiddenWindowIsNotRedrawn(t *testing.T) {
	r := newRedrawRig(t)
	r.clock.advance(time.Second)
	r.stats(1000, 500, r.clock.now)
	if r.ui.trayIcon != tray.IconConnected {
		t.Fatalf("tray icon %v with the tunnel up, want connected", r.ui.trayIcon)
	}

	r.ui.hideToTray()
	r.log.reset()
	for i := range 60 {
		r.clock.advance(time.Second)
		r.stats(uint64(2000+1000*i), uint64(1000+700*i), sec(101))
	}
	if n := len(r.log.objs); n != 0 {
		t.Errorf("hidden to the tray, the window got %d refreshes over 60 stats events (first: %T)", n, r.log.objs[0])
	}
	if n := r.clock.pending(); n != 0 {
		t.Errorf("hidden to the tray, %d timers are armed for the window", n)
	}

	// The tunnel goes down: the tray says so at once, the window still
	// draws nothing.
	r.ui.onEvent(api.EventJSON{Kind: api.EventState, Time: r.clock.now, Tunnel: &api.TunnelJSON{Name: "office", State: tunnel.StateInactive}})
	if r.ui.trayIcon != tray.IconDisconnected {
		t.Errorf("tray icon %v after the tunnel went down while hidden, want disconnected", r.ui.trayIcon)
	}
	if n := len(r.log.objs); n != 0 {
		t.Errorf("hidden to the tray, the window got %d refreshes for a change of state", n)
	}

	r.ui.showWindow()
	if len(r.log.objs) == 0 {
		t.Error("shown again, the window was not redrawn")
	}
	if got := r.ui.pane.state.Text; !strings.HasPrefix(got, "Inactive") {
		t.Errorf("shown again, the pane says %q, want the state the tunnel took while hidden", got)
	}
	if !strings.HasPrefix(r.ui.rows["office"].badge.Text, "Inactive") {
		t.Errorf("shown again, the list's badge says %q", r.ui.rows["office"].badge.Text)
	}
}

// Started hidden (--hidden at login), the window draws nothing until it
// is first shown, and is then up to date.
func TestStartInTrayDrawsOnFirstShow(t *testing.T) {
	a := test.NewTempApp(t)
	log := &refreshLog{}
	ca := &countingApp{App: a, log: log}
	fyne.SetCurrentApp(ca)
	clock := &fakeClock{now: sec(100)}
	u := New(ca, nil, Options{Now: clock.Now, AfterFunc: clock.AfterFunc, Do: func(f func()) { f() }, Refresh: time.Second})
	defer u.cancelTimedFill()
	u.startInTray()
	log.reset()
	u.onEvent(api.EventJSON{Kind: api.EventSnapshot, Time: clock.now, Tunnels: []api.TunnelJSON{{Name: "office", State: tunnel.StateActive}}})
	clock.advance(5 * time.Second)
	if n := len(log.objs); n != 0 {
		t.Errorf("started in the tray, the window got %d refreshes", n)
	}
	if u.trayIcon != tray.IconConnected {
		t.Errorf("tray icon %v, want connected", u.trayIcon)
	}
	u.Raise()
	if !slices.Equal(rowNamesOf(u), []string{"office"}) || u.pane == nil {
		t.Errorf("first shown, the window lists %v (pane %v)", rowNamesOf(u), u.pane != nil)
	}
}

func rowNamesOf(u *UI) []string {
	var names []string
	for _, o := range u.list.Objects {
		if r, ok := o.(*tunnelRow); ok {
			names = append(names, r.name)
		}
	}
	return names
}

// Shown, the live figures are drawn at most once a second however many
// stats events come, each time with the newest figures, and a redraw
// touches only the widgets whose text or picture changed.
func TestShownWindowRedrawsFiguresAtMostOncePerSecond(t *testing.T) {
	r := newRedrawRig(t)
	peer := r.ui.pane.peers["peer1"]
	r.log.reset()

	// Events every 250 ms for 10 s: the figures change with each one.
	var drawn []time.Time // the clock at each batch of refreshes
	var rx uint64
	for range 40 {
		r.clock.advance(250 * time.Millisecond)
		if len(r.log.objs) > 0 { // a timer ran in advance
			drawn = append(drawn, r.clock.now)
			r.log.reset()
		}
		rx += 1 << 20
		r.stats(rx, 4096, time.Time{})
		if len(r.log.objs) > 0 {
			drawn = append(drawn, r.clock.now)
			r.log.reset()
		}
	}
	if len(drawn) < 8 {
		t.Fatalf("shown, the figures were drawn %d times in 10 s (at %v), want about once a second", len(drawn), drawn)
	}
	for i := 1; i < len(drawn); i++ {
		if d := drawn[i].Sub(drawn[i-1]); d < time.Second {
			t.Errorf("drawn at %v and again %v later", drawn[i-1].Sub(sec(100)), d)
		}
	}
	// The last event's figures are on screen within a second.
	r.clock.advance(time.Second)
	if want := humanBytes(rx); peer.rx.Text != want {
		t.Errorf("received shows %q a second after the last event, want %q", peer.rx.Text, want)
	}

	// Only the received counter and the graph change: only they (and what
	// they are made of) are refreshed; the tunnel list, the state and the
	// other figures are not.
	r.clock.advance(5 * time.Second)
	r.log.reset()
	rx += 1 << 20
	r.stats(rx, 4096, time.Time{})
	r.clock.advance(time.Second)
	if len(r.log.objs) == 0 {
		t.Fatal("a change of the received counter drew nothing")
	}
	allowed := descendants(peer.rx)
	for o := range descendants(peer.graph) {
		allowed[o] = true
	}
	for _, o := range r.log.objs {
		if !allowed[o] {
			t.Errorf("refreshed %T %p, which is neither the received counter nor the graph", o, o)
		}
	}
}

// descendants is o and every object it is drawn from.
func descendants(o fyne.CanvasObject) map[fyne.CanvasObject]bool {
	seen := map[fyne.CanvasObject]bool{}
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || seen[o] {
			return
		}
		seen[o] = true
		switch v := o.(type) {
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(v).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return seen
}

// Shown with an idle tunnel (the counters stand still), what only drifts
// with the clock, "12 s ago" and the scrolling graph, is drawn every
// driftStep, not every second: each drawing repaints the whole window.
func TestShownIdleTunnelDriftsEveryDriftStep(t *testing.T) {
	r := newRedrawRig(t)
	peer := r.ui.pane.peers["peer1"]
	handshake := r.clock.now
	// Some traffic first, so that the graph has a line that scrolls.
	for i := range 5 {
		r.clock.advance(time.Second)
		r.stats(uint64(1000*(i+1)), 500, handshake)
	}
	r.clock.advance(time.Second)
	r.log.reset()

	batches := 0
	for range 30 {
		r.clock.advance(time.Second)
		if len(r.log.objs) > 0 {
			batches++
			r.log.reset()
		}
		r.stats(5000, 500, handshake)
		if len(r.log.objs) > 0 {
			batches++
			r.log.reset()
		}
	}
	if want := int(30*time.Second/driftStep) + 1; batches > want || batches < want-2 {
		t.Errorf("an idle tunnel shown for 30 s was drawn %d times, want about one in %v (%d)", batches, driftStep, want)
	}
	// It does drift: the handshake's age lags by less than driftStep.
	var recent []string
	for lag := time.Duration(0); lag < driftStep; lag += time.Second {
		recent = append(recent, ago(r.clock.now.Add(-lag), handshake))
	}
	if got := peer.handshake.Text; !slices.Contains(recent, got) {
		t.Errorf("the handshake says %q at the end, want one of %q", got, recent)
	}
}
