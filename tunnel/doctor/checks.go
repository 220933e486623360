package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/wgdesk/wgdesk/tunnel"
)

// pingSize is the size of the traffic check's pings: ping(8)'s default
// (56 bytes of data, 84 bytes as an IPv4 packet).
const pingSize = 84

// replaceIf is the sentence every fix with a peers line carries.
const replaceIf = " Replace wireguard1 with the name of the router's WireGuard interface."

func unsupported(id string, err error) (Check, bool) {
	if errors.Is(err, errors.ErrUnsupported) {
		return check(id, Skipped, "This check is not available on this system yet."), true
	}
	return Check{}, false
}

func (r *run) endpoint(ctx context.Context) Check {
	if r.peer == nil {
		return check(CheckEndpoint, Skipped, "No peer has an endpoint: the other side must connect to us.")
	}
	host := r.peer.Endpoint.Host
	var addrs []netip.Addr
	seen := ""
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
		seen = fmt.Sprintf("The endpoint is the address %s.", a)
	} else {
		addrs, err = r.d.Probes.Resolve(ctx, host)
		if err == nil && len(addrs) == 0 {
			err = errors.New("no address")
		}
		if err != nil {
			c := check(CheckEndpoint, Fail, fmt.Sprintf("%s does not resolve: %v.", host, err))
			c.Fix = "Check the name in the tunnel's Endpoint and this computer's DNS. A RouterOS IP Cloud name (…sn.mynetname.net) resolves only while IP Cloud's DDNS is enabled on the router."
			return c
		}
		var list []string
		for _, a := range addrs {
			list = append(list, a.String())
		}
		seen = fmt.Sprintf("%s resolves to %s.", host, strings.Join(list, ", "))
	}
	dst := addrs[0].Unmap()
	rt, err := r.d.Probes.RouteTo(ctx, dst, fwmark(r.cfg))
	if c, ok := unsupported(CheckEndpoint, err); ok {
		c.Verdict, c.Seen = OK, seen+" The route to it is not checked on this system yet."
		return c
	}
	if err != nil {
		c := check(CheckEndpoint, Fail, fmt.Sprintf("%s There is no route to %s: %v.", seen, dst, err))
		c.Fix = "This computer has no way to the router: check its network connection."
		return c
	}
	if rt.Interface == r.info.Interface {
		c := check(CheckEndpoint, Fail, fmt.Sprintf("%s Packets to %s would go into the tunnel itself (%s).", seen, dst, rt.Interface))
		c.Fix = "The tunnel's own packets must leave by the network connection. Another VPN or a route added by hand sends them into the tunnel: remove it, or take the endpoint's address out of AllowedIPs."
		return c
	}
	via := ""
	if rt.Gateway.IsValid() {
		via = " via " + rt.Gateway.String()
	}
	return check(CheckEndpoint, OK, fmt.Sprintf("%s Packets to it leave by %s%s, outside the tunnel.", seen, rt.Interface, via))
}

