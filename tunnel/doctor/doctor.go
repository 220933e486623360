// Package doctor diagnoses a tunnel that is up but passes nothing: it runs
// a fixed list of checks in the service (which has the privileges and the
// device) and says for each what it saw, what is wrong and, when the fix
// is on a RouterOS router, the command from the RouterOS manual filled
// with this tunnel's values.
//
// The checks are portable; what they ask the OS (name lookups, the route
// to the endpoint, pings and DNS queries bound to the tunnel interface,
// the directly connected subnets) goes through the Probes seam, so that
// every verdict is unit-tested with a fake. The Linux probes are in
// probes_linux.go; elsewhere the checks that need them say "skipped".
package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/platform"
	"github.com/wgdesk/wgdesk/tunnel"
)

// Verdict is the outcome of one check.
type Verdict string

const (
	OK      Verdict = "ok"
	Warn    Verdict = "warn"
	Fail    Verdict = "fail"
	Skipped Verdict = "skipped"
)

// Check ids, stable for scripts reading `wgdesk doctor --json`.
const (
	CheckEndpoint  = "endpoint"
	CheckHandshake = "handshake"
	CheckTraffic   = "traffic"
	CheckDNS       = "dns"
	CheckMTU       = "mtu"
	CheckLAN       = "lan"
)

// Check is one check's result.
type Check struct {
	ID      string  `json:"id"`
	Title   string  `json:"title"`
	Verdict Verdict `json:"verdict"`
	// Seen is what the check observed, in a sentence or two.
	Seen string `json:"seen"`
	// Fix says what to do when the verdict is warn or fail; "" otherwise.
	Fix string `json:"fix,omitempty"`
	// RouterOS are commands to type on the router, from the RouterOS
	// manual, filled with this tunnel's values.
	RouterOS []string `json:"routeros,omitempty"`
}

// Report is the doctor's answer for one tunnel. It holds no secret: our
// public key is the one key it may name.
type Report struct {
	Tunnel    string `json:"tunnel"`
	Interface string `json:"interface"`
	// BroughtUp: the tunnel was inactive, the doctor activated it for the
	// checks and took it down again.
	BroughtUp bool    `json:"brought_up,omitempty"`
	Checks    []Check `json:"checks"`
}

// Worst is the most serious verdict of the report (fail, warn, ok);
// skipped checks do not count.
func (r Report) Worst() Verdict {
	worst := OK
	for _, c := range r.Checks {
		switch {
		case c.Verdict == Fail:
			return Fail
		case c.Verdict == Warn:
			worst = Warn
		}
	}
	return worst
}

// Route is the kernel's choice for a destination.
type Route struct {
	Interface string
	Gateway   netip.Addr // invalid: on link
	Source    netip.Addr // invalid: not chosen
}

// ErrNoReply is what Probes.Ping and Probes.DNS return when nothing came
// back within the timeout.
var ErrNoReply = errors.New("no reply")

// Probes is what the checks ask the OS. Implementations must be safe for
// use by one Run at a time and must send nothing outside the tunnel
// interface they are given, except name lookups.
type Probes interface {
	// Resolve looks host up as the service does at activation.
	Resolve(ctx context.Context, host string) ([]netip.Addr, error)
	// RouteTo is the route the kernel picks for dst for a packet carrying
	// fwmark mark (0: none), as `ip route get DST mark MARK` shows it.
	RouteTo(ctx context.Context, dst netip.Addr, mark uint32) (Route, error)
	// Ping sends one ICMP echo request from src to dst, out of ifname
	// only, as an IP packet of size bytes with Don't Fragment set, and
	// waits up to timeout for the reply: nil when it came, ErrNoReply
	// when nothing did, another error when it could not be sent (a size
	// above the interface's MTU, say).
	Ping(ctx context.Context, ifname string, src, dst netip.Addr, size int, timeout time.Duration) error
	// DNS sends a query for the root's NS records from src to server port
	// 53 over UDP out of ifname only, and returns the answer's RCODE, or
	// ErrNoReply, or the error that ended the wait (a port unreachable).
	DNS(ctx context.Context, ifname string, src, server netip.Addr, timeout time.Duration) (rcode int, err error)
	// MTU is the interface's MTU.
	MTU(ctx context.Context, ifname string) (int, error)
	// Connected lists the directly connected subnets of every interface
	// but skip (the tunnel's), as platform.ConnectedSubnetsOf does for
	// the collision warning at import and activation.
	Connected(ctx context.Context, skip string) ([]config.LocalSubnet, error)
}

// Doctor runs the checks for tunnels of a service.
type Doctor struct {
	Svc    tunnel.Service
	Probes Probes
	// HandshakeWait is how long a tunnel without a handshake gets after
	// the doctor's first ping before it counts the initiations as
	// unanswered (default 6s: wireguard-go sends one at once and another
	// after 5s).
	HandshakeWait time.Duration
	// Poll is how often the figures are read while waiting (default
	// 250ms).
	Poll time.Duration
	// PingTimeout bounds each ping and DNS query (default 1s).
	PingTimeout time.Duration
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger platform.Logger
}

func (d *Doctor) defaults() {
	if d.HandshakeWait <= 0 {
		d.HandshakeWait = 6 * time.Second
	}
	if d.Poll <= 0 {
		d.Poll = 250 * time.Millisecond
	}
	if d.PingTimeout <= 0 {
		d.PingTimeout = time.Second
	}
}

