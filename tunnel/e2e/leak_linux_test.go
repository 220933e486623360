package e2e

// Leak tests (issue #11 item 2): a full tunnel that routes only
// 0.0.0.0/0 is up in a café (netlab's AddCafe: a resolver and a printer
// in the client's uplink subnet, IPv6 on the uplink, hosts beyond it),
// the client tries every way around the tunnel an application could
// take, and tcpdump on the client's uplink records what left. With the
// kill switch, only WireGuard's encrypted UDP to the endpoint (and ARP,
// neighbour discovery, DHCP) may be on the wire and every probe around
// the tunnel must fail; without it (the control) the same probes get
// through and the capture shows them, which proves the checks can fail.

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/internal/netlab"

	goldenfile "github.com/wgdesk/wgdesk/internal/golden"
)

// probeTimeout bounds each probe: a probe the kill switch drops waits
// this long before it counts as failed. The probes of a round run at
// once.
const probeTimeout = 2 * time.Second

func addrPort(host string, port int) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr(host), uint16(port))
}

// The probes, each a way an application reaches something outside the
// tunnel.
var (
	probeCafeDNS    = netlab.Probe{Name: "DNS over UDP to the café's resolver", Proto: "dns-udp", Addr: addrPort(netlab.CafeResolver, 53)}
	probeCafeDNSTCP = netlab.Probe{Name: "DNS over TCP to the café's resolver", Proto: "dns-tcp", Addr: addrPort(netlab.CafeResolver, 53)}
	probeCafeDoT    = netlab.Probe{Name: "TCP 853 (DNS over TLS) to the café's resolver", Proto: "dns-tcp", Addr: addrPort(netlab.CafeResolver, 853)}
	probePrinter    = netlab.Probe{Name: "the LAN printer", Proto: "tcp", Addr: addrPort(netlab.Printer, netlab.PrinterPort)}
	probeUplink6    = netlab.Probe{Name: "IPv6 to the router's uplink address", Proto: "tcp", Addr: addrPort(netlab.UplinkServer6, netlab.WebPort)}
	probeInternet6  = netlab.Probe{Name: "IPv6 to a host beyond the café", Proto: "tcp", Addr: addrPort(netlab.Internet6, netlab.WebPort)}
	probeBound4     = netlab.Probe{Name: "TCP to a host beyond the café from a socket bound to the uplink", Proto: "tcp", Addr: addrPort(netlab.Internet4, netlab.WebPort2), BindUplink: true}
	// Unbound, the host beyond the café is reached through the tunnel
	// while it is up; after a crash only the kill switch stops it.
	probeInternet4 = netlab.Probe{Name: "TCP to a host beyond the café", Proto: "tcp", Addr: addrPort(netlab.Internet4, netlab.WebPort)}
	probeTunnelDNS = netlab.Probe{Name: "DNS to the tunnel's resolver", Proto: "dns-udp", Addr: addrPort(netlab.TunServer4, 53)}
	// The config names the router's IPv6 address as a second DNS server
	// (leakConfig), but the tunnel routes only IPv4: queries to it would
	// cross the café in clear.
	probeTunnelDNS6 = netlab.Probe{Name: "DNS to the tunnel's IPv6 resolver, which an IPv4-only tunnel does not carry", Proto: "dns-udp", Addr: addrPort(netlab.TunServer6, 53)}
)

// aroundTheTunnel are the probes that may only succeed by leaving the
// client outside the tunnel; the kill switch must stop every one.
var aroundTheTunnel = []netlab.Probe{probeCafeDNS, probeCafeDNSTCP, probeCafeDoT, probePrinter, probeUplink6, probeInternet6, probeBound4, probeTunnelDNS6}

// onTheLAN are those of aroundTheTunnel that Allow LAN lets through: the
// uplinks' directly connected subnets, IPv6 too (as on Windows), but not
// DNS to the café's resolver, which is on the LAN.
var onTheLAN = []netlab.Probe{probePrinter, probeUplink6}