func (r *run) handshakeCheck(ctx context.Context) Check {
	if r.peer == nil {
		return check(CheckHandshake, Skipped, "No peer has an endpoint; this computer waits for the other side.")
	}
	st, ok := r.peerStats()
	if !ok {
		return check(CheckHandshake, Fail, "The tunnel's device does not list its peer.")
	}
	last := st.LastHandshake
	if !last.IsZero() && r.d.now().Sub(last) < sessionLife {
		r.handshake = true
		return check(CheckHandshake, OK, fmt.Sprintf("The last handshake with %s was %s ago.", r.peer.Endpoint, ago(r.d.now().Sub(last))))
	}
	// No handshake, or one too old to carry a session: wait for a new one.
	tx0, rx0 := st.TxBytes, st.RxBytes
	// A packet into the tunnel makes the device send a handshake
	// initiation at once (and again every 5 s while it waits).
	if dst, src := r.trigger(); dst.IsValid() {
		go r.d.Probes.Ping(ctx, r.info.Interface, src, dst, pingSize, r.d.HandshakeWait)
	}
	start := time.Now()
	deadline := time.NewTimer(r.d.HandshakeWait)
	defer deadline.Stop()
	tick := time.NewTicker(r.d.Poll)
	defer tick.Stop()
	for waiting := true; waiting; {
		select {
		case <-ctx.Done():
			return check(CheckHandshake, Skipped, "The check was cancelled.")
		case <-deadline.C:
			waiting = false
		case <-tick.C:
		}
		if st2, ok := r.peerStats(); ok {
			st = st2
		}
		if st.LastHandshake.After(last) {
			r.handshake = true
			return check(CheckHandshake, OK, fmt.Sprintf("A handshake with %s came %s after the doctor's first packet.", r.peer.Endpoint, ago(time.Since(start))))
		}
	}
	waited := ago(r.d.HandshakeWait)
	before := ""
	if !last.IsZero() {
		before = fmt.Sprintf("The last handshake was %s ago, and none came since. ", ago(r.d.now().Sub(last)))
	}
	if st.TxBytes == tx0 {
		c := check(CheckHandshake, Fail, fmt.Sprintf("%sNo handshake, and in %s this computer sent nothing to %s.", before, waited, r.peer.Endpoint))
		c.Fix = "The device sends no handshake initiation: see the endpoint check, and the service log."
		return c
	}
	c := check(CheckHandshake, Fail, fmt.Sprintf("%sNo handshake: in %s this computer sent %d bytes of handshake initiations to %s and received %d bytes.",
		before, waited, st.TxBytes-tx0, r.peer.Endpoint, st.RxBytes-rx0))
	c.Fix = fmt.Sprintf("The router drops the initiations, or it does not know this computer's public key %s; the two look the same from here. "+
		"On the router, accept UDP port %d in the input chain (the first line) and add this computer as a peer with its key and address (the second line; if a peer with this key exists, check its public-key and allowed-address instead)."+replaceIf,
		r.cfg.Interface.PublicKey(), r.peer.Endpoint.Port)
	c.RouterOS = []string{rosAllowWireGuard(r.peer.Endpoint.Port), rosAddPeer(r.cfg)}
	return c
}

// trigger is where the packet that provokes a handshake goes: the
// traffic check's target, else, for a tunnel that routes everything but
// has nothing to ping, an address of the documentation range (192.0.2.1)
// that the tunnel carries to the router like any other.
func (r *run) trigger() (dst, src netip.Addr) {
	if r.target.IsValid() {
		return r.target, r.src
	}
	doc := netip.MustParseAddr("192.0.2.1")
	for _, p := range tunnel.TunnelRoutes(r.cfg) {
		if p.Contains(doc) {
			return doc, ourAddr(r.cfg, doc)
		}
	}
	return netip.Addr{}, netip.Addr{}
}

// sessionLife is how long a handshake keeps a session usable
// (WireGuard's Reject-After-Time, 180 s): an older one proves nothing
// about the router now.
const sessionLife = 180 * time.Second

// pingTries is how many pings the traffic check and each MTU probe send
// before they call a size lost.
const pingTries = 3

func (r *run) ping(ctx context.Context, size int, tries int) error {
	var err error
	for i := 0; i < tries; i++ {
		if err = r.d.Probes.Ping(ctx, r.info.Interface, r.src, r.target, size, r.d.PingTimeout); err == nil || !errors.Is(err, ErrNoReply) {
			return err
		}
	}
	return err
}

