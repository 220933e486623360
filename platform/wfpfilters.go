package platform

// The kill switch as WFP filters, without the Windows calls: wfpFilters
// turns the plans of the kill-switched tunnels into the list of filters
// that wfp_windows.go adds, and String renders them as sorted text for the
// golden files (testdata/wfp_*.golden), the reviewable truth of what the
// kill switch does on Windows.
//
// The design (the same shape as WireGuard for Windows' firewall package,
// written for our plans):
//   - All filters sit in ONE sublayer of ours with the maximum weight, in
//     a dynamic session (wfp_windows.go). Within a sublayer only the
//     matching filter of the highest weight decides, so the order of
//     weights below is the whole policy.
//   - They filter at the ALE layers, which see the first packet of each
//     connection or UDP flow: FWPM_LAYER_ALE_AUTH_CONNECT_V4/V6 (outbound)
//     and FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4/V6 (inbound). Replies of an
//     admitted flow pass without another look.
//   - Weights, highest first (WFP takes FWP_UINT8 weights 0..15 and spreads
//     them over the sublayer's range):
//     15 the service process (its app ID and its service SID), hard; and
//     DNS to the tunnels' servers (inside a tunnel whose config names
//     none: to any server);
//     14 block DNS (udp/tcp 53) to everyone else, inside a tunnel too, so
//     neither the uplink's resolver (reachable with Allow LAN) nor
//     any other server gets a query;
//     13 loopback;
//     12 the tunnel interfaces, DHCP of both families, NDP;
//     10 Allow LAN: the uplinks' connected subnets and mDNS;
//     0 block everything else, both families, both directions. A family
//     the tunnel does not route (IPv6 of an IPv4-only tunnel) is
//     therefore blocked outside the tunnel by this filter alone.
//   - A block is final across sublayers: nothing in a lower sublayer
//     (Windows Defender Firewall, another VPN) can permit what we block
//     (https://learn.microsoft.com/en-us/windows/win32/fwp/filter-arbitration).
//     Our permits are soft except the service's: a soft permit can still
//     be blocked by a lower sublayer, so the Windows Defender Firewall
//     keeps blocking what it blocks on the LAN or the loopback. Only the
//     service's own traffic (the encrypted UDP to the endpoints) is a
//     hard permit (FWPM_FILTER_FLAG_CLEAR_ACTION_RIGHT), so that no other
//     firewall can cut the tunnel while ours blocks everything else.
//   - Several kill-switched tunnels share the one sublayer: each tunnel's
//     interface gets its permits, DNS goes to the servers of any of them,
//     and the LAN is permitted only when every one of them allows it (a
//     tunnel without Allow LAN would otherwise leak to the LAN through
//     another's permit). A sublayer (or a session) per tunnel cannot work:
//     each would end in its own block-all, and as a block is final across
//     sublayers, each tunnel's block-all would cut the other tunnels.
//   - A tunnel without the kill switch beside a kill-switched one is
//     blocked like any other interface: nothing leaves outside the
//     kill-switched tunnels.

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// wfpLayer is one of the four ALE layers we filter at.
type wfpLayer int

const (
	wfpConnectV4 wfpLayer = iota // FWPM_LAYER_ALE_AUTH_CONNECT_V4
	wfpRecvV4                    // FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4
	wfpConnectV6                 // FWPM_LAYER_ALE_AUTH_CONNECT_V6
	wfpRecvV6                    // FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V6
)

func (l wfpLayer) String() string {
	return [...]string{"connect/v4", "recv/v4", "connect/v6", "recv/v6"}[l]
}

// wfpField is the field a condition tests, and with it the FWP data type
// of the value (wfp_windows.go).
type wfpField int

const (
	// wfpAppID: FWPM_CONDITION_ALE_APP_ID equals the app ID of the
	// service's exe (FWP_BYTE_BLOB_TYPE from FwpmGetAppIdFromFileName0).
	wfpAppID wfpField = iota
	// wfpServiceSID: FWPM_CONDITION_ALE_USER_ID matches a security
	// descriptor granting FWP_ACTRL_MATCH_FILTER to the service SID
	// (FWP_SECURITY_DESCRIPTOR_TYPE).
	wfpServiceSID
	// wfpLoopback: FWPM_CONDITION_FLAGS has FWP_CONDITION_FLAG_IS_LOOPBACK
	// set (FWP_MATCH_FLAGS_ALL_SET, FWP_UINT32).
	wfpLoopback
	// wfpInterface: FWPM_CONDITION_IP_LOCAL_INTERFACE equals Num, a LUID
	// (FWP_UINT64).
	wfpInterface
	// wfpProtocol: FWPM_CONDITION_IP_PROTOCOL equals Num (FWP_UINT8).
	wfpProtocol
	// wfpLocalPort, wfpRemotePort: FWPM_CONDITION_IP_LOCAL_PORT and
	// _REMOTE_PORT equal Num (FWP_UINT16).
	wfpLocalPort
	wfpRemotePort
	// wfpICMPType, wfpICMPCode: at the ALE layers the ICMP type and code
	// travel in the local and remote port fields (fwpmu.h defines
	// FWPM_CONDITION_ICMP_TYPE as FWPM_CONDITION_IP_LOCAL_PORT).
	wfpICMPType
	wfpICMPCode
	// wfpRemoteAddr, wfpLocalAddr: FWPM_CONDITION_IP_REMOTE_ADDRESS and
	// _LOCAL_ADDRESS equal Prefix: a single address as FWP_UINT32 or
	// FWP_BYTE_ARRAY16_TYPE, a subnet as FWP_V4_ADDR_MASK or
	// FWP_V6_ADDR_MASK.
	wfpRemoteAddr
	wfpLocalAddr
)