// newLeakLab is a lab in a café with the service and a full tunnel
// "home" that routes only IPv4 (with an IPv4 and an IPv6 DNS server),
// and checks that every probe reaches its
// server directly while no tunnel is up: a probe that fails later then
// fails because of the tunnel.
func newLeakLab(t *testing.T) (*netlab.Lab, *netlab.Service) {
	t.Helper()
	l := netlab.New(t, netlab.Options{DNS: true})
	l.AddCafe()
	svc := l.StartService()
	// The router's config for a full IPv4 tunnel, with its IPv6 address
	// as a second DNS server.
	text := strings.Replace(l.ClientConfig("0.0.0.0/0"), "DNS = "+netlab.TunServer4+",", "DNS = "+netlab.TunServer4+", "+netlab.TunServer6+",", 1)
	if !strings.Contains(text, netlab.TunServer6+", home.lan") {
		t.Fatalf("no IPv6 DNS server in the config:\n%s", text)
	}
	path := filepath.Join(l.Dir, "home.conf")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	l.Wgdesk("import", "--name", "home", path)
	expectProbes(t, l, "before any tunnel is up", want(aroundTheTunnel, true), want([]netlab.Probe{probeInternet4}, true))
	return l, svc
}

// want maps each probe to whether it must succeed.
func want(ps []netlab.Probe, ok bool) map[netlab.Probe]bool {
	m := make(map[netlab.Probe]bool, len(ps))
	for _, p := range ps {
		m[p] = ok
	}
	return m
}

// probeFailures runs the probes at once and returns a line for every
// probe that did not do what it must; later maps override earlier ones.
func probeFailures(l *netlab.Lab, wants ...map[netlab.Probe]bool) []string {
	all := map[netlab.Probe]bool{}
	for _, w := range wants {
		for p, ok := range w {
			all[p] = ok
		}
	}
	ps := make([]netlab.Probe, 0, len(all))
	for p := range all {
		ps = append(ps, p)
	}
	res := l.ProbeAll(ps, probeTimeout)
	var bad []string
	for _, p := range ps {
		switch err := res[p.Name]; {
		case all[p] && err != nil:
			bad = append(bad, "failed, must succeed: "+err.Error())
		case !all[p] && err == nil:
			bad = append(bad, "succeeded, must fail: "+p.Name+" ("+p.Addr.String()+")")
		}
	}
	sort.Strings(bad)
	return bad
}

// expectProbes fails the test with every probe that did not do what it
// must.
func expectProbes(t *testing.T, l *netlab.Lab, phase string, wants ...map[netlab.Probe]bool) {
	t.Helper()
	if bad := probeFailures(l, wants...); len(bad) > 0 {
		t.Fatalf("%s:\n  %s", phase, strings.Join(bad, "\n  "))
	}
}

// expectSealed runs the probes, as expectProbes does, while it captures
// the client's uplink, and fails the test with the probes that did not
// do what they must and every leak in the capture (see leaks; the flows
// of the servers in allowed are allowed). With tunnelUsed, the capture
// must hold WireGuard traffic to the endpoint too. It returns the
// capture.
func expectSealed(t *testing.T, l *netlab.Lab, phase string, tunnelUsed bool, allowed []netip.AddrPort, wants ...map[netlab.Probe]bool) []netlab.Packet {
	t.Helper()
	capture := l.StartCapture()
	bad := probeFailures(l, wants...)
	pkts := capture.Stop()
	var msgs []string
	if len(bad) > 0 {
		msgs = append(msgs, "probes:\n  "+strings.Join(bad, "\n  "))
	}
	if lk := leaks(pkts, allowed...); len(lk) > 0 {
		msgs = append(msgs, fmt.Sprintf("%d packets left the client outside the tunnel:\n%s", len(lk), render(lk)))
	}
	if tunnelUsed && len(involving(pkts, addrPort(netlab.UplinkServer, netlab.ServerPort))) == 0 {
		msgs = append(msgs, "no WireGuard traffic in the capture although the tunnel carried probes")
	}
	if len(msgs) > 0 {
		t.Fatalf("%s:\n%s\nthe whole capture of the uplink:\n%s", phase, strings.Join(msgs, "\n"), render(pkts))
	}
	return pkts
}

