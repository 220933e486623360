package platform

// The kill switch of Linux as an nftables ruleset, without the netlink
// calls: nftRuleset turns the kill-switched tunnels into the rules of one
// table, and nftScript renders them in nft(8) syntax for the golden files
// (testdata/nft_*.golden), the reviewable truth of what the kill switch
// does on Linux. nft_linux.go turns the same rules into netlink
// expressions; its root test loads the rendered script with nft -f and
// checks that the kernel holds the same ruleset either way.
//
// The semantics follow the Windows filters (wfpfilters.go):
//   - One table, inet wgdesk, with three base chains (input, output,
//     forward) of policy drop for every kill-switched tunnel together. A
//     drop in any base chain is final: another table's accept (ufw,
//     firewalld, docker) cannot let through what we drop, and our accepts
//     do not override their drops, as our soft permits on Windows.
//   - Out, in this order (nftables takes the first matching verdict):
//     loopback; the tunnels' own encrypted UDP (by the fwmark the tunnel
//     device sets, else by each endpoint's address and port); DNS
//     (udp/tcp 53, tcp 853) to each tunnel's servers through its
//     interface, then dropped to every other server and on every other
//     interface, inside a tunnel too; the tunnel interfaces; DHCPv4,
//     DHCPv6 and neighbour discovery (with the MLD reports it needs) on any
//     interface; with Allow LAN the uplinks' connected subnets and mDNS.
//     Everything else is dropped: IPv6 of a tunnel that routes only
//     0.0.0.0/0 goes nowhere but into the tunnel, which has no route for
//     it. There is no "established" accept on the way out, so a connection
//     opened through the uplink before the kill switch stops too.
//   - In: loopback; replies of what was let out (ct state
//     established,related, which also admits the ICMP errors path MTU
//     discovery needs); the tunnel interfaces; UDP from the endpoints (a
//     peer may send its handshake first); DHCP, neighbour discovery, MLD
//     queries; with Allow LAN the subnets and mDNS. The rest is dropped,
//     as Windows blocks it: on the hotel network nobody may reach the
//     laptop's services around the tunnel.
//   - Forward (containers, VMs): replies, DNS as on the way out, the
//     tunnel interfaces and with Allow LAN the subnets; the rest is
//     dropped, so a container cannot leak past the tunnel either.
//   - Several kill-switched tunnels share the chains: each tunnel's
//     interface and encrypted traffic is accepted, DNS may go to the
//     servers of each through its interface, and the LAN only when every
//     one of them allows it.

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// nftTableName is the table of the kill switch, in the inet family.
const nftTableName = "wgdesk"

// nftTunnel is the kill switch of one full tunnel.
type nftTunnel struct {
	Interface string
	// FullIPv4 and FullIPv6: the tunnel routes 0.0.0.0/0, ::/0.
	FullIPv4, FullIPv6 bool
	// Mark is the fwmark of the tunnel device's own packets; zero when it
	// sets none, and then its encrypted UDP is matched by Endpoints.
	Mark      uint32
	Endpoints []netip.AddrPort
	// DNS are the only servers DNS may reach; none: DNS passes only
	// inside this tunnel.
	DNS      []netip.Addr
	AllowLAN bool
}

func (t nftTunnel) equal(o nftTunnel) bool {
	return t.Interface == o.Interface && t.FullIPv4 == o.FullIPv4 && t.FullIPv6 == o.FullIPv6 &&
		t.Mark == o.Mark && slices.Equal(t.Endpoints, o.Endpoints) && slices.Equal(t.DNS, o.DNS) && t.AllowLAN == o.AllowLAN
}

// nftChain names a base chain of the table.
type nftChain string

const (
	nftInput   nftChain = "input"
	nftOutput  nftChain = "output"
	nftForward nftChain = "forward"
)

var nftChains = []nftChain{nftInput, nftForward, nftOutput}

// IP protocol numbers the rules match besides TCP and UDP.
const ipProtoICMPv6Nft = 58

// ICMPv6 types: MLD (RFC 3810) and neighbour discovery (RFC 4861).
const (
	icmp6MLDQuery      = 130
	icmp6RouterSolicit = 133
	icmp6RouterAdvert  = 134
	icmp6NeighSolicit  = 135
	icmp6NeighAdvert   = 136
	icmp6Redirect      = 137
	icmp6MLDv2Report   = 143
	icmp6NoType        = -1 // nftRule.ICMPType: any
)

