package tunnel

import (
	"context"
	"testing"
	"time"
)

// The connection state follows the handshakes and the traffic, step by
// step on a made-up clock.
func TestConnTracker(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	peer := func(hs time.Duration, rx, tx uint64) []PeerStats {
		p := PeerStats{RxBytes: rx, TxBytes: tx}
		if hs >= 0 {
			p.LastHandshake = at(hs)
		}
		return []PeerStats{p}
	}
	never := time.Duration(-1)
	type step struct {
		at    time.Duration
		peers []PeerStats // nil: no reading, time passes
		want  Connection
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"no answer", []step{
			{0, peer(never, 0, 148), ConnConnecting},
			{9 * time.Second, peer(never, 0, 296), ConnConnecting},
			{10 * time.Second, nil, ConnNoHandshake},
			{20 * time.Second, peer(never, 0, 592), ConnNoHandshake},
		}},
		{"answer after no handshake", []step{
			{11 * time.Second, peer(never, 0, 148), ConnNoHandshake},
			{12 * time.Second, peer(12*time.Second, 92, 296), ConnConnected},
		}},
		{"first handshake", []step{
			{time.Second, peer(time.Second, 92, 148), ConnConnected},
			{179 * time.Second, peer(time.Second, 92, 148), ConnConnected},
		}},
		{"idle after the session expired stays connected", []step{
			{time.Second, peer(time.Second, 92, 148), ConnConnected},
			{10 * time.Minute, peer(time.Second, 92, 148), ConnConnected},
		}},
		{"traffic keeps a stale handshake connected", []step{
			{time.Second, peer(time.Second, 92, 148), ConnConnected},
			{200 * time.Second, peer(time.Second, 5000, 6000), ConnConnected},
		}},
		{"sent unanswered after the session expired", []step{
			{time.Second, peer(time.Second, 92, 148), ConnConnected},
			{300 * time.Second, peer(time.Second, 92, 300), ConnConnected},
			{309 * time.Second, peer(time.Second, 92, 600), ConnConnected},
			{310 * time.Second, peer(time.Second, 92, 700), ConnNoHandshake},
			{315 * time.Second, peer(314*time.Second, 184, 800), ConnConnected},
		}},
		{"a handshake after the unanswered packets clears the wait", []step{
			{time.Second, peer(time.Second, 92, 148), ConnConnected},
			{300 * time.Second, peer(time.Second, 92, 300), ConnConnected},
			{302 * time.Second, peer(301*time.Second, 92, 400), ConnConnected},
			{400 * time.Second, peer(301*time.Second, 92, 400), ConnConnected},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := newConnTracker(t0, ConnTimes{})
			for i, s := range c.steps {
				if got := tr.update(s.peers, at(s.at)); got != s.want {
					t.Fatalf("step %d at %s: %s, want %s", i, s.at, got, s.want)
				}
			}
		})
	}
}

// The manager shows the state in Get and tells subscribers: a tunnel
// whose peer answers becomes connected; one whose peer does not becomes
// no_handshake after NoHandshakeAfter, also with nobody subscribed (the
// watcher polls while the state can change with time alone).
func TestManagerConnectionStates(t *testing.T) {
	times := func(o *ManagerOptions) {
		o.Conn = ConnTimes{NoHandshakeAfter: 300 * time.Millisecond, Poll: 20 * time.Millisecond}
	}

	t.Run("no answer, nobody subscribed", func(t *testing.T) {
		l := newLab(t)
		m := newTestManager(t, l, t.TempDir(), times)
		if err := m.Import("home", splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")); err != nil {
			t.Fatal(err)
		}
		if err := m.Up(context.Background(), "home"); err != nil {
			t.Fatal(err)
		}
		if got := mustGet(t, m, "home").Connection; got != ConnConnecting {
			t.Fatalf("right after up: %q, want connecting", got)
		}
		// The watcher, not Get, must move it: look at the stored state.
		deadline := time.Now().Add(5 * time.Second)
		for {
			m.mu.Lock()
			got := m.tunnels["home"].conn.state
			m.mu.Unlock()
			if got == ConnNoHandshake {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("state %q 5s after up, want no_handshake", got)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if got := mustGet(t, m, "home").Connection; got != ConnNoHandshake {
			t.Errorf("Get: %q, want no_handshake", got)
		}
		if err := m.Down(context.Background(), "home"); err != nil {
			t.Fatal(err)
		}
		if got := mustGet(t, m, "home").Connection; got != "" {
			t.Errorf("inactive tunnel shows connection %q", got)
		}
	})

	t.Run("the router answers", func(t *testing.T) {
		l := newLab(t)
		ck := mustKey(t)
		r := l.newRouter(ck)
		m := newTestManager(t, l, t.TempDir(), times)
		if err := m.Import("office", clientConfig(ck, r)); err != nil {
			t.Fatal(err)
		}
		events, cancel := m.Subscribe()
		defer cancel()
		if err := m.Up(context.Background(), "office"); err != nil {
			t.Fatal(err)
		}
		ev := nextEvent(t, events, "office", EventState)
		for ev.Tunnel.State != StateActive {
			ev = nextEvent(t, events, "office", EventState)
		}
		if ev.Tunnel.Connection != ConnConnecting {
			t.Errorf("the active event says %q, want connecting", ev.Tunnel.Connection)
		}
		// A packet makes the device handshake.
		sendPacket(t, l.tun("office").ch, r.tun, clientIP, routerIP)
		ev = nextEvent(t, events, "office", EventConnection, EventState)
		if ev.Tunnel.State != StateActive || ev.Tunnel.Connection != ConnConnected {
			t.Errorf("after the handshake: %s/%q, want active/connected", ev.Tunnel.State, ev.Tunnel.Connection)
		}
	})
}
