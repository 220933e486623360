package tunnel

// Following an endpoint whose host name changes address (a router on
// dynamic DNS, RouterOS's IP Cloud *.sn.mynetname.net). wg-quick, like
// StartEngine, resolves names once; when the router's address changes the
// tunnel is lost until it is switched off and on. The engine looks the
// names up again, as wireguard-tools' reresolve-dns.sh does, when
//   - a peer's latest handshake is older than Reresolve (135 s: a healthy
//     session handshakes every 2 minutes while packets flow),
//   - the network changed (Linux: netlink link, address and route
//     updates; macOS and Windows: the Network's Watcher, rewatch.go),
//   - the system resumed from sleep (Linux: logind's PrepareForSleep).
// A new address is set on the running device over UAPI (the session and
// its keys stay) and in the network settings, so that the kill switch and
// the endpoint's host route follow it.

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/wgdesk/wgdesk/config"
)

// DefaultReresolve is how old a peer's latest handshake may grow before
// its endpoint's name is looked up again.
const DefaultReresolve = 135 * time.Second

// hostPeer is a peer whose endpoint is a host name.
type hostPeer struct {
	index int // in cfg.Peers
	key   config.Key
	host  string
	port  uint16
}

func hostPeersOf(cfg *config.Config) []hostPeer {
	var out []hostPeer
	for i, p := range cfg.Peers {
		if p.Endpoint.IsZero() {
			continue
		}
		if _, err := netip.ParseAddr(p.Endpoint.Host); err == nil {
			continue
		}
		out = append(out, hostPeer{index: i, key: p.PublicKey, host: p.Endpoint.Host, port: p.Endpoint.Port})
	}
	return out
}

// ddnsCheckEvery is how often the handshakes are read to find stale
// peers: a ninth of the threshold (15 s for 135 s), at least a second.
func ddnsCheckEvery(reresolve time.Duration) time.Duration {
	return min(max(reresolve/9, time.Second), 15*time.Second)
}

// startDDNS starts the re-resolution loop when a peer's endpoint is a
// host name. Called once, after a successful up.
func (e *Engine) startDDNS() {
	peers := hostPeersOf(e.cfg)
	if len(peers) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	e.mu.Lock()
	e.ddnsKick = make(chan string, 1)
	e.stopDDNS = func() {
		cancel()
		<-done
	}
	e.mu.Unlock()
	go func() {
		defer close(done)
		e.ddns(ctx, peers)
	}()
}

// kickDDNS asks the loop to look every name up again, once the burst of
// changes that caused it settled. It never blocks; without the loop it
// does nothing.
func (e *Engine) kickDDNS(reason string) {
	e.mu.Lock()
	kick := e.ddnsKick
	e.mu.Unlock()
	if kick == nil {
		return
	}
	select {
	case kick <- reason:
	default: // one is pending already
	}
}

// ddns is the loop of startDDNS; it returns once ctx ended and its
// watchers stopped.
func (e *Engine) ddns(ctx context.Context, peers []hostPeer) {
	var wg sync.WaitGroup
	defer wg.Wait()
	watch := func(what string, f func(context.Context, func()) error, reason string) {
		if f == nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx, func() { e.kickDDNS(reason) }); err != nil && ctx.Err() == nil {
				e.log.Verbose("endpoint names: %s not watched: %v", what, err)
			}
		}()
	}
	watch("network changes", e.deps.watchLinks, "the network changed")
	watch("resume from sleep", e.deps.watchResume, "the system resumed")

	start := time.Now()
	tick := time.NewTicker(ddnsCheckEvery(e.reresolve))
	defer tick.Stop()
	settle := e.deps.newSettleTimer()
	defer settle.Stop()
	pending := ""
	for {
		select {
		case <-ctx.Done():
			return
		case reason := <-e.ddnsKick:
			pending = reason
			settle.Reset()
		case <-settle.C():
			e.lookUpAgain(ctx, peers, pending)
		case now := <-tick.C:
			e.reresolveStale(ctx, peers, start, now)
		}
	}
}

// reresolveStale looks up again the names of the peers whose latest
// handshake (or, without one, the start) is older than e.reresolve.
func (e *Engine) reresolveStale(ctx context.Context, peers []hostPeer, start, now time.Time) {
	stats, err := e.Stats()
	if err != nil {
		return
	}
	latest := map[config.Key]time.Time{}
	for _, s := range stats {
		latest[s.PublicKey] = s.LastHandshake
	}
	var stale []hostPeer
	for _, p := range peers {
		last := latest[p.key]
		if last.IsZero() {
			last = start
		}
		if now.Sub(last) >= e.reresolve {
			stale = append(stale, p)
		}
	}
	if len(stale) > 0 {
		e.lookUpAgain(ctx, stale, fmt.Sprintf("no handshake for %s", e.reresolve))
	}
}

// lookUpAgain looks the peers' names up and gives the device and the
// network settings each address that changed. A failed lookup is logged
// and the old address kept: the next trigger tries again. why says what
// triggered it, for the log.
func (e *Engine) lookUpAgain(ctx context.Context, peers []hostPeer, why string) {
	changed := false
	for _, p := range peers {
		addrs, err := e.deps.Resolve(ctx, p.host)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			e.log.Verbose("endpoint of peer %d: look up %s again (%s): %v", p.index+1, p.host, why, err)
			continue
		}
		addr, ok := pickAddr(addrs)
		if !ok {
			e.log.Verbose("endpoint of peer %d: %s has no addresses (%s)", p.index+1, p.host, why)
			continue
		}
		next := netip.AddrPortFrom(addr.Unmap(), p.port)
		e.mu.Lock()
		old, dev, closed := e.endpoints[p.index], e.dev, e.closed
		e.mu.Unlock()
		if next == old || closed || dev == nil {
			continue
		}
		// Only the endpoint: update_only keeps the peer's keys, allowed
		// IPs and session; the text names no secret.
		uapi := "public_key=" + hex.EncodeToString(p.key[:]) + "\nupdate_only=true\nendpoint=" + next.String() + "\n"
		if err := dev.IpcSet(uapi); err != nil {
			e.log.Error("endpoint of peer %d: set %s (%s now resolves to it): %v", p.index+1, next, p.host, err)
			continue
		}
		e.mu.Lock()
		e.endpoints[p.index] = next
		e.mu.Unlock()
		changed = true
		e.log.Verbose("endpoint of peer %d: %s moved from %s to %s (%s); the tunnel follows without restarting", p.index+1, p.host, old, next, why)
	}
	if changed {
		e.applyEndpoints(ctx)
	}
}

// applyEndpoints gives the network settings the current endpoints: the
// kill switch lets WireGuard out to them, and on macOS and Windows their
// host routes follow.
func (e *Engine) applyEndpoints(ctx context.Context) {
	e.applyMu.Lock()
	defer e.applyMu.Unlock()
	e.mu.Lock()
	closed, ifname, s := e.closed, e.ifname, e.settings
	var eps []netip.AddrPort
	for _, ep := range e.endpoints {
		if ep.IsValid() {
			eps = append(eps, ep)
		}
	}
	e.mu.Unlock()
	if closed || ctx.Err() != nil {
		return
	}
	s.Endpoints = eps
	if err := e.deps.Network.Apply(ctx, ifname, s); err != nil {
		if ctx.Err() == nil {
			e.log.Error("endpoint moved: apply the settings of %s again: %v", ifname, err)
		}
		return
	}
	e.mu.Lock()
	e.settings = s
	e.mu.Unlock()
}
