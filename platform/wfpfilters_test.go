package platform

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	goldenfile "github.com/wgdesk/wgdesk/internal/golden"
)

// wfpTestPlan is the plan of the tunnel "home" for the golden files,
// built the way winNetwork builds it, from Settings and the routing table
// of winFirewallTable.
func wfpTestPlan(t *testing.T, routes []string, allowLAN bool) winFirewallPlan {
	t.Helper()
	s := winFullSettings()
	s.Routes = prefixes(routes...)
	s.KillSwitch, s.AllowLAN = true, allowLAN
	p, ok, err := newWinFirewallPlan("home", luidTunnel, s, s.Routes, func() ([]winRoute, error) {
		return winFirewallTable(), nil
	})
	if err != nil || !ok {
		t.Fatalf("plan: %v, %v", ok, err)
	}
	return p
}

func TestWFPFiltersGolden(t *testing.T) {
	office := func(t *testing.T) winFirewallPlan {
		p := wfpTestPlan(t, []string{"::/0"}, false)
		p.Interface, p.LUID = "office", 98
		p.DNS = []netip.Addr{netip.MustParseAddr("2001:db8:5::53")}
		return p
	}
	for _, tc := range []struct {
		golden string
		plans  func(t *testing.T) []winFirewallPlan
	}{
		{"wfp_ipv4_only", func(t *testing.T) []winFirewallPlan {
			return []winFirewallPlan{wfpTestPlan(t, []string{"0.0.0.0/0"}, false)}
		}},
		{"wfp_ipv4_only_lan", func(t *testing.T) []winFirewallPlan {
			return []winFirewallPlan{wfpTestPlan(t, []string{"0.0.0.0/0"}, true)}
		}},
		{"wfp_dual_stack", func(t *testing.T) []winFirewallPlan {
			return []winFirewallPlan{wfpTestPlan(t, []string{"0.0.0.0/0", "::/0"}, false)}
		}},
		{"wfp_dual_stack_lan", func(t *testing.T) []winFirewallPlan {
			return []winFirewallPlan{wfpTestPlan(t, []string{"0.0.0.0/0", "::/0"}, true)}
		}},
		// A config without DNS servers: DNS inside the tunnel only.
		{"wfp_ipv4_only_lan_no_dns", func(t *testing.T) []winFirewallPlan {
			p := wfpTestPlan(t, []string{"0.0.0.0/0"}, true)
			p.DNS = nil
			return []winFirewallPlan{p}
		}},
		// Two kill-switched tunnels: home allows the LAN, office does
		// not, so the LAN stays blocked.
		{"wfp_two_tunnels", func(t *testing.T) []winFirewallPlan {
			return []winFirewallPlan{wfpTestPlan(t, []string{"0.0.0.0/0", "::/0"}, true), office(t)}
		}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			got := wfpRender(tc.plans(t))
			path := filepath.Join("testdata", tc.golden+".golden")
			goldenfile.Check(t, path, got, *update)
		})
	}
}

func TestWFPFiltersNoPlanNoFilter(t *testing.T) {
	if fs := wfpFilters(nil); len(fs) != 0 {
		t.Errorf("filters without a plan: %v", fs)
	}
}

// wfpFlow is the first packet of a connection as the ALE layers see it.
type wfpFlow struct {
	layer          wfpLayer
	service        bool // sent or received by the wgdesk service
	loopback       bool
	luid           uint64
	proto          uint64
	local, remote  netip.Addr
	lport, rport   uint64
	icmpT, icmpC   uint64
	isICMP, hasRem bool
}

// decide evaluates fs on fl as WFP arbitrates within one sublayer: the
// matching filter of the highest weight decides; conditions on one field
// are ORed, fields ANDed. No match: permit (our sublayer has no say).
func decide(fs []wfpFilter, fl wfpFlow) (permit bool, by string) {
	best := -1
	for i, f := range fs {
		if f.Layer != fl.layer || !wfpMatches(f.Conditions, fl) {
			continue
		}
		if best < 0 || f.Weight > fs[best].Weight {
			best = i
		}
	}
	if best < 0 {
		return true, "(no filter)"
	}
	return fs[best].Permit, fs[best].Name
}