// leaks returns the packets of a capture on the client's uplink that are
// not allowed to be there while the kill switch is on: everything but
// WireGuard messages between the client and the endpoint, ARP, IPv6
// neighbour discovery and multicast listener messages, DHCPv4 and
// DHCPv6, and the flows of the servers in allowed (the LAN with Allow
// LAN on). Packets that arrive for the client are not its leaks: tcpdump
// sees them before the kill switch's input chain drops them (a LAN host
// that still retransmits the end of a connection made while its subnet
// was allowed, for one); what the client sends back is counted.
func leaks(pkts []netlab.Packet, allowed ...netip.AddrPort) []netlab.Packet {
	endpoint := addrPort(netlab.UplinkServer, netlab.ServerPort)
	client := func(a netip.Addr) bool {
		return a == netip.MustParseAddr(netlab.UplinkClient) || a == netip.MustParseAddr(netlab.UplinkClient6)
	}
	var out []netlab.Packet
next:
	for _, p := range pkts {
		switch {
		case p.Kind == "arp":
			continue
		case client(p.Dst.Addr()) && !client(p.Src.Addr()):
			continue
		case p.Kind == "udp" && p.Involves(endpoint) && netlab.IsWireGuard(p.Payload):
			continue
		case p.Kind == "udp" && ports(p, 67, 68), p.Kind == "udp" && ports(p, 546, 547):
			continue
		case p.Kind == "icmpv6" && (p.ICMPType >= 133 && p.ICMPType <= 137 || p.ICMPType >= 130 && p.ICMPType <= 132 || p.ICMPType == 143):
			continue
		}
		for _, a := range allowed {
			if p.Involves(a) {
				continue next
			}
		}
		out = append(out, p)
	}
	return out
}

// ports reports whether p goes between ports a and b, either way.
func ports(p netlab.Packet, a, b uint16) bool {
	s, d := p.Src.Port(), p.Dst.Port()
	return s == a && d == b || s == b && d == a
}

// involving returns the packets to or from ap.
func involving(pkts []netlab.Packet, ap netip.AddrPort) []netlab.Packet {
	var out []netlab.Packet
	for _, p := range pkts {
		if p.Involves(ap) {
			out = append(out, p)
		}
	}
	return out
}

func render(pkts []netlab.Packet) string {
	if len(pkts) == 0 {
		return "  (none)"
	}
	lines := make([]string, len(pkts))
	for i, p := range pkts {
		lines[i] = "  " + p.String()
	}
	return strings.Join(lines, "\n")
}

// killSwitchStatus is the "kill_switch" of `wgdesk status --json name`.
func killSwitchStatus(t *testing.T, l *netlab.Lab, name string) string {
	t.Helper()
	var st struct {
		KillSwitch string `json:"kill_switch"`
	}
	out := l.Wgdesk("status", "--json", name)
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json %s: %v\n%s", name, err, out)
	}
	return st.KillSwitch
}

// requireKillSwitch skips the test, saying why, where the service under
// test cannot enforce a kill switch: its platform Network is no
// platform.Firewaller with KillSwitch support.
func requireKillSwitch(t *testing.T, l *netlab.Lab, name string) {
	t.Helper()
	switch ks := killSwitchStatus(t, l, name); ks {
	case "armed":
	case "unavailable":
		t.Skip("the kill switch is not available on Linux yet: platform's Linux Network is no platform.Firewaller " +
			"(the nftables kill switch, issue #11 item 1, is missing), so the kill-switch leak checks cannot run; " +
			"TestLeakControlWithoutKillSwitch still runs")
	default:
		t.Fatalf("kill switch of the full tunnel %s before up: %q, want armed", name, ks)
	}
}

