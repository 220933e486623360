package platform

// The kill switch of macOS as a pf(4) ruleset, without pfctl: pfRuleset
// turns the kill-switched tunnels into the rules of one anchor, and
// pfAnchorText renders them in pf.conf(5) syntax, the text that
// `pfctl -a <anchor> -f -` loads (macnet_pf.go) and the golden files
// (testdata/pf_*.golden) pin: the reviewable truth of what the kill switch
// does on macOS. pfrules_test.go parses that text back and decides typical
// first packets with a model of pf's evaluation, so the golden text is not
// the only check.
//
// The semantics are those of the Linux table (nftrules_linux.go), written
// for pf:
//   - Every rule is "quick": pf otherwise lets the LAST matching rule
//     decide and keeps evaluating, so a later rule of somebody else's
//     (another anchor, the main ruleset) could undo ours. With quick, the
//     first match in our anchor ends the evaluation, as nftables' first
//     verdict does, and the anchor ends in a block of everything, so no
//     packet leaves our anchor undecided.
//   - Out, in this order: loopback (lo0); the tunnels' encrypted UDP to
//     each endpoint's address and port (macOS has no fwmark: the endpoints
//     are matched as in the Linux table without a mark); DNS (udp/tcp 53,
//     tcp 853) to each tunnel's servers through its interface, then
//     refused to every other server on every interface, inside a tunnel
//     too; the tunnel interfaces; DHCPv4, DHCPv6 and neighbour discovery
//     (with the MLD reports it needs); with Allow LAN the uplinks'
//     connected subnets and mDNS. Everything else is refused.
//   - In: loopback and the tunnel interfaces (the rules above have no
//     direction); UDP from the endpoints (a peer may send its handshake
//     first); DHCP, neighbour discovery and MLD queries; with Allow LAN the
//     subnets and mDNS. The rest is dropped. Replies to what was let out
//     need no rule: pf keeps state for every pass rule that says
//     "keep state", and a packet of a known state passes before any rule
//     is evaluated.
//   - "block return" on the way out, "block drop" on the way in. A
//     refused packet of ours gets a TCP RST or an ICMP unreachable at
//     once, so an app (or mDNSResponder asking the uplink's resolver)
//     fails in milliseconds and tries the next server instead of waiting
//     for a timeout (30 s and more for a TCP connect). Inbound, drop keeps
//     the laptop silent on the hotel network, as Windows and Linux do.
//   - Loopback and the tunnel interfaces pass with "no state": their
//     packets pass one by one, so a connection opened before the anchor
//     was loaded (a local development server) is not cut for want of a
//     state, which pf's stateful TCP rules create only from a SYN.
//     Neighbour discovery, DHCP and mDNS are stateless too: they are not
//     request and reply pairs that a state would match.
//   - Several kill-switched tunnels share the anchor: each tunnel's
//     interface and encrypted traffic pass, DNS may go to the servers of
//     each through its interface, and the LAN only when every one of
//     them allows it.
//   - What pf cannot do as nftables does: there is no forward hook, so a
//     virtual machine's or Internet Sharing client's packet is filtered
//     as it comes in on the bridge: without Allow LAN it is dropped there
//     (closed, not leaking), with Allow LAN the bridge's subnet is a
//     connected subnet and passes like the LAN. And a state that pf made
//     before the anchor was loaded (a connection that the user's own pf
//     rules let out on the uplink) keeps passing: pf looks states up
//     before rules. With pf off until we enable it, there are none.

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// pfAnchor is the anchor of the kill switch. The main ruleset of macOS
// (/etc/pf.conf, loaded at boot) evaluates every anchor below com.apple
// through its `anchor "com.apple/*"` line, in the order of their names,
// so a sub-anchor there is evaluated without our touching the main
// ruleset, which belongs to the user and to macOS (see macnet_pf.go). The
// number puts it before Apple's own (200.AirDrop, 250.ApplicationFirewall):
// a quick pass in one of theirs cannot open a hole in the kill switch.
const pfAnchor = "com.apple/190.wgdesk"

// pfTunnel is the kill switch of one full tunnel.
type pfTunnel struct {
	Interface string
	// FullIPv4 and FullIPv6: the tunnel routes 0.0.0.0/0, ::/0. Only the
	// header comment uses them: a family not routed into the tunnel is
	// blocked outside it all the same.
	FullIPv4, FullIPv6 bool
	Endpoints          []netip.AddrPort
	// DNS are the only servers DNS may reach; none: DNS passes only
	// inside this tunnel.
	DNS      []netip.Addr
	AllowLAN bool
}

