package platform

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	goldenfile "github.com/wgdesk/wgdesk/internal/golden"
)

// pfHome is the kill switch of the tunnel "utun5" of the golden files;
// lan are the subnets of the simulated Mac's Wi-Fi (macnet_fake_test.go).
func pfHome(v4, v6, allowLAN bool) pfTunnel {
	t := pfTunnel{Interface: "utun5", FullIPv4: v4, FullIPv6: v6, AllowLAN: allowLAN,
		Endpoints: []netip.AddrPort{netip.MustParseAddrPort("203.0.113.7:13231")}}
	t.DNS = []netip.Addr{netip.MustParseAddr("10.66.0.1")}
	if v6 {
		t.Endpoints = append(t.Endpoints, netip.MustParseAddrPort("[2001:db8:ffff::7]:13231"))
		t.DNS = append(t.DNS, netip.MustParseAddr("fd66::1"))
	}
	return t
}

func pfOffice() pfTunnel {
	return pfTunnel{Interface: "utun6", FullIPv6: true,
		Endpoints: []netip.AddrPort{netip.MustParseAddrPort("[2001:db8:5::1]:51820")},
		DNS:       []netip.Addr{netip.MustParseAddr("2001:db8:5::53")}}
}

var pfLAN = prefixes("192.168.1.0/24", "2001:db8:1:2::/64", "fe80::/64")

func TestPFAnchorGolden(t *testing.T) {
	for _, tc := range []struct {
		golden  string
		tunnels []pfTunnel
	}{
		{"pf_ipv4_only", []pfTunnel{pfHome(true, false, false)}},
		{"pf_ipv4_only_lan", []pfTunnel{pfHome(true, false, true)}},
		{"pf_dual_stack", []pfTunnel{pfHome(true, true, false)}},
		{"pf_dual_stack_lan", []pfTunnel{pfHome(true, true, true)}},
		// A config without DNS servers: DNS inside the tunnel only.
		{"pf_no_dns", []pfTunnel{func() pfTunnel { h := pfHome(true, false, true); h.DNS = nil; return h }()}},
		// home allows the LAN, office does not: the LAN stays blocked.
		{"pf_two_tunnels", []pfTunnel{pfHome(true, true, true), pfOffice()}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			got := pfAnchorText(tc.tunnels, pfLAN)
			if _, err := parsePFAnchor(got); err != nil {
				t.Fatalf("the model cannot read the anchor: %v", err)
			}
			goldenfile.Check(t, filepath.Join("testdata", tc.golden+".golden"), got, *update)
		})
	}
}

func TestPFNoTunnelNoRules(t *testing.T) {
	if got := pfAnchorText(nil, pfLAN); got != "" {
		t.Errorf("anchor without a tunnel: %q", got)
	}
}

// pfModelRule is a rule as the model reads it back from the anchor text.
type pfModelRule struct {
	action, dir, on, family string
	proto                   uint8
	from, to                netip.Prefix // invalid: any
	fport, tport            uint16
	icmp6                   int // -1: any
	comment                 string
}