// nftRuleset is the client namespace's whole nftables ruleset.
func nftRuleset(l *netlab.Lab) string { return l.InNS(l.Client, "nft", "list", "ruleset") }

// The control: without the kill switch, every probe around the tunnel
// gets through while a full IPv4 tunnel is up, and the capture on the
// uplink shows each of them. Were the probes or the capture blind, the
// kill-switch tests below would pass without a kill switch; this test
// proves they would not. A crash with the kill switch off leaks too.
func TestLeakControlWithoutKillSwitch(t *testing.T) {
	l, svc := newLeakLab(t)
	l.Wgdesk("set", "home", "killswitch=off")
	l.Wgdesk("up", "home")
	if ks := killSwitchStatus(t, l, "home"); ks != "off" {
		t.Fatalf("kill switch after killswitch=off: %q", ks)
	}

	capture := l.StartCapture()
	expectProbes(t, l, "full tunnel up, kill switch off",
		want(aroundTheTunnel, true), want([]netlab.Probe{probeInternet4, probeTunnelDNS}, true))
	pkts := capture.Stop()
	bad := leaks(pkts)
	for _, p := range aroundTheTunnel {
		if len(involving(bad, p.Addr)) == 0 {
			t.Errorf("the capture does not show %s (%s), which got through outside the tunnel; leaks seen:\n%s", p.Name, p.Addr, render(bad))
		}
	}
	// What went through the tunnel is no leak: only encrypted UDP.
	if got := involving(pkts, probeInternet4.Addr); len(got) > 0 {
		t.Errorf("the probe through the tunnel is on the uplink in clear:\n%s", render(got))
	}
	if got := involving(pkts, addrPort(netlab.UplinkServer, netlab.ServerPort)); len(got) == 0 {
		t.Errorf("the capture holds no WireGuard traffic:\n%s", render(pkts))
	}

	// A crash without the kill switch: the tunnel's interface is gone
	// with the process, and traffic takes the uplink.
	svc.Kill()
	capture = l.StartCapture()
	expectProbes(t, l, "service killed, kill switch off", want([]netlab.Probe{probeInternet4, probeCafeDNS}, true))
	bad = leaks(capture.Stop())
	for _, p := range []netlab.Probe{probeInternet4, probeCafeDNS} {
		if len(involving(bad, p.Addr)) == 0 {
			t.Errorf("after the crash the capture does not show %s; leaks seen:\n%s", p.Name, render(bad))
		}
	}
}

// With the kill switch on (the default of a full tunnel), nothing but
// WireGuard's UDP to the endpoint leaves the uplink, whatever the client
// tries, while the tunnel itself works; Allow LAN opens the printer and
// nothing else, and closes it again; down opens everything and leaves no
// rule behind.
func TestLeakKillSwitch(t *testing.T) {
	start := time.Now()
	l, svc := newLeakLab(t)
	before, rulesBefore := l.Snapshot(), nftRuleset(l)
	requireKillSwitch(t, l, "home")
	l.Wgdesk("up", "home")
	if ks := killSwitchStatus(t, l, "home"); ks != "active" {
		t.Fatalf("kill switch of the active full tunnel: %q, want active", ks)
	}

	expectSealed(t, l, "full tunnel up, kill switch on", true, nil,
		want(aroundTheTunnel, false), want([]netlab.Probe{probeInternet4, probeTunnelDNS}, true))

	l.Wgdesk("set", "home", "allowlan=on")
	pkts := expectSealed(t, l, "kill switch with Allow LAN", true, []netip.AddrPort{probePrinter.Addr, probeUplink6.Addr},
		want(aroundTheTunnel, false), want(onTheLAN, true), want([]netlab.Probe{probeInternet4, probeTunnelDNS}, true))
	if len(involving(pkts, probePrinter.Addr)) == 0 {
		t.Fatalf("the printer answered, but the capture does not show it:\n%s", render(pkts))
	}

	l.Wgdesk("set", "home", "allowlan=off")
	expectProbes(t, l, "Allow LAN turned off again", want(aroundTheTunnel, false), want([]netlab.Probe{probeInternet4}, true))

	l.Wgdesk("down", "home")
	expectProbes(t, l, "after down", want(aroundTheTunnel, true), want([]netlab.Probe{probeInternet4}, true))
	if rules := nftRuleset(l); rules != rulesBefore {
		t.Fatalf("down left nftables rules behind (- before, + after):\n%s", goldenfile.Diff(rulesBefore, rules))
	}
	if after := l.Snapshot(); after != before {
		t.Fatalf("down did not restore the namespace (- before, + after):\n%s", goldenfile.Diff(before, after))
	}
	svc.Stop(t)
	t.Logf("took %s", time.Since(start).Round(100*time.Millisecond))
}

