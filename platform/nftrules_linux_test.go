package platform

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	goldenfile "github.com/wgdesk/wgdesk/internal/golden"
)

// nftFakeBackend records the tables it is asked for.
type nftFakeBackend struct {
	calls []string // "replace TABLE N rules" or "delete TABLE"
	rules []nftRule
	err   error
	// onReplace runs before each replace (the ordering tests look at
	// the namespace then).
	onReplace func(rules []nftRule)
}

func (f *nftFakeBackend) replace(table string, rules []nftRule) error {
	if f.onReplace != nil {
		f.onReplace(rules)
	}
	if f.err != nil {
		return f.err
	}
	if len(rules) == 0 {
		f.calls = append(f.calls, "delete "+table)
	} else {
		f.calls = append(f.calls, "replace "+table)
	}
	f.rules = rules
	return nil
}

// nftTestTunnel is the kill switch the production planning makes of
// Settings for a tunnel with routes.
func nftTestTunnel(t *testing.T, ifname string, s Settings) nftTunnel {
	t.Helper()
	n, err := newLinux(Options{StateDir: t.TempDir()}, linuxSeams{nft: &nftFakeBackend{}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(ifname, s)
	if err != nil {
		t.Fatal(err)
	}
	tun := n.firewallTunnel(ifname, s, p)
	if tun == nil {
		t.Fatalf("no kill switch for %s: %+v", ifname, s)
	}
	return *tun
}

func nftHomeSettings(routes []string, allowLAN bool) Settings {
	return Settings{
		Addresses:  prefixes("10.66.0.2/32", "fd42:66::2/128"),
		Routes:     prefixes(routes...),
		DNS:        []netip.Addr{netip.MustParseAddr("10.66.0.1"), netip.MustParseAddr("fd42:66::1")},
		Endpoints:  []netip.AddrPort{netip.MustParseAddrPort("198.51.100.1:51820"), netip.MustParseAddrPort("[2001:db8:1::1]:51820")},
		KillSwitch: true,
		AllowLAN:   allowLAN,
	}
}

var nftTestLAN = prefixes("192.168.1.0/24", "fd00:1::/64", "fe80::/64")

func TestNftGolden(t *testing.T) {
	// office: Table 1234 and no FwMark, so its device marks nothing and
	// its endpoint is matched by address; no DNS servers; no Allow LAN.
	office := func(t *testing.T) nftTunnel {
		s := Settings{
			Addresses:  prefixes("10.77.0.2/32"),
			Routes:     prefixes("0.0.0.0/0"),
			Table:      "1234",
			Endpoints:  []netip.AddrPort{netip.MustParseAddrPort("203.0.113.7:4500")},
			KillSwitch: true,
		}
		return nftTestTunnel(t, "office", s)
	}
	for _, tc := range []struct {
		golden  string
		tunnels func(t *testing.T) []nftTunnel
		lan     []netip.Prefix
	}{
		{"nft_ipv4_only", func(t *testing.T) []nftTunnel {
			return []nftTunnel{nftTestTunnel(t, "home", nftHomeSettings([]string{"0.0.0.0/0"}, false))}
		}, nil},
		{"nft_ipv4_only_lan", func(t *testing.T) []nftTunnel {
			return []nftTunnel{nftTestTunnel(t, "home", nftHomeSettings([]string{"0.0.0.0/0"}, true))}
		}, nftTestLAN},
		{"nft_dual_stack", func(t *testing.T) []nftTunnel {
			return []nftTunnel{nftTestTunnel(t, "home", nftHomeSettings([]string{"0.0.0.0/0", "::/0"}, false))}
		}, nil},
		{"nft_dual_stack_lan", func(t *testing.T) []nftTunnel {
			return []nftTunnel{nftTestTunnel(t, "home", nftHomeSettings([]string{"0.0.0.0/0", "::/0"}, true))}
		}, nftTestLAN},
		// home allows the LAN, office does not: the LAN stays closed.
		{"nft_two_tunnels", func(t *testing.T) []nftTunnel {
			return []nftTunnel{nftTestTunnel(t, "home", nftHomeSettings([]string{"0.0.0.0/0", "::/0"}, true)), office(t)}
		}, nftTestLAN},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			got := nftScript(nftTableName, tc.tunnels(t), tc.lan)
			path := filepath.Join("testdata", tc.golden+".golden")
			goldenfile.Check(t, path, got, *update)
		})
	}
}

func TestNftNoTunnelNoTable(t *testing.T) {
	if rs := nftRuleset(nil, nftTestLAN); len(rs) != 0 {
		t.Errorf("rules without a tunnel: %v", rs)
	}
	if s := nftScript(nftTableName, nil, nil); s != "" {
		t.Errorf("script without a tunnel: %q", s)
	}
}