// wfpCondition is one filter condition. Conditions on the same field are
// ORed by WFP, different fields ANDed.
type wfpCondition struct {
	Field  wfpField
	Num    uint64       // protocol, port, ICMP type or code, LUID
	Prefix netip.Prefix // addresses
}

func (c wfpCondition) String() string {
	switch c.Field {
	case wfpAppID:
		return "app_id=service exe"
	case wfpServiceSID:
		return "user_id=service sid"
	case wfpLoopback:
		return "flags=loopback"
	case wfpInterface:
		return fmt.Sprintf("interface=luid %d", c.Num)
	case wfpProtocol:
		return "protocol=" + map[uint64]string{ipProtoTCP: "tcp", ipProtoUDP: "udp", ipProtoICMPv6: "icmpv6"}[c.Num]
	case wfpLocalPort:
		return fmt.Sprintf("local_port=%d", c.Num)
	case wfpRemotePort:
		return fmt.Sprintf("remote_port=%d", c.Num)
	case wfpICMPType:
		return fmt.Sprintf("icmp_type=%d", c.Num)
	case wfpICMPCode:
		return fmt.Sprintf("icmp_code=%d", c.Num)
	case wfpRemoteAddr:
		return "remote=" + wfpPrefixText(c.Prefix)
	case wfpLocalAddr:
		return "local=" + wfpPrefixText(c.Prefix)
	}
	return fmt.Sprintf("field%d", c.Field)
}