// A service killed with SIGKILL while a kill-switched tunnel is up
// leaves the switch closed: the tunnel's interface is gone, and nothing
// leaves the client at all, not even what went through the tunnel. The
// next start of the service opens it: no rule is left and everything is
// reachable directly again.
func TestLeakKillSwitchAfterCrash(t *testing.T) {
	start := time.Now()
	l, svc := newLeakLab(t)
	before, rulesBefore := l.Snapshot(), nftRuleset(l)
	requireKillSwitch(t, l, "home")
	l.Wgdesk("up", "home")
	expectProbes(t, l, "full tunnel up", want([]netlab.Probe{probeInternet4}, true))
	svc.Kill()
	if rules := nftRuleset(l); rules == rulesBefore {
		t.Fatal("the killed service left no nftables rules: the kill switch did not survive the crash")
	}

	expectSealed(t, l, "service killed with the tunnel up", false, nil,
		want(aroundTheTunnel, false), want([]netlab.Probe{probeInternet4, probeTunnelDNS}, false))

	svc2 := l.StartService()
	if st := l.Status("home"); st.State != "inactive" {
		t.Fatalf("after the crash the tunnel should be inactive, is %q", st.State)
	}
	if rules := nftRuleset(l); rules != rulesBefore {
		t.Fatalf("the next start left nftables rules (- before, + after):\n%s", goldenfile.Diff(rulesBefore, rules))
	}
	if after := l.Snapshot(); after != before {
		t.Fatalf("the next start did not restore the namespace (- before, + after):\n%s", goldenfile.Diff(before, after))
	}
	expectProbes(t, l, "after the next start", want(aroundTheTunnel, true), want([]netlab.Probe{probeInternet4}, true))
	svc2.Stop(t)
	t.Logf("took %s", time.Since(start).Round(100*time.Millisecond))
}

// Allow LAN follows the uplink's addresses: a subnet the uplink gains
// while the tunnel is up becomes reachable, and one it loses is blocked
// again. The probe binds to the uplink, so that it cannot take the
// tunnel (whose far end would answer for the address too).
func TestLeakAllowLANFollowsUplinkAddresses(t *testing.T) {
	start := time.Now()
	l, svc := newLeakLab(t)
	requireKillSwitch(t, l, "home")
	const serverAddr, clientAddr, printerAddr = "10.77.0.1", "10.77.0.2", "10.77.0.9"
	l.InNS(l.Server, "ip", "addr", "add", serverAddr+"/24", "dev", l.ServerUplink())
	l.InNS(l.Server, "ip", "addr", "add", printerAddr+"/24", "dev", l.ServerUplink())
	printer2 := netlab.Probe{Name: "a printer on the subnet the uplink gained", Proto: "tcp", Addr: addrPort(printerAddr, netlab.PrinterPort), BindUplink: true}
	l.ServeBanner(printer2.Addr.String())

	l.Wgdesk("set", "home", "allowlan=on")
	l.Wgdesk("up", "home")
	expectProbes(t, l, "Allow LAN, before the uplink gains a subnet", want([]netlab.Probe{printer2}, false), want(onTheLAN, true))

	// The watch is asynchronous: give it a few seconds, no more.
	l.InNS(l.Client, "ip", "addr", "add", clientAddr+"/24", "dev", l.ClientUplink())
	until := func(ok bool) bool {
		for limit := time.Now().Add(5 * time.Second); time.Now().Before(limit); time.Sleep(100 * time.Millisecond) {
			if (l.Probe(printer2, 500*time.Millisecond) == nil) == ok {
				return true
			}
		}
		return false
	}
	if !until(true) {
		t.Fatalf("the printer on the subnet the uplink gained is not reachable 5s later; rules:\n%s", nftRuleset(l))
	}
	l.InNS(l.Client, "ip", "addr", "del", clientAddr+"/24", "dev", l.ClientUplink())
	if !until(false) {
		t.Fatalf("the subnet the uplink lost is still reachable 5s later; rules:\n%s", nftRuleset(l))
	}
	expectSealed(t, l, "Allow LAN, after the uplink lost the subnet", true, []netip.AddrPort{probePrinter.Addr, probeUplink6.Addr},
		want(aroundTheTunnel, false), want(onTheLAN, true), want([]netlab.Probe{printer2}, false), want([]netlab.Probe{probeInternet4}, true))
	l.Wgdesk("down", "home")
	if rules := nftRuleset(l); rules != "" {
		t.Fatalf("down left nftables rules:\n%s", rules)
	}
	svc.Stop(t)
	t.Logf("took %s", time.Since(start).Round(100*time.Millisecond))
}