func (r *run) trafficCheck(ctx context.Context) Check {
	switch {
	case !r.handshake:
		return check(CheckTraffic, Skipped, "Not checked without a handshake.")
	case !r.target.IsValid():
		return check(CheckTraffic, Skipped, "Nothing to ping: the tunnel routes no DNS server and no network with a host to ping.")
	}
	if !r.target.Is4() {
		return check(CheckTraffic, Skipped, "Not checked: the doctor pings IPv4 hosts, and the tunnel routes no IPv4 host to ping.")
	}
	err := r.ping(ctx, pingSize, pingTries)
	if c, ok := unsupported(CheckTraffic, err); ok {
		return c
	}
	if err == nil {
		r.traffic = true
		return check(CheckTraffic, OK, fmt.Sprintf("%s answered a ping through the tunnel from %s.", r.target, r.src))
	}
	if !errors.Is(err, ErrNoReply) {
		return check(CheckTraffic, Warn, fmt.Sprintf("The ping of %s could not be sent: %v.", r.target, err))
	}
	src := tunnelSource(r.cfg, r.target.Is4())
	c := check(CheckTraffic, Fail, fmt.Sprintf("The handshake works, but %s did not answer %d pings through the tunnel from %s.", r.target, pingTries, r.src))
	c.Fix = fmt.Sprintf("The router takes our packets but nothing comes back. Its allowed-address for this peer must hold our address %s, or it drops what we send: "+
		"if the peer with our public key has another allowed-address, remove it and add it again with the first line. "+
		"Its firewall must also accept what comes from the tunnel: the input chain for the router itself, the forward chain for the networks behind it.",
		strings.Join(hostPrefixes(r.cfg), ", ")) + replaceIf
	c.RouterOS = []string{rosAddPeer(r.cfg), rosAllowTunnelInput(src), rosAllowForward(src, r.behindRouter())}
	return c
}

// behindRouter is the first network of the tunnel beyond our own subnet,
// for the forward rule; "" for a full tunnel or when there is none.
func (r *run) behindRouter() string {
	for _, p := range tunnel.TunnelRoutes(r.cfg) {
		if p.Bits() <= 1 {
			return ""
		}
	}
	for _, p := range tunnel.TunnelRoutes(r.cfg) {
		if p.Addr().Is4() != r.target.Is4() {
			continue
		}
		mine := false
		for _, a := range r.cfg.Interface.Addresses {
			if p.Contains(a.Addr()) {
				mine = true
			}
		}
		if !mine {
			return p.String()
		}
	}
	return ""
}

func (r *run) dns(ctx context.Context) Check {
	servers := r.cfg.Interface.DNS
	if len(servers) == 0 {
		return check(CheckDNS, Skipped, "The tunnel names no DNS server.")
	}
	if !r.handshake {
		return check(CheckDNS, Skipped, "Not checked without a handshake.")
	}
	routes := tunnel.TunnelRoutes(r.cfg)
	verdict := Skipped
	var seen []string
	var failed []netip.Addr
	raise := func(v Verdict) {
		rank := map[Verdict]int{Skipped: 0, OK: 1, Warn: 2, Fail: 3}
		if rank[v] > rank[verdict] {
			verdict = v
		}
	}
	for _, s := range servers {
		routed := false
		for _, p := range routes {
			routed = routed || p.Contains(s)
		}
		src := ourAddr(r.cfg, s)
		if !routed || !src.IsValid() {
			seen = append(seen, fmt.Sprintf("%s is not reached through the tunnel; not checked.", s))
			continue
		}
		var rcode int
		var err error
		for i := 0; i < 2; i++ {
			if rcode, err = r.d.Probes.DNS(ctx, r.info.Interface, src, s, r.d.PingTimeout); !errors.Is(err, ErrNoReply) {
				break
			}
		}
		if c, ok := unsupported(CheckDNS, err); ok {
			return c
		}
		switch {
		case err != nil:
			raise(Fail)
			failed = append(failed, s)
			seen = append(seen, fmt.Sprintf("%s did not answer a query through the tunnel: %v.", s, err))
		case rcode == 5:
			raise(Fail)
			failed = append(failed, s)
			seen = append(seen, fmt.Sprintf("%s refused a query through the tunnel.", s))
		case rcode == 2:
			raise(Warn)
			seen = append(seen, fmt.Sprintf("%s answers through the tunnel but could not resolve (SERVFAIL): the router's own DNS servers may be unreachable.", s))
		default:
			raise(OK)
			seen = append(seen, fmt.Sprintf("%s answered a query through the tunnel.", s))
		}
	}
	c := check(CheckDNS, verdict, strings.Join(seen, " "))
	if len(failed) > 0 {
		src := tunnelSource(r.cfg, failed[0].Is4())
		c.Fix = "The router does not answer DNS from the tunnel. Let it answer remote requests, and accept DNS (53/udp and 53/tcp) from the tunnel's addresses in its input chain."
		c.RouterOS = rosDNS(src)
	}
	return c
}

