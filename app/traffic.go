//go:build cgo

package app

import (
	"strings"
	"time"

	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// trafficWindow is how far back a peer's traffic graph reaches, and
// trafficSamples how many counter readings it keeps for it (the service
// sends figures about once a second).
const (
	trafficWindow  = 3 * time.Minute
	trafficSamples = 200
)

// trafficSample is one reading of a peer's byte counters.
type trafficSample struct {
	at     time.Time
	rx, tx uint64
}

// trafficRate is the traffic between two readings, in bytes per second,
// at the time of the later one.
type trafficRate struct {
	at     time.Time
	rx, tx float64
}

// trafficRing keeps the last readings of one peer's counters.
type trafficRing struct {
	buf  []trafficSample
	next int // where the next sample goes
	full bool
}

func newTrafficRing(size int) *trafficRing {
	return &trafficRing{buf: make([]trafficSample, size)}
}

// add records s, overwriting the oldest reading when the ring is full.
// A reading not later than the last one (a repeated event) is ignored.
func (r *trafficRing) add(s trafficSample) {
	if last, ok := r.last(); ok && !s.at.After(last.at) {
		return
	}
	r.buf[r.next] = s
	r.next = (r.next + 1) % len(r.buf)
	if r.next == 0 {
		r.full = true
	}
}

func (r *trafficRing) last() (trafficSample, bool) {
	if r.next == 0 && !r.full {
		return trafficSample{}, false
	}
	return r.buf[(r.next+len(r.buf)-1)%len(r.buf)], true
}

// samples lists the readings, oldest first.
func (r *trafficRing) samples() []trafficSample {
	if !r.full {
		return append([]trafficSample(nil), r.buf[:r.next]...)
	}
	return append(append([]trafficSample(nil), r.buf[r.next:]...), r.buf[:r.next]...)
}

// trafficRates turns consecutive counter readings into rates. A counter
// that went backwards (the interface was made anew) gives no rate for
// that interval but 0.
func trafficRates(s []trafficSample) []trafficRate {
	if len(s) < 2 {
		return nil
	}
	out := make([]trafficRate, 0, len(s)-1)
	for i := 1; i < len(s); i++ {
		dt := s[i].at.Sub(s[i-1].at).Seconds()
		if dt <= 0 {
			continue
		}
		r := trafficRate{at: s[i].at}
		if s[i].rx >= s[i-1].rx {
			r.rx = float64(s[i].rx-s[i-1].rx) / dt
		}
		if s[i].tx >= s[i-1].tx {
			r.tx = float64(s[i].tx-s[i-1].tx) / dt
		}
		out = append(out, r)
	}
	return out
}

// trafficKey names one peer of one tunnel in model.traffic.
func trafficKey(tunnelName, peer string) string { return tunnelName + "\x00" + peer }

// recordTraffic adds the counters of t's peers read at at; a tunnel that
// is not active loses its history, so that its next start draws afresh.
func (m *model) recordTraffic(t api.TunnelJSON, at time.Time) {
	if m.traffic == nil {
		m.traffic = map[string]*trafficRing{}
	}
	if t.State != tunnel.StateActive {
		m.forgetTraffic(t.Name)
		return
	}
	if at.IsZero() {
		return // no time, no rate
	}
	for _, p := range t.Peers {
		k := trafficKey(t.Name, p.PublicKey)
		r, ok := m.traffic[k]
		if !ok {
			r = newTrafficRing(trafficSamples)
			m.traffic[k] = r
		}
		r.add(trafficSample{at: at, rx: p.RxBytes, tx: p.TxBytes})
	}
}

func (m *model) forgetTraffic(name string) {
	prefix := trafficKey(name, "")
	for k := range m.traffic {
		if strings.HasPrefix(k, prefix) {
			delete(m.traffic, k)
		}
	}
}

// rates is the traffic of one peer of one tunnel, oldest first.
func (m *model) rates(tunnelName, peer string) []trafficRate {
	r, ok := m.traffic[trafficKey(tunnelName, peer)]
	if !ok {
		return nil
	}
	return trafficRates(r.samples())
}