// parsePFAnchor reads the subset of pf.conf that pfAnchorText writes, and
// refuses anything else (a rule that is not quick would make the
// first-match model wrong).
func parsePFAnchor(text string) ([]pfModelRule, error) {
	var out []pfModelRule
	for n, line := range strings.Split(text, "\n") {
		rule, comment, _ := strings.Cut(line, "#")
		f := strings.Fields(rule)
		if len(f) == 0 {
			continue
		}
		r := pfModelRule{icmp6: -1, comment: strings.TrimSpace(comment)}
		bad := func(why string) error { return fmt.Errorf("line %d %q: %s", n+1, line, why) }
		next := func() string {
			if len(f) == 0 {
				return ""
			}
			s := f[0]
			f = f[1:]
			return s
		}
		switch a := next(); a {
		case "pass":
			r.action = "pass"
		case "block":
			switch m := next(); m {
			case "return", "drop":
				r.action = "block " + m
			default:
				return nil, bad("block without return or drop")
			}
		default:
			return nil, bad("unknown action")
		}
		if len(f) > 0 && (f[0] == "in" || f[0] == "out") {
			r.dir = next()
		}
		if next() != "quick" {
			return nil, bad("not quick")
		}
		if len(f) > 0 && f[0] == "on" {
			next()
			r.on = next()
		}
		if len(f) > 0 && (f[0] == "inet" || f[0] == "inet6") {
			r.family = next()
		}
		if len(f) > 0 && f[0] == "proto" {
			next()
			switch p := next(); p {
			case "tcp":
				r.proto = ipProtoTCP
			case "udp":
				r.proto = ipProtoUDP
			case "ipv6-icmp":
				r.proto = ipProtoICMPv6
			default:
				return nil, bad("unknown protocol")
			}
		}
		hostPort := func() (netip.Prefix, uint16, error) {
			var p netip.Prefix
			h := next()
			if h != "any" {
				var err error
				if p, err = netip.ParsePrefix(h); err != nil {
					a, err := netip.ParseAddr(h)
					if err != nil {
						return p, 0, bad("bad host " + h)
					}
					p = netip.PrefixFrom(a, a.BitLen())
				}
			}
			if len(f) > 0 && f[0] == "port" {
				next()
				n, err := strconv.ParseUint(next(), 10, 16)
				if err != nil {
					return p, 0, bad("bad port")
				}
				return p, uint16(n), nil
			}
			return p, 0, nil
		}
		var err error
		switch h := next(); h {
		case "all":
		case "from":
			if r.from, r.fport, err = hostPort(); err != nil {
				return nil, err
			}
			if next() != "to" {
				return nil, bad("from without to")
			}
			if r.to, r.tport, err = hostPort(); err != nil {
				return nil, err
			}
		default:
			return nil, bad("no hosts")
		}
		if len(f) > 0 && f[0] == "icmp6-type" {
			next()
			n, err := strconv.Atoi(next())
			if err != nil || r.proto != ipProtoICMPv6 || r.family != "inet6" {
				return nil, bad("icmp6-type needs inet6 proto ipv6-icmp and a number")
			}
			r.icmp6 = n
		}
		if r.action == "pass" {
			st := next() + " " + next()
			if st != "keep state" && st != "no state" {
				return nil, bad("pass without keep state or no state")
			}
		}
		if len(f) > 0 {
			return nil, bad("trailing " + strings.Join(f, " "))
		}
		for _, p := range []netip.Prefix{r.from, r.to} {
			if p.IsValid() && r.family != "" && (p.Addr().Is4() != (r.family == "inet")) {
				return nil, bad("address of the other family")
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// pfPacket is the first packet of a flow as pf sees it on an interface.
type pfPacket struct {
	dir, iface   string
	proto        uint8
	src, dst     netip.Addr
	sport, dport uint16
	icmp6        int
}

// decidePF evaluates rules on p as pf does with quick rules: the first
// match decides; no match: pass (pf's default).
func decidePF(rules []pfModelRule, p pfPacket) (action, by string) {
	for _, r := range rules {
		if r.dir != "" && r.dir != p.dir || r.on != "" && r.on != p.iface ||
			r.family == "inet" && !p.src.Is4() || r.family == "inet6" && p.src.Is4() ||
			r.proto != 0 && r.proto != p.proto ||
			r.from.IsValid() && !r.from.Contains(p.src) || r.to.IsValid() && !r.to.Contains(p.dst) ||
			r.fport != 0 && r.fport != p.sport || r.tport != 0 && r.tport != p.dport ||
			r.icmp6 >= 0 && r.icmp6 != p.icmp6 {
			continue
		}
		return r.action, r.comment
	}
	return "pass", "(no rule)"
}

func pfPkt(dir, iface string, proto uint8, src, dst string) pfPacket {
	p := pfPacket{dir: dir, iface: iface, proto: proto, icmp6: -1}
	parse := func(s string) (netip.Addr, uint16) {
		if ap, err := netip.ParseAddrPort(s); err == nil {
			return ap.Addr(), ap.Port()
		}
		return netip.MustParseAddr(s), 0
	}
	p.src, p.sport = parse(src)
	p.dst, p.dport = parse(dst)
	return p
}

func pfICMP6(dir string, typ int, src, dst string) pfPacket {
	p := pfPkt(dir, "en0", ipProtoICMPv6, src, dst)
	p.icmp6 = typ
	return p
}

// TestPFModelFirstPackets decides typical first packets against the
// rendered anchors: what leaks, what must keep working.
func TestPFModelFirstPackets(t *testing.T) {
	const (
		pass   = "pass"
		refuse = "block return"
		drop   = "block drop"
	)
	type check struct {
		name string
		p    pfPacket
		want string
	}
	dual := func(lan bool) []check {
		lanWant := map[bool]string{true: pass, false: refuse}[lan]
		lanIn := map[bool]string{true: pass, false: drop}[lan]
		return []check{
			{"dns to the uplink's resolver", pfPkt("out", "en0", ipProtoUDP, "192.168.1.23:53000", "192.168.1.1:53"), refuse},
			{"dns over tcp to the uplink's resolver", pfPkt("out", "en0", ipProtoTCP, "192.168.1.23:53001", "192.168.1.1:53"), refuse},
			{"dns to the lan's ipv6 resolver", pfPkt("out", "en0", ipProtoUDP, "[2001:db8:1:2::23]:53000", "[2001:db8:1:2::1]:53"), refuse},
			{"dns to the tunnel's server", pfPkt("out", "utun5", ipProtoUDP, "10.66.0.2:53000", "10.66.0.1:53"), pass},
			{"dns over tls to the tunnel's server", pfPkt("out", "utun5", ipProtoTCP, "10.66.0.2:50000", "10.66.0.1:853"), pass},
			{"dns to the tunnel's ipv6 server", pfPkt("out", "utun5", ipProtoUDP, "[fd66::2]:53000", "[fd66::1]:53"), pass},
			{"dns to a public server through the tunnel", pfPkt("out", "utun5", ipProtoUDP, "10.66.0.2:53000", "1.1.1.1:53"), refuse},
			{"dns to the tunnel's server on the uplink", pfPkt("out", "en0", ipProtoUDP, "192.168.1.23:53000", "10.66.0.1:53"), refuse},
			{"handshake to the endpoint", pfPkt("out", "en0", ipProtoUDP, "192.168.1.23:50000", "203.0.113.7:13231"), pass},
			{"handshake to the ipv6 endpoint", pfPkt("out", "en0", ipProtoUDP, "[2001:db8:1:2::23]:50000", "[2001:db8:ffff::7]:13231"), pass},
			{"other port of the endpoint", pfPkt("out", "en0", ipProtoUDP, "192.168.1.23:50000", "203.0.113.7:443"), refuse},
			{"tcp to the endpoint's address", pfPkt("out", "en0", ipProtoTCP, "192.168.1.23:50000", "203.0.113.7:13231"), refuse},
			{"handshake from the endpoint", pfPkt("in", "en0", ipProtoUDP, "203.0.113.7:13231", "192.168.1.23:50000"), pass},
			{"web through the tunnel", pfPkt("out", "utun5", ipProtoTCP, "10.66.0.2:50000", "93.184.216.34:443"), pass},
			{"web around the tunnel", pfPkt("out", "en0", ipProtoTCP, "192.168.1.23:50000", "93.184.216.34:443"), refuse},
			{"ipv6 web around the tunnel", pfPkt("out", "en0", ipProtoTCP, "[2001:db8:1:2::23]:50000", "[2606:4700::1111]:443"), refuse},
			{"reply into the tunnel", pfPkt("in", "utun5", ipProtoTCP, "93.184.216.34:443", "10.66.0.2:50000"), pass},
			{"the printer at home", pfPkt("out", "en0", ipProtoTCP, "192.168.1.23:50000", "192.168.1.50:631"), lanWant},
			{"the printer's link-local address", pfPkt("out", "en0", ipProtoTCP, "[fe80::1234]:50000", "[fe80::50]:631"), lanWant},
			{"a neighbour's ssh to the laptop", pfPkt("in", "en0", ipProtoTCP, "192.168.1.50:50000", "192.168.1.23:22"), lanIn},
			{"mdns query", pfPkt("out", "en0", ipProtoUDP, "192.168.1.23:5353", "224.0.0.251:5353"), lanWant},
			{"ssh from the internet", pfPkt("in", "en0", ipProtoTCP, "198.51.100.99:50000", "192.168.1.23:22"), drop},
			{"dhcpv4 discover", pfPkt("out", "en0", ipProtoUDP, "0.0.0.0:68", "255.255.255.255:67"), pass},
			{"dhcpv4 offer", pfPkt("in", "en0", ipProtoUDP, "192.168.1.1:67", "255.255.255.255:68"), pass},
			{"dhcpv6 solicit", pfPkt("out", "en0", ipProtoUDP, "[fe80::1234]:546", "[ff02::1:2]:547"), pass},
			{"dhcpv6 advertise", pfPkt("in", "en0", ipProtoUDP, "[fe80::1]:547", "[fe80::1234]:546"), pass},
			{"router solicitation", pfICMP6("out", 133, "fe80::1234", "ff02::2"), pass},
			{"router advertisement", pfICMP6("in", 134, "fe80::1", "ff02::1"), pass},
			{"router advertisement from a global address", pfICMP6("in", 134, "2001:db8:1:2::1", "ff02::1"), map[bool]string{true: pass, false: drop}[lan]},
			{"neighbor solicitation", pfICMP6("out", 135, "2001:db8:1:2::23", "ff02::1:ff00:1"), pass},
			{"neighbor advertisement", pfICMP6("in", 136, "fe80::1", "fe80::1234"), pass},
			{"ipv6 ping to the internet", pfICMP6("out", 128, "2001:db8:1:2::23", "2606:4700::1111"), refuse},
			{"loopback", pfPkt("out", "lo0", ipProtoTCP, "127.0.0.1:50000", "127.0.0.1:8080"), pass},
			{"loopback dns (a local resolver)", pfPkt("out", "lo0", ipProtoUDP, "127.0.0.1:50000", "127.0.0.1:53"), pass},
		}
	}
	for _, tc := range []struct {
		name    string
		tunnels []pfTunnel
		checks  []check
	}{
		{"dual stack", []pfTunnel{pfHome(true, true, false)}, dual(false)},
		{"dual stack allow lan", []pfTunnel{pfHome(true, true, true)}, dual(true)},
		{"ipv4 only", []pfTunnel{pfHome(true, false, true)}, []check{
			{"ipv6 web around the tunnel", pfPkt("out", "en0", ipProtoTCP, "[2001:db8:1:2::23]:50000", "[2606:4700::1111]:443"), refuse},
			{"dns to the lan's ipv6 resolver", pfPkt("out", "en0", ipProtoUDP, "[2001:db8:1:2::23]:53000", "[2001:db8:1:2::1]:53"), refuse},
			{"ipv6 printer on the lan", pfPkt("out", "en0", ipProtoTCP, "[2001:db8:1:2::23]:50000", "[2001:db8:1:2::50]:631"), pass},
			{"ipv4 dns to the tunnel's server", pfPkt("out", "utun5", ipProtoUDP, "10.66.0.2:53000", "10.66.0.1:53"), pass},
		}},
		{"no dns servers", []pfTunnel{func() pfTunnel { h := pfHome(true, false, false); h.DNS = nil; return h }()}, []check{
			{"dns to any server inside the tunnel", pfPkt("out", "utun5", ipProtoUDP, "10.66.0.2:53000", "1.1.1.1:53"), pass},
			{"dns to the uplink's resolver", pfPkt("out", "en0", ipProtoUDP, "192.168.1.23:53000", "192.168.1.1:53"), refuse},
		}},
		{"two tunnels", []pfTunnel{pfHome(true, true, true), pfOffice()}, []check{
			{"office dns through office", pfPkt("out", "utun6", ipProtoUDP, "[fd77::2]:53000", "[2001:db8:5::53]:53"), pass},
			{"office dns through home", pfPkt("out", "utun5", ipProtoUDP, "[fd66::2]:53000", "[2001:db8:5::53]:53"), refuse},
			{"home dns through home", pfPkt("out", "utun5", ipProtoUDP, "10.66.0.2:53000", "10.66.0.1:53"), pass},
			{"office handshake", pfPkt("out", "en0", ipProtoUDP, "[2001:db8:1:2::23]:50000", "[2001:db8:5::1]:51820"), pass},
			{"web through office", pfPkt("out", "utun6", ipProtoTCP, "[fd77::2]:50000", "[2606:4700::1111]:443"), pass},
			{"printer: office does not allow the lan", pfPkt("out", "en0", ipProtoTCP, "192.168.1.23:50000", "192.168.1.50:631"), refuse},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rules, err := parsePFAnchor(pfAnchorText(tc.tunnels, pfLAN))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tc.checks {
				got, by := decidePF(rules, c.p)
				if by == "(no rule)" {
					t.Errorf("%s: no rule decided; the anchor must end in a block of everything", c.name)
				}
				if got != c.want {
					t.Errorf("%s: %s (by %q), want %s", c.name, got, by, c.want)
				}
			}
		})
	}
}