func wfpPrefixText(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

// IP protocol numbers for wfpProtocol.
const (
	ipProtoTCP    = 6
	ipProtoUDP    = 17
	ipProtoICMPv6 = 58
)

// wfpFilter is one filter to add.
type wfpFilter struct {
	Name   string // its display name
	Layer  wfpLayer
	Weight uint8 // 0..15
	Permit bool  // else block
	// Hard clears the action right (FWPM_FILTER_FLAG_CLEAR_ACTION_RIGHT):
	// a permit no lower sublayer can block.
	Hard       bool
	Conditions []wfpCondition
}

// The weights, in the order of the package comment.
const (
	wfpWeightService  = 15
	wfpWeightDNS      = 15
	wfpWeightDNSBlock = 14
	wfpWeightLoopback = 13
	wfpWeightTunnel   = 12
	wfpWeightDHCP     = 12
	wfpWeightNDP      = 12
	wfpWeightLAN      = 10
	wfpWeightBlockAll = 0
)

// Multicast groups the filters name.
var (
	wfpDHCPv6Servers = []netip.Addr{netip.MustParseAddr("ff02::1:2"), netip.MustParseAddr("ff05::1:3")}
	wfpAllRouters    = netip.MustParseAddr("ff02::2")
	wfpLinkLocal     = netip.MustParsePrefix("fe80::/10")
	wfpMDNS          = []netip.Addr{netip.MustParseAddr("224.0.0.251"), netip.MustParseAddr("ff02::fb")}
)

var (
	wfpAllLayers = []wfpLayer{wfpConnectV4, wfpRecvV4, wfpConnectV6, wfpRecvV6}
	wfpV4Layers  = []wfpLayer{wfpConnectV4, wfpRecvV4}
	wfpV6Layers  = []wfpLayer{wfpConnectV6, wfpRecvV6}
)

func wfpNum(f wfpField, n uint64) wfpCondition { return wfpCondition{Field: f, Num: n} }

func wfpAddr(f wfpField, a netip.Addr) wfpCondition {
	return wfpCondition{Field: f, Prefix: netip.PrefixFrom(a, a.BitLen())}
}

func wfpPrefix(f wfpField, p netip.Prefix) wfpCondition { return wfpCondition{Field: f, Prefix: p} }

// wfpFilters returns the filters that put the plans in force together,
// sorted as String renders them; none for no plan.
func wfpFilters(plans []winFirewallPlan) []wfpFilter {
	if len(plans) == 0 {
		return nil
	}
	var fs []wfpFilter
	each := func(layers []wfpLayer, f wfpFilter) {
		for _, l := range layers {
			g := f
			g.Layer = l
			g.Conditions = slices.Clone(f.Conditions)
			fs = append(fs, g)
		}
	}

	each(wfpAllLayers, wfpFilter{Name: "permit the wgdesk service", Weight: wfpWeightService, Permit: true, Hard: true,
		Conditions: []wfpCondition{{Field: wfpAppID}, {Field: wfpServiceSID}}})

	// DNS: to the servers of every plan, and nowhere else. A plan that
	// names no servers lets DNS pass inside its tunnel, to any server,
	// and nowhere else either: with Allow LAN the uplink's resolver (the
	// home router) is on the LAN, and the block below keeps queries from
	// it.
	dnsProto := []wfpCondition{wfpNum(wfpRemotePort, 53), wfpNum(wfpProtocol, ipProtoUDP), wfpNum(wfpProtocol, ipProtoTCP)}
	var dns []netip.Addr
	var dnsAnywhere []uint64
	for _, p := range plans {
		dns = append(dns, p.DNS...)
		if len(p.DNS) == 0 {
			dnsAnywhere = append(dnsAnywhere, p.LUID)
		}
	}
	dns = uniqueSorted(dns, netip.Addr.Unmap, netip.Addr.Compare)
	for _, fam := range []struct {
		layers []wfpLayer
		is4    bool
	}{{wfpV4Layers, true}, {wfpV6Layers, false}} {
		conds := slices.Clone(dnsProto)
		for _, d := range dns {
			if d.Is4() == fam.is4 {
				conds = append(conds, wfpAddr(wfpRemoteAddr, d))
			}
		}
		if len(conds) > len(dnsProto) {
			each(fam.layers, wfpFilter{Name: "permit dns to the tunnel's servers", Weight: wfpWeightDNS, Permit: true, Conditions: conds})
		}
	}
	slices.Sort(dnsAnywhere)
	for _, luid := range slices.Compact(dnsAnywhere) {
		each(wfpAllLayers, wfpFilter{Name: "permit dns inside a tunnel that names no servers", Weight: wfpWeightDNS, Permit: true,
			Conditions: append([]wfpCondition{wfpNum(wfpInterface, luid)}, dnsProto...)})
	}
	each(wfpAllLayers, wfpFilter{Name: "block dns to other servers", Weight: wfpWeightDNSBlock, Conditions: dnsProto})

	each(wfpAllLayers, wfpFilter{Name: "permit loopback", Weight: wfpWeightLoopback, Permit: true,
		Conditions: []wfpCondition{{Field: wfpLoopback}}})

	luids := make([]uint64, 0, len(plans))
	for _, p := range plans {
		luids = append(luids, p.LUID)
	}
	slices.Sort(luids)
	for _, luid := range slices.Compact(luids) {
		each(wfpAllLayers, wfpFilter{Name: "permit the tunnel interface", Weight: wfpWeightTunnel, Permit: true,
			Conditions: []wfpCondition{wfpNum(wfpInterface, luid)}})
	}

	// DHCPv4: requests (broadcast, and unicast renewals to the server)
	// and the answers.
	dhcp4 := []wfpCondition{wfpNum(wfpProtocol, ipProtoUDP), wfpNum(wfpLocalPort, 68), wfpNum(wfpRemotePort, 67)}
	each(wfpV4Layers, wfpFilter{Name: "permit dhcpv4", Weight: wfpWeightDHCP, Permit: true, Conditions: dhcp4})
	// DHCPv6: requests to the servers' multicast groups, answers from a
	// link-local address; both from our link-local address.
	dhcp6 := []wfpCondition{wfpNum(wfpProtocol, ipProtoUDP), wfpNum(wfpLocalPort, 546), wfpNum(wfpRemotePort, 547), wfpPrefix(wfpLocalAddr, wfpLinkLocal)}
	out6 := slices.Clone(dhcp6)
	for _, a := range wfpDHCPv6Servers {
		out6 = append(out6, wfpAddr(wfpRemoteAddr, a))
	}
	fs = append(fs,
		wfpFilter{Name: "permit dhcpv6 requests", Layer: wfpConnectV6, Weight: wfpWeightDHCP, Permit: true, Conditions: out6},
		wfpFilter{Name: "permit dhcpv6 answers", Layer: wfpRecvV6, Weight: wfpWeightDHCP, Permit: true,
			Conditions: append(slices.Clone(dhcp6), wfpPrefix(wfpRemoteAddr, wfpLinkLocal))})

	// NDP (RFC 4861): router solicitation out to all routers, router
	// advertisement and redirect in from a link-local router, neighbor
	// solicitation and advertisement both ways.
	ndp := func(typ uint64, more ...wfpCondition) wfpFilter {
		return wfpFilter{Name: fmt.Sprintf("permit ndp type %d", typ), Weight: wfpWeightNDP, Permit: true,
			Conditions: append([]wfpCondition{wfpNum(wfpProtocol, ipProtoICMPv6), wfpNum(wfpICMPType, typ), wfpNum(wfpICMPCode, 0)}, more...)}
	}
	each([]wfpLayer{wfpConnectV6}, ndp(133, wfpAddr(wfpRemoteAddr, wfpAllRouters)))
	each([]wfpLayer{wfpRecvV6}, ndp(134, wfpPrefix(wfpRemoteAddr, wfpLinkLocal)))
	each(wfpV6Layers, ndp(135))
	each(wfpV6Layers, ndp(136))
	each([]wfpLayer{wfpRecvV6}, ndp(137, wfpPrefix(wfpRemoteAddr, wfpLinkLocal)))

	if lan, ok := wfpAllowedLAN(plans); ok {
		for _, fam := range []struct {
			layers []wfpLayer
			is4    bool
		}{{wfpV4Layers, true}, {wfpV6Layers, false}} {
			var conds []wfpCondition
			for _, n := range lan {
				if n.Addr().Is4() == fam.is4 {
					conds = append(conds, wfpPrefix(wfpRemoteAddr, n))
				}
			}
			if len(conds) > 0 {
				each(fam.layers, wfpFilter{Name: "permit lan (allow lan)", Weight: wfpWeightLAN, Permit: true, Conditions: conds})
			}
		}
		for _, m := range wfpMDNS {
			out, in := wfpConnectV4, wfpRecvV4
			if m.Is6() {
				out, in = wfpConnectV6, wfpRecvV6
			}
			// Out: queries to the group. In: queries and answers of
			// other hosts to our responder (port 5353 both ends).
			each([]wfpLayer{out}, wfpFilter{Name: "permit mdns (allow lan)", Weight: wfpWeightLAN, Permit: true,
				Conditions: []wfpCondition{wfpNum(wfpProtocol, ipProtoUDP), wfpNum(wfpRemotePort, 5353), wfpAddr(wfpRemoteAddr, m)}})
			each([]wfpLayer{in}, wfpFilter{Name: "permit mdns (allow lan)", Weight: wfpWeightLAN, Permit: true,
				Conditions: []wfpCondition{wfpNum(wfpProtocol, ipProtoUDP), wfpNum(wfpLocalPort, 5353), wfpNum(wfpRemotePort, 5353)}})
		}
	}

	each(wfpAllLayers, wfpFilter{Name: "block everything else", Weight: wfpWeightBlockAll})

	slices.SortStableFunc(fs, func(a, b wfpFilter) int {
		return cmp.Or(cmp.Compare(b.Weight, a.Weight), strings.Compare(a.line(), b.line()))
	})
	return fs
}

// wfpAllowedLAN returns the subnets to permit, and whether the LAN is
// permitted at all: only when every plan allows it.
func wfpAllowedLAN(plans []winFirewallPlan) ([]netip.Prefix, bool) {
	var lan []netip.Prefix
	for _, p := range plans {
		if !p.AllowLAN {
			return nil, false
		}
		lan = append(lan, p.LAN...)
	}
	return uniqueSorted(lan, netip.Prefix.Masked, comparePrefix), true
}

// line renders f as one line: weight, action, layer, conditions, name.
func (f wfpFilter) line() string {
	action := "block"
	if f.Permit {
		action = "permit"
	}
	if f.Hard {
		action += " hard"
	}
	conds := make([]string, 0, len(f.Conditions))
	for _, c := range f.Conditions {
		conds = append(conds, c.String())
	}
	cs := strings.Join(conds, " ")
	if cs == "" {
		cs = "(all)"
	}
	return fmt.Sprintf("%2d %-11s %-10s %s  # %s", f.Weight, action, f.Layer, cs, f.Name)
}

// wfpRender renders the filters for plans, one a line, highest weight
// first, under a header that says what the plans are.
func wfpRender(plans []winFirewallPlan) string {
	var b strings.Builder
	for _, p := range plans {
		fams := []string{}
		if p.FullIPv4 {
			fams = append(fams, "ipv4")
		}
		if p.FullIPv6 {
			fams = append(fams, "ipv6")
		}
		fmt.Fprintf(&b, "# kill switch of %s (luid %d): full %s, dns %v, allow lan %v\n",
			p.Interface, p.LUID, strings.Join(fams, " and "), p.DNS, p.AllowLAN)
	}
	for _, f := range wfpFilters(plans) {
		b.WriteString(f.line())
		b.WriteByte('\n')
	}
	return b.String()
}
