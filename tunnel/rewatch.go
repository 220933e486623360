package tunnel

// Applying a tunnel's settings again when the uplink changes. On macOS and
// Windows the endpoints' host routes point at the uplink's gateway and the
// automatic MTU follows the uplink's, both computed at Apply; when the
// laptop moves from Wi-Fi to Ethernet they must be computed again, or the
// handshakes go to a gateway that is gone. The Network says when through
// platform.Watcher; Linux's does not need to (its policy rules follow the
// uplink) and does not implement it.

import (
	"context"
	"sync"
	"time"

	"github.com/wgdesk/wgdesk/platform"
)

// rewatchSettle is how long the network must be quiet after a change before
// the settings are applied again: a move to another network comes as a
// burst of route, address and interface messages.
const rewatchSettle = time.Second

// settleTimer is the burst timer of the re-apply loop. Reset may be called
// from any goroutine and starts the full delay again; C delivers once the
// delay passed without a Reset. Tests replace it with one they fire.
type settleTimer interface {
	C() <-chan time.Time
	Reset()
	Stop()
}

// realSettleTimer is a settleTimer on a time.Timer.
type realSettleTimer struct {
	mu sync.Mutex // time.Timer does not promise concurrent Resets
	t  *time.Timer
	d  time.Duration
}

func newRealSettleTimer(d time.Duration) settleTimer {
	t := time.NewTimer(d)
	t.Stop()
	return &realSettleTimer{t: t, d: d}
}

func (r *realSettleTimer) C() <-chan time.Time { return r.t.C }

func (r *realSettleTimer) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.t.Reset(r.d) // since Go 1.23 no stale tick survives a Reset
}

func (r *realSettleTimer) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.t.Stop()
}

// startRewatch starts the re-apply loop when the Network can watch. It is
// called once, after a successful up.
func (e *Engine) startRewatch() {
	w, ok := e.deps.Network.(platform.Watcher)
	if !ok {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	e.mu.Lock()
	e.stopRewatch = func() {
		cancel()
		<-done
	}
	e.mu.Unlock()
	go func() {
		defer close(done)
		e.rewatch(ctx, w)
	}()
}

// rewatch runs Watch and applies the settings again once each burst of
// changes has settled, until ctx ends. It returns only after Watch has, so
// that nothing of it outlives Close.
func (e *Engine) rewatch(ctx context.Context, w platform.Watcher) {
	t := e.deps.newSettleTimer()
	defer t.Stop()
	watchErr := make(chan error, 1)
	go func() { watchErr <- w.Watch(ctx, t.Reset) }()
	for {
		select {
		case <-ctx.Done():
			<-watchErr
			return
		case err := <-watchErr:
			if ctx.Err() == nil {
				e.log.Error("network changes are not watched; a new uplink needs the tunnel switched off and on: %v", err)
			}
			<-ctx.Done()
			return
		case <-t.C():
			e.reapply(ctx)
			// A new network may reach the endpoints' names at other
			// addresses (ddns.go).
			e.kickDDNS("the network changed")
		}
	}
}

// reapply applies the engine's current settings again, with the endpoints
// as last resolved (at start, or by ddns.go). A failure is logged and the
// tunnel stays up: the next change tries again.
func (e *Engine) reapply(ctx context.Context) {
	e.applyMu.Lock()
	defer e.applyMu.Unlock()
	e.mu.Lock()
	closed, ifname, s := e.closed, e.ifname, e.settings
	e.mu.Unlock()
	if closed || ctx.Err() != nil {
		return
	}
	if err := e.deps.Network.Apply(ctx, ifname, s); err != nil {
		if ctx.Err() != nil {
			e.log.Verbose("network changed: applying settings to %s again was cut short by the tunnel going down", ifname)
			return
		}
		e.log.Error("network changed: apply settings to %s again: %v", ifname, err)
		return
	}
	e.log.Verbose("network changed: settings applied again on %s", ifname)
}
