package tunnel

// Connection states of an active tunnel. "Active" says only that the
// interface is up; whether anything passes is told by the peers'
// handshakes and traffic, read from the device. A tunnel that is up but
// never handshakes is the most reported symptom ("it says connected but
// nothing passes"), so the service derives the state once, here, and the
// CLI, the app, the tray and the notifications show the same thing.

import "time"

// Connection is what an active tunnel's handshakes say about it.
type Connection string

const (
	// ConnConnecting: up, no handshake yet, for less than
	// ConnTimes.NoHandshakeAfter.
	ConnConnecting Connection = "connecting"
	// ConnConnected: the latest handshake is younger than
	// ConnTimes.Fresh or traffic comes in; also an idle tunnel whose
	// session expired while nothing was sent (WireGuard handshakes only
	// when there is something to send).
	ConnConnected Connection = "connected"
	// ConnNoHandshake: no handshake within NoHandshakeAfter of the
	// start, or packets went out after the session expired and no
	// handshake answered them within NoHandshakeAfter.
	ConnNoHandshake Connection = "no_handshake"
)

// ConnTimes are the thresholds of the connection state; tests shorten
// them. Zero fields take the defaults.
type ConnTimes struct {
	// NoHandshakeAfter is how long a tunnel may wait for a handshake
	// before it is ConnNoHandshake (default 10s).
	NoHandshakeAfter time.Duration
	// Fresh is how long a handshake keeps a tunnel ConnConnected
	// (default 3 minutes: WireGuard's Reject-After-Time, after which the
	// session's keys are dropped).
	Fresh time.Duration
	// Poll is how often the handshakes are read while a tunnel is
	// connecting or without a handshake and nobody subscribes (default
	// 2s). Connected tunnels are not polled then: Get and List read
	// afresh for their callers.
	Poll time.Duration
}

func (c ConnTimes) withDefaults() ConnTimes {
	if c.NoHandshakeAfter <= 0 {
		c.NoHandshakeAfter = 10 * time.Second
	}
	if c.Fresh <= 0 {
		c.Fresh = 3 * time.Minute
	}
	if c.Poll <= 0 {
		c.Poll = 2 * time.Second
	}
	return c
}

// connTracker derives the Connection of one activation from successive
// readings of its peers. The zero value is not ready: use newConnTracker.
type connTracker struct {
	start time.Time // when the tunnel became active
	times ConnTimes
	state Connection
	// handshook: a handshake happened in this activation.
	handshook bool

	read   bool   // a reading was taken
	rx, tx uint64 // sums at the last reading
	// rxAt is the reading at which rx last grew (zero: not since start).
	rxAt time.Time
	// waitSince is the first reading at which tx grew with no rx since
	// the last growth of rx: packets that went out unanswered.
	waitSince time.Time
}

func newConnTracker(start time.Time, times ConnTimes) *connTracker {
	return &connTracker{start: start, times: times.withDefaults(), state: ConnConnecting}
}

// update takes a reading of the peers at now and returns the state. With
// no reading (peers nil) only the passing of time counts.
func (c *connTracker) update(peers []PeerStats, now time.Time) Connection {
	var latest time.Time
	var rx, tx uint64
	for _, p := range peers {
		if p.LastHandshake.After(latest) {
			latest = p.LastHandshake
		}
		rx += p.RxBytes
		tx += p.TxBytes
	}
	if peers != nil {
		switch {
		case !c.read && rx > 0, c.read && rx > c.rx:
			c.rxAt, c.waitSince = now, time.Time{}
		case (!c.read && tx > 0 || c.read && tx > c.tx) && c.waitSince.IsZero():
			c.waitSince = now
		}
		c.read, c.rx, c.tx = true, rx, tx
	}
	if !latest.IsZero() {
		c.handshook = true
	}
	if !c.waitSince.IsZero() && latest.After(c.waitSince) {
		c.waitSince = time.Time{} // a handshake answered
	}
	c.state = c.stateAt(latest, now)
	return c.state
}

func (c *connTracker) stateAt(latest, now time.Time) Connection {
	t := c.times
	if latest.IsZero() {
		if now.Sub(c.start) < t.NoHandshakeAfter {
			return ConnConnecting
		}
		return ConnNoHandshake
	}
	if now.Sub(latest) < t.Fresh || (!c.rxAt.IsZero() && now.Sub(c.rxAt) < t.Fresh) {
		return ConnConnected
	}
	// The session expired. Idle is fine; sending without an answer is
	// not.
	if !c.waitSince.IsZero() && now.Sub(c.waitSince) >= t.NoHandshakeAfter {
		return ConnNoHandshake
	}
	return ConnConnected
}

// polled reports whether the state may change with time alone and must
// be read even while nobody subscribes.
func (c *connTracker) polled() bool { return c.state != ConnConnected }

// noteConnLocked updates t's connection state with a reading of its peers
// (nil: none, only time passed) and, when the state changes, logs it and
// tells subscribers with an EventConnection.
func (m *Manager) noteConnLocked(t *managed, peers []PeerStats, now time.Time) {
	if t.conn == nil || t.state != StateActive {
		return
	}
	was := t.conn.state
	now2 := t.conn.update(peers, now)
	if now2 == was {
		return
	}
	switch now2 {
	case ConnConnected:
		m.log.Verbose("tunnel %s: connected: the peer answered a handshake", t.name)
	case ConnNoHandshake:
		if t.conn.handshook {
			m.log.Error("tunnel %s: no handshake: the session expired and the peer has not answered for %s (it went away, its address changed, or its firewall drops the port now)", t.name, t.conn.times.NoHandshakeAfter)
		} else {
			m.log.Error("tunnel %s: no handshake with the peer within %s: it does not answer (its firewall drops the port, or it does not know this key)", t.name, t.conn.times.NoHandshakeAfter)
		}
	}
	m.emitLocked(EventConnection, t)
}