// The leak filter itself, on made-up packets: what it lets pass and what
// it reports.
func TestLeakFilter(t *testing.T) {
	client, endpoint := addrPort(netlab.UplinkClient, 40000), addrPort(netlab.UplinkServer, netlab.ServerPort)
	wg := append([]byte{4, 0, 0, 0}, make([]byte, 28)...)
	pkt := func(kind string, src, dst netip.AddrPort, payload []byte, icmp uint8) netlab.Packet {
		return netlab.Packet{Kind: kind, Src: src, Dst: dst, Payload: payload, ICMPType: icmp}
	}
	fe80, allNodes := addrPort("fe80::1", 0), addrPort("ff02::1", 0)
	fine := []netlab.Packet{
		pkt("udp", client, endpoint, wg, 0),
		pkt("udp", endpoint, client, wg, 0),
		pkt("arp", addrPort(netlab.UplinkClient, 0), addrPort(netlab.UplinkServer, 0), nil, 0),
		pkt("udp", addrPort("0.0.0.0", 68), addrPort("255.255.255.255", 67), []byte{1}, 0),
		pkt("udp", addrPort("fe80::1", 546), addrPort("ff02::1:2", 547), []byte{1}, 0),
		pkt("icmpv6", fe80, allNodes, nil, 135),
		pkt("icmpv6", fe80, addrPort("ff02::16", 0), nil, 143),
		pkt("tcp", client, probePrinter.Addr, nil, 0), // allowed below
		// Arriving, not sent: a host off the LAN retransmits to us.
		pkt("tcp", addrPort("10.77.0.9", 9100), client, nil, 0),
	}
	bad := []netlab.Packet{
		pkt("udp", client, endpoint, []byte("not wireguard, but to its port 51820"), 0),
		pkt("udp", client, probeCafeDNS.Addr, []byte{1}, 0),
		pkt("tcp", addrPort(netlab.UplinkClient6, 40000), probeInternet6.Addr, nil, 0),
		pkt("icmpv6", fe80, allNodes, nil, 128), // echo request
		pkt("icmp", client, addrPort(netlab.Internet4, 0), nil, 8),
		pkt("ethertype 0x88cc", netip.AddrPort{}, netip.AddrPort{}, nil, 0),
	}
	got := leaks(append(fine, bad...), probePrinter.Addr)
	if render(got) != render(bad) {
		t.Fatalf("leaks:\n%s\nwant:\n%s", render(got), render(bad))
	}
	if got := leaks(fine); len(got) != 1 || !got[0].Involves(probePrinter.Addr) {
		t.Fatalf("without Allow LAN the printer's packet is a leak; got:\n%s", render(got))
	}
}