// Run diagnoses the tunnel name. An inactive tunnel is activated for the
// checks and taken down again afterwards (Report.BroughtUp). The error
// is for what keeps the checks from running at all: no such tunnel, or
// an activation that failed.
func (d *Doctor) Run(ctx context.Context, name string) (Report, error) {
	d.defaults()
	info, err := d.Svc.Get(name)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Tunnel: name}
	if info.State != tunnel.StateActive {
		d.Logger.Verbose("doctor: bringing %q up for the checks", name)
		if err := d.Svc.Up(ctx, name); err != nil {
			return Report{}, fmt.Errorf("bring %s up for the checks: %w", name, err)
		}
		rep.BroughtUp = true
		defer func() {
			// The request's context may be over; the tunnel must go down.
			dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := d.Svc.Down(dctx, name); err != nil {
				d.Logger.Error("doctor: take %q down after the checks: %v", name, err)
			}
		}()
		if info, err = d.Svc.Get(name); err != nil {
			return Report{}, err
		}
	}
	rep.Interface = info.Interface
	r := &run{d: d, name: name, info: info, cfg: info.Config}
	rep.Checks = r.all(ctx)
	return rep, nil
}

// run is one diagnosis: what the checks learn from each other.
type run struct {
	d    *Doctor
	name string
	info tunnel.TunnelInfo
	cfg  *config.Config // redacted

	peer      *config.Peer // the peer the checks are about
	handshake bool         // the peer has a handshake
	target    netip.Addr   // what the traffic check pings
	src       netip.Addr   // our tunnel address of target's family
	traffic   bool         // the target answered
}

func (r *run) all(ctx context.Context) []Check {
	if r.cfg == nil || r.info.Interface == "" {
		return []Check{{ID: CheckHandshake, Title: titles[CheckHandshake], Verdict: Skipped,
			Seen: "The tunnel is not active."}}
	}
	for i := range r.cfg.Peers {
		if !r.cfg.Peers[i].Endpoint.IsZero() {
			r.peer = &r.cfg.Peers[i]
			break
		}
	}
	r.target, r.src = pingTarget(r.cfg)
	return []Check{
		r.endpoint(ctx),
		r.handshakeCheck(ctx),
		r.trafficCheck(ctx),
		r.dns(ctx),
		r.mtu(ctx),
		r.lan(ctx),
	}
}

var titles = map[string]string{
	CheckEndpoint:  "Endpoint",
	CheckHandshake: "Handshake",
	CheckTraffic:   "Traffic through the tunnel",
	CheckDNS:       "DNS through the tunnel",
	CheckMTU:       "MTU",
	CheckLAN:       "Local networks",
}

func check(id string, v Verdict, seen string) Check {
	return Check{ID: id, Title: titles[id], Verdict: v, Seen: seen}
}

// peerStats returns the live figures of r.peer.
func (r *run) peerStats() (tunnel.PeerStats, bool) {
	info, err := r.d.Svc.Get(r.name)
	if err != nil {
		return tunnel.PeerStats{}, false
	}
	for _, p := range info.Peers {
		if p.PublicKey == r.peer.PublicKey {
			return p, true
		}
	}
	return tunnel.PeerStats{}, false
}

// pingTarget chooses what the traffic check pings: the first DNS server
// the tunnel routes, else the first host of our own Address's network
// (the router's tunnel address in RouterOS's road warrior setup), else
// the first host of the first AllowedIPs network that is not a default
// route; and our address of the same family as the source.
func pingTarget(cfg *config.Config) (target, src netip.Addr) {
	routes := tunnel.TunnelRoutes(cfg)
	routed := func(a netip.Addr) bool {
		for _, p := range routes {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	var cands []netip.Addr
	for _, s := range cfg.Interface.DNS {
		if routed(s) {
			cands = append(cands, s)
		}
	}
	for _, a := range cfg.Interface.Addresses {
		if a.Bits() < a.Addr().BitLen()-1 {
			if h := firstHost(a.Masked()); h != a.Addr() && routed(h) {
				cands = append(cands, h)
			}
		}
	}
	for _, p := range routes {
		if p.Bits() > 1 {
			cands = append(cands, firstHost(p))
		}
	}
	// IPv4 first: the probes speak ICMP for IPv4.
	for _, want4 := range []bool{true, false} {
		for _, c := range cands {
			if c.Is4() != want4 {
				continue
			}
			if s := ourAddr(cfg, c); s.IsValid() {
				return c, s
			}
		}
	}
	return netip.Addr{}, netip.Addr{}
}

func firstHost(p netip.Prefix) netip.Addr {
	if p.Bits() >= p.Addr().BitLen()-1 {
		return p.Addr()
	}
	return p.Masked().Addr().Next()
}

// ourAddr is our tunnel address of a's family.
func ourAddr(cfg *config.Config, a netip.Addr) netip.Addr {
	for _, p := range cfg.Interface.Addresses {
		if p.Addr().Is4() == a.Is4() {
			return p.Addr()
		}
	}
	return netip.Addr{}
}

// fwmark is the mark the device puts on its own packets, as the engine
// chooses it: the config's, or the policy table of a full tunnel.
func fwmark(cfg *config.Config) uint32 {
	if cfg.Interface.FwMark != 0 {
		return cfg.Interface.FwMark
	}
	p, err := platform.NewPlan("doctor", platform.Settings{Routes: tunnel.TunnelRoutes(cfg), Table: cfg.Interface.Table})
	if err != nil {
		return 0
	}
	return p.PolicyTable
}