var icmp6Names = map[int]string{
	icmp6MLDQuery:      "mld-listener-query",
	icmp6RouterSolicit: "nd-router-solicit",
	icmp6RouterAdvert:  "nd-router-advert",
	icmp6NeighSolicit:  "nd-neighbor-solicit",
	icmp6NeighAdvert:   "nd-neighbor-advert",
	icmp6Redirect:      "nd-redirect",
	icmp6MLDv2Report:   "mld2-listener-report",
}

// nftRule is one rule: every set field must match (in the order of the
// fields, which is also the order of the netlink expressions), then the
// verdict applies.
type nftRule struct {
	Chain nftChain
	IIf   string // iifname
	OIf   string // oifname
	Mark  uint32 // meta mark; 0: any
	// Established: ct state established,related.
	Established bool
	Saddr       netip.Prefix
	Daddr       netip.Prefix
	Proto       uint8 // ipProtoTCP, ipProtoUDP, ipProtoICMPv6Nft; 0: any
	SPort       uint16
	DPort       uint16
	ICMPType    int // with Proto icmpv6; icmp6NoType: any
	Accept      bool
	Comment     string
}

// expr renders the rule's match and verdict in nft syntax.
func (r nftRule) expr() string {
	var f []string
	if r.IIf != "" {
		f = append(f, fmt.Sprintf("iifname %q", r.IIf))
	}
	if r.OIf != "" {
		f = append(f, fmt.Sprintf("oifname %q", r.OIf))
	}
	if r.Mark != 0 {
		f = append(f, fmt.Sprintf("meta mark 0x%08x", r.Mark))
	}
	if r.Established {
		f = append(f, "ct state established,related")
	}
	addr := func(dir string, p netip.Prefix) {
		fam := "ip"
		if p.Addr().Is6() {
			fam = "ip6"
		}
		f = append(f, fam+" "+dir+" "+wfpPrefixText(p))
	}
	if r.Saddr.IsValid() {
		addr("saddr", r.Saddr)
	}
	if r.Daddr.IsValid() {
		addr("daddr", r.Daddr)
	}
	switch r.Proto {
	case ipProtoTCP, ipProtoUDP:
		name := map[uint8]string{ipProtoTCP: "tcp", ipProtoUDP: "udp"}[r.Proto]
		if r.SPort == 0 && r.DPort == 0 {
			f = append(f, "meta l4proto "+name)
		}
		if r.SPort != 0 {
			f = append(f, fmt.Sprintf("%s sport %d", name, r.SPort))
		}
		if r.DPort != 0 {
			f = append(f, fmt.Sprintf("%s dport %d", name, r.DPort))
		}
	case ipProtoICMPv6Nft:
		if r.ICMPType == icmp6NoType {
			f = append(f, "meta l4proto ipv6-icmp")
		} else {
			f = append(f, "icmpv6 type "+icmp6Names[r.ICMPType])
		}
	}
	if r.Accept {
		f = append(f, "accept")
	} else {
		f = append(f, "drop")
	}
	return strings.Join(f, " ")
}

func hostPrefix(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, a.BitLen()) }