func wfpMatches(conds []wfpCondition, fl wfpFlow) bool {
	byField := map[wfpField][]wfpCondition{}
	for _, c := range conds {
		byField[c.Field] = append(byField[c.Field], c)
	}
	for field, cs := range byField {
		hit := false
		for _, c := range cs {
			switch field {
			case wfpAppID, wfpServiceSID:
				hit = hit || fl.service
			case wfpLoopback:
				hit = hit || fl.loopback
			case wfpInterface:
				hit = hit || fl.luid == c.Num
			case wfpProtocol:
				hit = hit || fl.proto == c.Num
			case wfpLocalPort:
				hit = hit || !fl.isICMP && fl.lport == c.Num
			case wfpRemotePort:
				hit = hit || !fl.isICMP && fl.rport == c.Num
			case wfpICMPType:
				hit = hit || fl.isICMP && fl.icmpT == c.Num
			case wfpICMPCode:
				hit = hit || fl.isICMP && fl.icmpC == c.Num
			case wfpRemoteAddr:
				hit = hit || c.Prefix.Contains(fl.remote)
			case wfpLocalAddr:
				hit = hit || c.Prefix.Contains(fl.local)
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

// TestWFPFiltersDecide checks what the filters do with typical first
// packets, with and without Allow LAN: the kill switch's promises, not
// the shape of the filters.
func TestWFPFiltersDecide(t *testing.T) {
	ip := netip.MustParseAddr
	out4 := func(remote string, proto, port uint64) wfpFlow {
		return wfpFlow{layer: wfpConnectV4, luid: luidEthernet, proto: proto, local: ip("192.168.1.23"), remote: ip(remote), lport: 50000, rport: port}
	}
	out6 := func(remote string, proto, port uint64) wfpFlow {
		return wfpFlow{layer: wfpConnectV6, luid: luidEthernet, proto: proto, local: ip("2001:db8:1::23"), remote: ip(remote), lport: 50000, rport: port}
	}
	in4 := func(remote string, proto, port uint64) wfpFlow {
		return wfpFlow{layer: wfpRecvV4, luid: luidEthernet, proto: proto, local: ip("192.168.1.23"), remote: ip(remote), lport: port, rport: 50000}
	}
	tun := func(f wfpFlow) wfpFlow { f.luid = luidTunnel; return f }
	svc := func(f wfpFlow) wfpFlow { f.service = true; return f }
	lo := func(f wfpFlow) wfpFlow { f.loopback, f.luid = true, 1; return f }
	icmp6 := func(layer wfpLayer, remote string, typ uint64) wfpFlow {
		return wfpFlow{layer: layer, luid: luidEthernet, proto: ipProtoICMPv6, local: ip("fe80::23"), remote: ip(remote), isICMP: true, icmpT: typ}
	}
	dhcp4 := out4("255.255.255.255", ipProtoUDP, 67)
	dhcp4.lport = 68
	dhcp6 := out6("ff02::1:2", ipProtoUDP, 547)
	dhcp6.local, dhcp6.lport = ip("fe80::23"), 546

	for _, tc := range []struct {
		name         string
		flow         wfpFlow
		plain, lanOK bool // permitted without and with Allow LAN
	}{
		{"web outside the tunnel", out4("198.51.100.7", ipProtoTCP, 443), false, false},
		{"web inside the tunnel", tun(out4("198.51.100.7", ipProtoTCP, 443)), true, true},
		{"ipv6 outside an ipv4 tunnel", out6("2001:db8:77::1", ipProtoTCP, 443), false, false},
		{"the service's udp to the endpoint", svc(out4("203.0.113.5", ipProtoUDP, 13231)), true, true},
		{"the service's answer from the endpoint", svc(in4("203.0.113.5", ipProtoUDP, 13231)), true, true},
		{"dns to the tunnel's server", tun(out4("192.168.100.1", ipProtoUDP, 53)), true, true},
		{"dns to the tunnel's ipv6 server over tcp", tun(out6("fd00:100::1", ipProtoTCP, 53)), true, true},
		{"dns to another server through the tunnel", tun(out4("8.8.8.8", ipProtoUDP, 53)), false, false},
		{"dns to the home router", out4("192.168.1.1", ipProtoUDP, 53), false, false},
		{"dns to the router over ipv6 link-local", out6("fe80::1", ipProtoUDP, 53), false, false},
		{"printer on the lan", out4("192.168.1.50", ipProtoTCP, 631), false, true},
		{"file share on the wi-fi subnet", out4("10.9.3.4", ipProtoTCP, 445), false, true},
		{"lan host over ipv6", out6("2001:db8:1::50", ipProtoTCP, 22), false, true},
		{"inbound from the lan", in4("192.168.1.50", ipProtoTCP, 22), false, true},
		{"inbound from the internet", in4("198.51.100.7", ipProtoTCP, 22), false, false},
		{"mdns query", out4("224.0.0.251", ipProtoUDP, 5353), false, true},
		{"ssdp is no mdns", out4("239.255.255.250", ipProtoUDP, 1900), false, false},
		{"loopback", lo(out4("127.0.0.1", ipProtoTCP, 8080)), true, true},
		{"dhcpv4 request", dhcp4, true, true},
		{"dhcpv6 request", dhcp6, true, true},
		{"ndp router solicitation", icmp6(wfpConnectV6, "ff02::2", 133), true, true},
		{"ndp neighbor solicitation in", icmp6(wfpRecvV6, "fe80::1", 135), true, true},
		{"ndp redirect from a global address", icmp6(wfpRecvV6, "2001:db8:77::1", 137), false, false},
		{"icmpv6 echo outside the tunnel", icmp6(wfpConnectV6, "2001:db8:77::1", 128), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for lan, want := range map[bool]bool{false: tc.plain, true: tc.lanOK} {
				fs := wfpFilters([]winFirewallPlan{wfpTestPlan(t, []string{"0.0.0.0/0"}, lan)})
				if got, by := decide(fs, tc.flow); got != want {
					t.Errorf("allow lan %v: permitted %v by %q, want %v", lan, got, by, want)
				}
			}
		})
	}
}

// TestWFPFiltersNoDNSServers: a config without DNS servers lets queries
// pass inside its tunnel only; Allow LAN does not open the router's
// resolver.
func TestWFPFiltersNoDNSServers(t *testing.T) {
	p := wfpTestPlan(t, []string{"0.0.0.0/0"}, true)
	p.DNS = nil
	fs := wfpFilters([]winFirewallPlan{p})
	inside := wfpFlow{layer: wfpConnectV4, luid: luidTunnel, proto: ipProtoUDP, remote: netip.MustParseAddr("8.8.8.8"), rport: 53}
	router := wfpFlow{layer: wfpConnectV4, luid: luidEthernet, proto: ipProtoUDP, remote: netip.MustParseAddr("192.168.1.1"), rport: 53}
	if ok, by := decide(fs, inside); !ok {
		t.Errorf("dns inside the tunnel blocked by %q", by)
	}
	if ok, by := decide(fs, router); ok {
		t.Errorf("dns to the router permitted by %q", by)
	}
}

// TestWFPFiltersTwoTunnels: each tunnel's traffic passes, DNS to either's
// servers, and the LAN only when both allow it.
func TestWFPFiltersTwoTunnels(t *testing.T) {
	home := wfpTestPlan(t, []string{"0.0.0.0/0"}, true)
	office := wfpTestPlan(t, []string{"::/0"}, false)
	office.Interface, office.LUID, office.DNS = "office", 98, []netip.Addr{netip.MustParseAddr("2001:db8:5::53")}
	web := wfpFlow{layer: wfpConnectV6, proto: ipProtoTCP, remote: netip.MustParseAddr("2001:db8:77::1"), rport: 443}
	printer := wfpFlow{layer: wfpConnectV4, luid: luidEthernet, proto: ipProtoTCP, remote: netip.MustParseAddr("192.168.1.50"), rport: 631}
	dns := wfpFlow{layer: wfpConnectV6, luid: 98, proto: ipProtoUDP, remote: netip.MustParseAddr("2001:db8:5::53"), rport: 53}

	both := wfpFilters([]winFirewallPlan{home, office})
	for _, luid := range []uint64{luidTunnel, 98} {
		web.luid = luid
		if ok, by := decide(both, web); !ok {
			t.Errorf("tunnel luid %d blocked by %q", luid, by)
		}
	}
	if ok, by := decide(both, dns); !ok {
		t.Errorf("office's dns blocked by %q", by)
	}
	if ok, _ := decide(both, printer); ok {
		t.Error("the lan is open although office does not allow it")
	}
	office.AllowLAN = true
	if ok, by := decide(wfpFilters([]winFirewallPlan{home, office}), printer); !ok {
		t.Errorf("the lan is blocked by %q although both allow it", by)
	}
}

// TestWFPFiltersShape checks what the design needs of every filter list:
// one block-all at the lowest weight in each layer, and the service's
// permit the only hard one.
func TestWFPFiltersShape(t *testing.T) {
	fs := wfpFilters([]winFirewallPlan{wfpTestPlan(t, []string{"0.0.0.0/0", "::/0"}, true)})
	blockAll := map[wfpLayer]int{}
	for _, f := range fs {
		if f.Hard && (!f.Permit || !strings.Contains(f.Name, "service")) {
			t.Errorf("hard filter that is not the service's permit: %s", f.line())
		}
		if len(f.Conditions) == 0 {
			if f.Permit || f.Weight != wfpWeightBlockAll {
				t.Errorf("unconditional filter that is not the block-all: %s", f.line())
			}
			blockAll[f.Layer]++
		} else if f.Weight <= wfpWeightBlockAll {
			t.Errorf("filter at or below the block-all's weight: %s", f.line())
		}
		if f.Weight > 15 {
			t.Errorf("weight over 15: %s", f.line())
		}
	}
	for _, l := range wfpAllLayers {
		if blockAll[l] != 1 {
			t.Errorf("%s has %d block-all filters, want 1", l, blockAll[l])
		}
	}
}