// The tunnels that get no kill switch.
func TestNftNoKillSwitch(t *testing.T) {
	n, err := newLinux(Options{StateDir: t.TempDir()}, linuxSeams{nft: &nftFakeBackend{}})
	if err != nil {
		t.Fatal(err)
	}
	full := nftHomeSettings([]string{"0.0.0.0/0"}, false)
	split := nftHomeSettings([]string{"10.66.0.0/24"}, false)
	off := full
	off.KillSwitch = false
	tableOff := full
	tableOff.Table = "off"
	for name, s := range map[string]Settings{"split": split, "kill switch off": off, "table off": tableOff} {
		p, err := NewPlan("home", s)
		if err != nil {
			t.Fatal(err)
		}
		if tun := n.firewallTunnel("home", s, p); tun != nil {
			t.Errorf("%s: kill switch %+v", name, *tun)
		}
	}
	// Without nftables nothing is planned, whatever Settings say.
	none, err := newLinux(Options{StateDir: t.TempDir()}, linuxSeams{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := NewPlan("home", full)
	if tun := none.firewallTunnel("home", full, p); tun != nil {
		t.Errorf("kill switch without nftables: %+v", *tun)
	}
}

// nftPacket is a packet as the chains see it.
type nftPacket struct {
	chain       nftChain
	iif, oif    string
	mark        uint32
	established bool
	src, dst    string
	proto       uint8
	sport       uint16
	dport       uint16
	icmpType    int
}

// nftVerdict evaluates rules as the kernel does: the first rule whose
// every match holds decides; none: the chain's policy, drop.
func nftVerdict(rules []nftRule, p nftPacket) (accept bool, why string) {
	src, dst := netip.MustParseAddr(p.src), netip.MustParseAddr(p.dst)
	for _, r := range rules {
		switch {
		case r.Chain != p.chain,
			r.IIf != "" && r.IIf != p.iif,
			r.OIf != "" && r.OIf != p.oif,
			r.Mark != 0 && r.Mark != p.mark,
			r.Established && !p.established,
			r.Saddr.IsValid() && !r.Saddr.Contains(src),
			r.Daddr.IsValid() && !r.Daddr.Contains(dst),
			r.Proto != 0 && r.Proto != p.proto,
			r.SPort != 0 && r.SPort != p.sport,
			r.DPort != 0 && r.DPort != p.dport,
			r.Proto == ipProtoICMPv6Nft && r.ICMPType != icmp6NoType && r.ICMPType != p.icmpType:
			continue
		}
		return r.Accept, r.expr() + " # " + r.Comment
	}
	return false, "policy drop"
}

// What the kill switch lets through, the leaks of the issue first.
func TestNftVerdicts(t *testing.T) {
	home := nftTestTunnel(t, "home", nftHomeSettings([]string{"0.0.0.0/0"}, true))
	lanOnly := []nftTunnel{home}
	homeNoLAN := home
	homeNoLAN.AllowLAN = false
	const up = "eth0"
	for _, tc := range []struct {
		name    string
		tunnels []nftTunnel
		p       nftPacket
		want    bool
	}{
		{"encrypted udp to the endpoint, marked", lanOnly, nftPacket{chain: nftOutput, oif: up, mark: 51820, src: "192.168.1.5", dst: "198.51.100.1", proto: ipProtoUDP, sport: 40000, dport: 51820}, true},
		{"unmarked udp to the endpoint", lanOnly, nftPacket{chain: nftOutput, oif: up, src: "192.168.1.5", dst: "198.51.100.1", proto: ipProtoUDP, sport: 40000, dport: 51820}, false},
		{"tcp to the internet on the uplink", lanOnly, nftPacket{chain: nftOutput, oif: up, src: "192.168.1.5", dst: "93.184.216.34", proto: ipProtoTCP, sport: 40000, dport: 443}, false},
		{"tcp into the tunnel", lanOnly, nftPacket{chain: nftOutput, oif: "home", src: "10.66.0.2", dst: "93.184.216.34", proto: ipProtoTCP, sport: 40000, dport: 443}, true},
		{"ipv6 on the uplink of an ipv4-only tunnel", lanOnly, nftPacket{chain: nftOutput, oif: up, src: "2001:db8:9::5", dst: "2001:db8:9::1", proto: ipProtoTCP, sport: 40000, dport: 80}, false},
		{"dns to the cafe resolver on the lan", lanOnly, nftPacket{chain: nftOutput, oif: up, src: "192.168.1.5", dst: "192.168.1.1", proto: ipProtoUDP, sport: 40000, dport: 53}, false},
		{"dns over tls to the cafe resolver", lanOnly, nftPacket{chain: nftOutput, oif: up, src: "192.168.1.5", dst: "192.168.1.1", proto: ipProtoTCP, sport: 40000, dport: 853}, false},
		{"dns to another server inside the tunnel", lanOnly, nftPacket{chain: nftOutput, oif: "home", src: "10.66.0.2", dst: "8.8.8.8", proto: ipProtoUDP, sport: 40000, dport: 53}, false},
		{"dns to the tunnel's server", lanOnly, nftPacket{chain: nftOutput, oif: "home", src: "10.66.0.2", dst: "10.66.0.1", proto: ipProtoTCP, sport: 40000, dport: 53}, true},
		{"dns to the tunnel's server on the uplink (the tunnel is gone)", lanOnly, nftPacket{chain: nftOutput, oif: up, src: "192.168.1.5", dst: "10.66.0.1", proto: ipProtoUDP, sport: 40000, dport: 53}, false},
		{"dns to the tunnel's ipv6 server on the uplink of an ipv4-only tunnel", lanOnly, nftPacket{chain: nftOutput, oif: up, src: "fd00:1::5", dst: "fd42:66::1", proto: ipProtoUDP, sport: 40000, dport: 53}, false},
		{"dns to the stub resolver on loopback", lanOnly, nftPacket{chain: nftOutput, oif: "lo", src: "127.0.0.1", dst: "127.0.0.53", proto: ipProtoUDP, sport: 40000, dport: 53}, true},
		{"the printer with allow lan", lanOnly, nftPacket{chain: nftOutput, oif: up, src: "192.168.1.5", dst: "192.168.1.20", proto: ipProtoTCP, sport: 40000, dport: 631}, true},
		{"the printer without allow lan", []nftTunnel{homeNoLAN}, nftPacket{chain: nftOutput, oif: up, src: "192.168.1.5", dst: "192.168.1.20", proto: ipProtoTCP, sport: 40000, dport: 631}, false},
		{"the printer answers, allow lan", lanOnly, nftPacket{chain: nftInput, iif: up, src: "192.168.1.20", dst: "192.168.1.5", proto: ipProtoTCP, sport: 631, dport: 40000}, true},
		{"mdns with allow lan", lanOnly, nftPacket{chain: nftOutput, oif: up, src: "192.168.1.5", dst: "224.0.0.251", proto: ipProtoUDP, sport: 5353, dport: 5353}, true},
		{"mdns without allow lan", []nftTunnel{homeNoLAN}, nftPacket{chain: nftOutput, oif: up, src: "192.168.1.5", dst: "224.0.0.251", proto: ipProtoUDP, sport: 5353, dport: 5353}, false},
		{"dhcpv4 request", []nftTunnel{homeNoLAN}, nftPacket{chain: nftOutput, oif: up, src: "0.0.0.0", dst: "255.255.255.255", proto: ipProtoUDP, sport: 68, dport: 67}, true},
		{"dhcpv4 answer", []nftTunnel{homeNoLAN}, nftPacket{chain: nftInput, iif: up, src: "192.168.1.1", dst: "192.168.1.5", proto: ipProtoUDP, sport: 67, dport: 68}, true},
		{"dhcpv6 request", []nftTunnel{homeNoLAN}, nftPacket{chain: nftOutput, oif: up, src: "fe80::5", dst: "ff02::1:2", proto: ipProtoUDP, sport: 546, dport: 547}, true},
		{"neighbor solicitation", []nftTunnel{homeNoLAN}, nftPacket{chain: nftOutput, oif: up, src: "fe80::5", dst: "ff02::1:ff00:1", proto: ipProtoICMPv6Nft, icmpType: icmp6NeighSolicit}, true},
		{"icmpv6 echo on the uplink", []nftTunnel{homeNoLAN}, nftPacket{chain: nftOutput, oif: up, src: "fe80::5", dst: "fe80::1", proto: ipProtoICMPv6Nft, icmpType: 128}, false},
		{"router advertisement", []nftTunnel{homeNoLAN}, nftPacket{chain: nftInput, iif: up, src: "fe80::1", dst: "ff02::1", proto: ipProtoICMPv6Nft, icmpType: icmp6RouterAdvert}, true},
		{"a connection from the hotel network", []nftTunnel{homeNoLAN}, nftPacket{chain: nftInput, iif: up, src: "192.168.1.66", dst: "192.168.1.5", proto: ipProtoTCP, sport: 40000, dport: 22}, false},
		{"a reply on the uplink", []nftTunnel{homeNoLAN}, nftPacket{chain: nftInput, iif: up, established: true, src: "198.51.100.1", dst: "192.168.1.5", proto: ipProtoUDP, sport: 51820, dport: 40000}, true},
		{"a handshake from the endpoint", []nftTunnel{homeNoLAN}, nftPacket{chain: nftInput, iif: up, src: "198.51.100.1", dst: "192.168.1.5", proto: ipProtoUDP, sport: 51820, dport: 40000}, true},
		{"a container to the internet", []nftTunnel{homeNoLAN}, nftPacket{chain: nftForward, iif: "docker0", oif: up, src: "172.17.0.2", dst: "93.184.216.34", proto: ipProtoTCP, sport: 40000, dport: 443}, false},
		{"a container into the tunnel", []nftTunnel{homeNoLAN}, nftPacket{chain: nftForward, iif: "docker0", oif: "home", src: "172.17.0.2", dst: "93.184.216.34", proto: ipProtoTCP, sport: 40000, dport: 443}, true},
		{"a connection established before the kill switch", []nftTunnel{homeNoLAN}, nftPacket{chain: nftOutput, oif: up, established: true, src: "192.168.1.5", dst: "93.184.216.34", proto: ipProtoTCP, sport: 40000, dport: 22}, false},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			got, why := nftVerdict(nftRuleset(tc.tunnels, nftTestLAN), tc.p)
			if got != tc.want {
				t.Errorf("accept %v, want %v (decided by %s)", got, tc.want, why)
			}
		})
	}
}