// pfAction is what a rule does with a packet it matches.
type pfAction string

const (
	pfPass        pfAction = "pass"
	pfBlockReturn pfAction = "block return"
	pfBlockDrop   pfAction = "block drop"
)

// pfRule is one rule of the anchor; every one is quick. Unset fields match
// anything.
type pfRule struct {
	Action pfAction
	Dir    string // "in", "out" or "" (both)
	On     string // interface
	Family string // "inet", "inet6" or "" (both)
	Proto  uint8  // ipProtoTCP, ipProtoUDP, ipProtoICMPv6; 0: any
	From   netip.Prefix
	FPort  uint16
	To     netip.Prefix
	TPort  uint16
	// ICMP6Type is the ICMPv6 type with Proto ipProtoICMPv6; -1: any.
	ICMP6Type int
	// NoState: pass each packet by itself instead of creating a state.
	NoState bool
	Comment string
}

// text renders the rule in pf.conf syntax: action, direction, quick,
// interface, family, protocol, hosts, ICMPv6 type, state, comment.
func (r pfRule) text() string {
	f := []string{string(r.Action)}
	if r.Dir != "" {
		f = append(f, r.Dir)
	}
	f = append(f, "quick")
	if r.On != "" {
		f = append(f, "on", r.On)
	}
	if r.Family != "" {
		f = append(f, r.Family)
	}
	if r.Proto != 0 {
		f = append(f, "proto", pfProtoNames[r.Proto])
	}
	if !r.From.IsValid() && !r.To.IsValid() && r.FPort == 0 && r.TPort == 0 {
		f = append(f, "all")
	} else {
		host := func(p netip.Prefix, port uint16) {
			if p.IsValid() {
				f = append(f, wfpPrefixText(p))
			} else {
				f = append(f, "any")
			}
			if port != 0 {
				f = append(f, "port", strconv.Itoa(int(port)))
			}
		}
		f = append(f, "from")
		host(r.From, r.FPort)
		f = append(f, "to")
		host(r.To, r.TPort)
	}
	if r.ICMP6Type >= 0 && r.Proto == ipProtoICMPv6 {
		f = append(f, "icmp6-type", strconv.Itoa(r.ICMP6Type))
	}
	if r.Action == pfPass {
		if r.NoState {
			f = append(f, "no", "state")
		} else {
			f = append(f, "keep", "state")
		}
	}
	return strings.Join(f, " ") + " # " + r.Comment
}

// ICMPv6 types the rules name by number (pf's names for the MLDv2 report
// vary between pf versions; numbers do not): MLD (RFC 3810) and neighbour
// discovery (RFC 4861).
const (
	pfMLDQuery      = 130
	pfRouterSolicit = 133
	pfRouterAdvert  = 134
	pfNeighSolicit  = 135
	pfNeighAdvert   = 136
	pfRedirect      = 137
	pfMLDv2Report   = 143
)

func pfHost(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, a.BitLen()) }

var pfProtoNames = map[uint8]string{ipProtoTCP: "tcp", ipProtoUDP: "udp", ipProtoICMPv6: "ipv6-icmp"}

func pfFamily(a netip.Addr) string {
	if a.Is4() {
		return "inet"
	}
	return "inet6"
}

// pfAllowLAN reports whether the LAN is allowed: only when every tunnel
// allows it (one without would leak to the LAN through another's rule).
func pfAllowLAN(tunnels []pfTunnel) bool {
	for _, t := range tunnels {
		if !t.AllowLAN {
			return false
		}
	}
	return len(tunnels) > 0
}

// pfLANPrefix is the rule's form of a connected subnet: masked, and a
// link-local one (fe80::/64 of each interface) as all of fe80::/10. The
// fe80::/64 of every link is the same prefix, so a narrower rule could not
// tell one link from another anyway, and XNU's KAME-derived IPv6 stack may
// carry an interface's scope inside a link-local address (fe80:4::1), which
// /64 would not match; Mullvad's macOS rules allow link-local as fe80::/10
// too.
func pfLANPrefix(p netip.Prefix) netip.Prefix {
	if linkLocal := netip.MustParsePrefix("fe80::/10"); linkLocal.Overlaps(p) && p.Bits() >= linkLocal.Bits() {
		return linkLocal
	}
	return p.Masked()
}