// mtuFloor is where the MTU search starts: the traffic check's pings of
// this size passed.
const mtuFloor = pingSize

func (r *run) mtu(ctx context.Context) Check {
	switch {
	case !r.traffic:
		return check(CheckMTU, Skipped, "Not checked while nothing comes back through the tunnel.")
	case !r.target.Is4():
		return check(CheckMTU, Skipped, "Not checked: the probes need an IPv4 host to ping in the tunnel.")
	}
	mtu, err := r.d.Probes.MTU(ctx, r.info.Interface)
	if c, ok := unsupported(CheckMTU, err); ok {
		return c
	}
	if err != nil {
		return check(CheckMTU, Skipped, fmt.Sprintf("The tunnel's MTU is unknown: %v.", err))
	}
	passes := func(size int) bool { return r.ping(ctx, size, 2) == nil }
	if passes(mtu) {
		return check(CheckMTU, OK, fmt.Sprintf("Packets of the tunnel's full MTU (%d bytes) pass.", mtu))
	}
	lo, hi := mtuFloor, mtu // lo passes, hi does not
	for hi-lo > 1 {
		if ctx.Err() != nil {
			return check(CheckMTU, Skipped, "The check was cancelled.")
		}
		mid := (lo + hi) / 2
		if passes(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	c := check(CheckMTU, Warn, fmt.Sprintf("The largest packet that passes through the tunnel is %d bytes; the tunnel's MTU is %d, so larger packets are lost on the way (PPPoE and LTE lines often do this).", lo, mtu))
	c.Fix = fmt.Sprintf("Set MTU = %d in the [Interface] section of this tunnel (Edit in the app), then activate it again.", lo)
	return c
}

func (r *run) lan(ctx context.Context) Check {
	lans, err := r.d.Probes.Connected(ctx, r.info.Interface)
	if c, ok := unsupported(CheckLAN, err); ok {
		return c
	}
	if err != nil {
		return check(CheckLAN, Skipped, fmt.Sprintf("The local networks are unknown: %v.", err))
	}
	// The same check and sentences as the warning at import and
	// activation (tunnel.CollisionWarnings, on tunnel.LANOverlaps).
	ov := tunnel.CollisionWarnings(r.cfg, lans)
	if len(ov) == 0 {
		var names []string
		for _, l := range lans {
			if l.Interface == "" {
				names = append(names, l.Prefix.String())
			} else {
				names = append(names, l.Prefix.String()+" on "+l.Interface)
			}
		}
		if len(names) == 0 {
			return check(CheckLAN, OK, "This computer is on no local network the tunnel could hide.")
		}
		return check(CheckLAN, OK, "No route of the tunnel overlaps a local network ("+strings.Join(names, ", ")+").")
	}
	var seen []string
	for _, s := range ov {
		seen = append(seen, strings.ToUpper(s[:1])+s[1:]+".")
	}
	c := check(CheckLAN, Warn, strings.Join(seen, " "))
	c.Fix = "Renumber one of the two networks (usually the LAN behind the router: RouterOS uses 192.168.88.0/24 by default, as many cafés do), or take the overlapping network out of the tunnel's AllowedIPs."
	return c
}

func (d *Doctor) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// ago writes a duration as people read it: "12 s", "3 min", "0.3 s".
func ago(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < 2*time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second).Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute).Minutes()))
	default:
		return fmt.Sprintf("%d h", int(d.Round(time.Hour).Hours()))
	}
}