// nftRuleset returns the rules that put the tunnels' kill switches in
// force together, in chain order; none for no tunnel. lan are the
// uplinks' connected subnets, used only when every tunnel allows the LAN.
func nftRuleset(tunnels []nftTunnel, lan []netip.Prefix) []nftRule {
	if len(tunnels) == 0 {
		return nil
	}
	var rs []nftRule
	add := func(c nftChain, comment string, r nftRule) {
		r.Chain, r.Comment = c, comment
		if r.Proto != ipProtoICMPv6Nft {
			r.ICMPType = icmp6NoType
		}
		rs = append(rs, r)
	}
	allowLAN := true
	for _, t := range tunnels {
		allowLAN = allowLAN && t.AllowLAN
	}
	if !allowLAN {
		lan = nil
	}
	lan = uniqueSorted(lan, netip.Prefix.Masked, comparePrefix)

	// DNS, shared by output and forward: to each tunnel's servers
	// through that tunnel's interface only, inside a tunnel that names
	// none to any server, and nowhere else. Unlike on Windows, the
	// servers are not allowed on every interface: with the tunnel
	// interface gone (wireguard-go killed) or a server of a family the
	// tunnel does not route, a query would go out in clear on the uplink.
	dnsPorts := []struct {
		proto uint8
		port  uint16
	}{{ipProtoUDP, 53}, {ipProtoTCP, 53}, {ipProtoTCP, 853}}
	dns := func(c nftChain) {
		for _, t := range tunnels {
			for _, s := range uniqueSorted(t.DNS, netip.Addr.Unmap, netip.Addr.Compare) {
				for _, p := range dnsPorts {
					add(c, "dns to the tunnel's servers, through the tunnel", nftRule{OIf: t.Interface, Daddr: hostPrefix(s), Proto: p.proto, DPort: p.port, Accept: true})
				}
			}
			if len(t.DNS) == 0 {
				for _, p := range dnsPorts {
					add(c, "dns inside a tunnel that names no servers", nftRule{OIf: t.Interface, Proto: p.proto, DPort: p.port, Accept: true})
				}
			}
		}
		for _, p := range dnsPorts {
			add(c, "no dns to other servers, inside a tunnel too", nftRule{Proto: p.proto, DPort: p.port})
		}
	}
	lanRules := func(c nftChain, in bool) {
		for _, n := range lan {
			r := nftRule{Accept: true}
			if in {
				r.Saddr = n
			} else {
				r.Daddr = n
			}
			add(c, "allow lan: a connected subnet of an uplink", r)
		}
	}
	mdns := []netip.Addr{netip.MustParseAddr("224.0.0.251"), netip.MustParseAddr("ff02::fb")}
	linkLocal := netip.MustParsePrefix("fe80::/10")

	// Output.
	add(nftOutput, "loopback", nftRule{OIf: "lo", Accept: true})
	var marks []uint32
	for _, t := range tunnels {
		if t.Mark != 0 {
			marks = append(marks, t.Mark)
		}
	}
	slices.Sort(marks)
	for _, m := range slices.Compact(marks) {
		add(nftOutput, "the tunnels' encrypted udp, marked by the tunnel device", nftRule{Mark: m, Accept: true})
	}
	for _, t := range tunnels {
		if t.Mark != 0 {
			continue
		}
		for _, e := range t.Endpoints {
			add(nftOutput, "encrypted udp of "+t.Interface+" to its endpoint (the device sets no fwmark)",
				nftRule{Daddr: hostPrefix(e.Addr().Unmap()), Proto: ipProtoUDP, DPort: e.Port(), Accept: true})
		}
	}
	dns(nftOutput)
	for _, t := range tunnels {
		add(nftOutput, "the tunnel interface", nftRule{OIf: t.Interface, Accept: true})
	}
	add(nftOutput, "dhcpv4", nftRule{Proto: ipProtoUDP, SPort: 68, DPort: 67, Accept: true})
	for _, g := range []string{"ff02::1:2", "ff05::1:3"} {
		add(nftOutput, "dhcpv6 requests", nftRule{Saddr: linkLocal, Daddr: hostPrefix(netip.MustParseAddr(g)), Proto: ipProtoUDP, SPort: 546, DPort: 547, Accept: true})
	}
	add(nftOutput, "ndp router solicitation", nftRule{Daddr: hostPrefix(netip.MustParseAddr("ff02::2")), Proto: ipProtoICMPv6Nft, ICMPType: icmp6RouterSolicit, Accept: true})
	add(nftOutput, "ndp neighbor solicitation", nftRule{Proto: ipProtoICMPv6Nft, ICMPType: icmp6NeighSolicit, Accept: true})
	add(nftOutput, "ndp neighbor advertisement", nftRule{Proto: ipProtoICMPv6Nft, ICMPType: icmp6NeighAdvert, Accept: true})
	add(nftOutput, "mld reports, which switches with mld snooping need for ndp", nftRule{Daddr: hostPrefix(netip.MustParseAddr("ff02::16")), Proto: ipProtoICMPv6Nft, ICMPType: icmp6MLDv2Report, Accept: true})
	if allowLAN {
		lanRules(nftOutput, false)
		for _, m := range mdns {
			add(nftOutput, "allow lan: mdns", nftRule{Daddr: hostPrefix(m), Proto: ipProtoUDP, DPort: 5353, Accept: true})
		}
	}

	// Input.
	add(nftInput, "loopback", nftRule{IIf: "lo", Accept: true})
	add(nftInput, "replies to what was let out", nftRule{Established: true, Accept: true})
	for _, t := range tunnels {
		add(nftInput, "the tunnel interface", nftRule{IIf: t.Interface, Accept: true})
	}
	var eps []netip.AddrPort
	for _, t := range tunnels {
		for _, e := range t.Endpoints {
			eps = append(eps, netip.AddrPortFrom(e.Addr().Unmap(), e.Port()))
		}
	}
	eps = uniqueSorted(eps, func(e netip.AddrPort) netip.AddrPort { return e }, netip.AddrPort.Compare)
	for _, e := range eps {
		add(nftInput, "encrypted udp from an endpoint", nftRule{Saddr: hostPrefix(e.Addr()), Proto: ipProtoUDP, SPort: e.Port(), Accept: true})
	}
	add(nftInput, "dhcpv4", nftRule{Proto: ipProtoUDP, SPort: 67, DPort: 68, Accept: true})
	add(nftInput, "dhcpv6 answers", nftRule{Saddr: linkLocal, Proto: ipProtoUDP, SPort: 547, DPort: 546, Accept: true})
	add(nftInput, "ndp router advertisement", nftRule{Saddr: linkLocal, Proto: ipProtoICMPv6Nft, ICMPType: icmp6RouterAdvert, Accept: true})
	add(nftInput, "ndp neighbor solicitation", nftRule{Proto: ipProtoICMPv6Nft, ICMPType: icmp6NeighSolicit, Accept: true})
	add(nftInput, "ndp neighbor advertisement", nftRule{Proto: ipProtoICMPv6Nft, ICMPType: icmp6NeighAdvert, Accept: true})
	add(nftInput, "ndp redirect", nftRule{Saddr: linkLocal, Proto: ipProtoICMPv6Nft, ICMPType: icmp6Redirect, Accept: true})
	add(nftInput, "mld queries", nftRule{Saddr: linkLocal, Proto: ipProtoICMPv6Nft, ICMPType: icmp6MLDQuery, Accept: true})
	if allowLAN {
		lanRules(nftInput, true)
		add(nftInput, "allow lan: mdns", nftRule{Proto: ipProtoUDP, SPort: 5353, DPort: 5353, Accept: true})
	}

	// Forward.
	add(nftForward, "replies to what was let out", nftRule{Established: true, Accept: true})
	dns(nftForward)
	for _, t := range tunnels {
		add(nftForward, "into the tunnel interface", nftRule{OIf: t.Interface, Accept: true})
	}
	if allowLAN {
		lanRules(nftForward, false)
	}
	return rs
}