// pfRuleset returns the rules of the anchor for tunnels, in evaluation
// order; none for no tunnel. lan are the uplinks' connected subnets, used
// only when every tunnel allows the LAN.
func pfRuleset(tunnels []pfTunnel, lan []netip.Prefix) []pfRule {
	if len(tunnels) == 0 {
		return nil
	}
	var rs []pfRule
	add := func(comment string, r pfRule) {
		r.Comment = comment
		if r.Proto != ipProtoICMPv6 {
			r.ICMP6Type = -1
		}
		rs = append(rs, r)
	}
	allowLAN := pfAllowLAN(tunnels)
	if !allowLAN {
		lan = nil
	}
	lan = uniqueSorted(lan, pfLANPrefix, comparePrefix)
	var eps []netip.AddrPort
	for _, t := range tunnels {
		for _, e := range t.Endpoints {
			eps = append(eps, netip.AddrPortFrom(e.Addr().Unmap(), e.Port()))
		}
	}
	eps = uniqueSorted(eps, func(e netip.AddrPort) netip.AddrPort { return e }, netip.AddrPort.Compare)
	linkLocal := netip.MustParsePrefix("fe80::/10")
	host := func(s string) netip.Prefix { return pfHost(netip.MustParseAddr(s)) }
	dnsPorts := []struct {
		proto uint8
		port  uint16
	}{{ipProtoUDP, 53}, {ipProtoTCP, 53}, {ipProtoTCP, 853}}

	add("loopback, both ways", pfRule{Action: pfPass, On: "lo0", NoState: true})

	// Out: the encrypted UDP, on whatever interface the route takes it.
	for _, e := range eps {
		add("encrypted udp to an endpoint (no fwmark on macOS: matched by address and port)",
			pfRule{Action: pfPass, Dir: "out", Family: pfFamily(e.Addr()), Proto: ipProtoUDP, To: pfHost(e.Addr()), TPort: e.Port()})
	}
	// DNS: to each tunnel's servers through that tunnel only, inside a
	// tunnel that names none to any server, and refused everywhere else:
	// before the tunnel interfaces pass (a server reached through the
	// tunnel that is not the tunnel's) and before Allow LAN (the uplink's
	// resolver is on the LAN).
	for _, t := range tunnels {
		for _, s := range uniqueSorted(t.DNS, netip.Addr.Unmap, netip.Addr.Compare) {
			for _, p := range dnsPorts {
				add("dns to the tunnel's servers, through the tunnel",
					pfRule{Action: pfPass, Dir: "out", On: t.Interface, Family: pfFamily(s), Proto: p.proto, To: pfHost(s), TPort: p.port})
			}
		}
		if len(t.DNS) == 0 {
			for _, p := range dnsPorts {
				add("dns inside a tunnel that names no servers",
					pfRule{Action: pfPass, Dir: "out", On: t.Interface, Proto: p.proto, TPort: p.port})
			}
		}
	}
	for _, p := range dnsPorts {
		add("no dns to other servers, inside a tunnel too: refused at once, the resolver moves on",
			pfRule{Action: pfBlockReturn, Dir: "out", Proto: p.proto, TPort: p.port})
	}
	for _, t := range tunnels {
		add("the tunnel interface, both ways", pfRule{Action: pfPass, On: t.Interface, NoState: true})
	}

	// DHCP and neighbour discovery, on any interface: the uplink must
	// keep its address and its IPv6 router while everything else is shut.
	add("dhcpv4 requests", pfRule{Action: pfPass, Dir: "out", Family: "inet", Proto: ipProtoUDP, FPort: 68, TPort: 67, NoState: true})
	add("dhcpv4 answers", pfRule{Action: pfPass, Dir: "in", Family: "inet", Proto: ipProtoUDP, FPort: 67, TPort: 68, NoState: true})
	for _, g := range []string{"ff02::1:2", "ff05::1:3"} {
		add("dhcpv6 requests", pfRule{Action: pfPass, Dir: "out", Family: "inet6", Proto: ipProtoUDP, From: linkLocal, FPort: 546, To: host(g), TPort: 547, NoState: true})
	}
	add("dhcpv6 answers", pfRule{Action: pfPass, Dir: "in", Family: "inet6", Proto: ipProtoUDP, From: linkLocal, FPort: 547, TPort: 546, NoState: true})
	icmp6 := func(comment, dir string, typ int, from, to netip.Prefix) {
		add(comment, pfRule{Action: pfPass, Dir: dir, Family: "inet6", Proto: ipProtoICMPv6, From: from, To: to, ICMP6Type: typ, NoState: true})
	}
	icmp6("ndp router solicitation (133)", "out", pfRouterSolicit, netip.Prefix{}, host("ff02::2"))
	icmp6("ndp neighbor solicitation (135)", "out", pfNeighSolicit, netip.Prefix{}, netip.Prefix{})
	icmp6("ndp neighbor advertisement (136)", "out", pfNeighAdvert, netip.Prefix{}, netip.Prefix{})
	icmp6("mldv2 reports (143), which switches with mld snooping need for ndp", "out", pfMLDv2Report, netip.Prefix{}, host("ff02::16"))
	icmp6("ndp router advertisement (134)", "in", pfRouterAdvert, linkLocal, netip.Prefix{})
	icmp6("ndp neighbor solicitation (135)", "in", pfNeighSolicit, netip.Prefix{}, netip.Prefix{})
	icmp6("ndp neighbor advertisement (136)", "in", pfNeighAdvert, netip.Prefix{}, netip.Prefix{})
	icmp6("ndp redirect (137)", "in", pfRedirect, linkLocal, netip.Prefix{})
	icmp6("mld queries (130)", "in", pfMLDQuery, linkLocal, netip.Prefix{})

	// In: the peers may send their handshake first.
	for _, e := range eps {
		add("encrypted udp from an endpoint",
			pfRule{Action: pfPass, Dir: "in", Family: pfFamily(e.Addr()), Proto: ipProtoUDP, From: pfHost(e.Addr()), FPort: e.Port()})
	}

	if allowLAN {
		for _, n := range lan {
			add("allow lan: a connected subnet of an uplink", pfRule{Action: pfPass, Dir: "out", Family: pfFamily(n.Addr()), To: n})
		}
		for _, n := range lan {
			add("allow lan: a connected subnet of an uplink", pfRule{Action: pfPass, Dir: "in", Family: pfFamily(n.Addr()), From: n})
		}
		for _, m := range []string{"224.0.0.251", "ff02::fb"} {
			a := netip.MustParseAddr(m)
			add("allow lan: mdns", pfRule{Action: pfPass, Dir: "out", Family: pfFamily(a), Proto: ipProtoUDP, To: pfHost(a), TPort: 5353, NoState: true})
		}
		add("allow lan: mdns", pfRule{Action: pfPass, Dir: "in", Proto: ipProtoUDP, FPort: 5353, TPort: 5353, NoState: true})
	}

	add("everything else out: refused at once, so apps fail fast instead of timing out", pfRule{Action: pfBlockReturn, Dir: "out"})
	add("everything else in: dropped without an answer", pfRule{Action: pfBlockDrop, Dir: "in"})
	return rs
}

// pfAnchorText renders the anchor for tunnels in pf.conf syntax, loadable
// with pfctl -a pfAnchor -f -: a header comment per tunnel, then the rules
// in order, each with its reason as a comment. No tunnel: "".
func pfAnchorText(tunnels []pfTunnel, lan []netip.Prefix) string {
	rules := pfRuleset(tunnels, lan)
	if len(rules) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# wgdesk kill switch (anchor %s); rules are quick: the first match decides\n", pfAnchor)
	for _, t := range tunnels {
		var fams []string
		if t.FullIPv4 {
			fams = append(fams, "ipv4")
		}
		if t.FullIPv6 {
			fams = append(fams, "ipv6")
		}
		fmt.Fprintf(&b, "# kill switch of %s: full %s, endpoints %v, dns %v, allow lan %v\n",
			t.Interface, strings.Join(fams, " and "), t.Endpoints, t.DNS, t.AllowLAN)
	}
	if pfAllowLAN(tunnels) {
		fmt.Fprintf(&b, "# allow lan, the connected subnets of the uplinks: %v\n", uniqueSorted(lan, pfLANPrefix, comparePrefix))
	}
	for _, r := range rules {
		b.WriteString(r.text())
		b.WriteString("\n")
	}
	return b.String()
}