// nftScript renders the table for tunnels in nft(8) syntax, loadable with
// nft -f: a header comment per tunnel, then each chain with its policy
// and its rules in order, each with its reason as a comment. No tunnel:
// "".
func nftScript(table string, tunnels []nftTunnel, lan []netip.Prefix) string {
	rules := nftRuleset(tunnels, lan)
	if len(rules) == 0 {
		return ""
	}
	var b strings.Builder
	for _, t := range tunnels {
		var fams []string
		if t.FullIPv4 {
			fams = append(fams, "ipv4")
		}
		if t.FullIPv6 {
			fams = append(fams, "ipv6")
		}
		mark := "none (endpoints matched by address)"
		if t.Mark != 0 {
			mark = fmt.Sprintf("0x%x", t.Mark)
		}
		fmt.Fprintf(&b, "# kill switch of %s: full %s, fwmark %s, endpoints %v, dns %v, allow lan %v\n",
			t.Interface, strings.Join(fams, " and "), mark, t.Endpoints, t.DNS, t.AllowLAN)
	}
	allowLAN := true
	for _, t := range tunnels {
		allowLAN = allowLAN && t.AllowLAN
	}
	if allowLAN {
		fmt.Fprintf(&b, "# allow lan, the connected subnets of the uplinks: %v\n", lan)
	}
	fmt.Fprintf(&b, "table inet %s {\n", table)
	for i, c := range nftChains {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "\tchain %s {\n\t\ttype filter hook %s priority filter; policy drop;\n", c, c)
		for _, r := range rules {
			if r.Chain == c {
				fmt.Fprintf(&b, "\t\t%s # %s\n", r.expr(), r.Comment)
			}
		}
		b.WriteString("\t}\n")
	}
	b.WriteString("}\n")
	return b.String()
}
