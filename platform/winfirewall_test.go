package platform

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	goldenfile "github.com/wgdesk/wgdesk/internal/golden"
)

// fakeFirewall is the WFP behind winFirewall: the plans in force,
// replaced in one step. Its calls go into the fakeWin's list ("firewall
// set home office", "firewall off"), so that tests see them in order with
// the routes; fakeWin.fail can fail them (the old plans stay) or crash
// them.
type fakeFirewall struct {
	f  *fakeWin
	on map[string]winFirewallPlan
}

func (w *fakeFirewall) set(plans []winFirewallPlan) error {
	op := "firewall off"
	if len(plans) > 0 {
		names := make([]string, 0, len(plans))
		for _, p := range plans {
			names = append(names, p.Interface)
		}
		op = "firewall set " + strings.Join(names, " ")
	}
	if err := w.f.change("%s", op); err != nil {
		return err
	}
	w.on = map[string]winFirewallPlan{}
	for _, p := range plans {
		if _, dup := w.on[p.Interface]; dup {
			return fmt.Errorf("two plans for %s", p.Interface)
		}
		w.on[p.Interface] = p
	}
	if len(plans) == 0 {
		w.on = nil
	}
	return nil
}

// plan returns the plan in force for ifname, or nil.
func (w *fakeFirewall) plan(ifname string) *winFirewallPlan {
	if p, ok := w.on[ifname]; ok {
		return &p
	}
	return nil
}

func newTestWinFirewall(t *testing.T) (*winNetwork, *fakeWin, *fakeFirewall, string) {
	t.Helper()
	n, f, dir := newTestWin(t)
	fw := &fakeFirewall{f: f}
	n.fw = fw
	return n, f, fw, dir
}

// winFirewallCalls are the firewall calls and the additions and
// deletions, in order.
func winFirewallCalls(f *fakeWin) []string {
	var out []string
	for _, c := range f.calls {
		if strings.HasPrefix(c, "firewall") || strings.HasPrefix(c, "add") || strings.HasPrefix(c, "delete") || strings.HasPrefix(c, "flush") {
			out = append(out, c)
		}
	}
	return out
}

// winFirewallTable is a laptop's routing table seen by Allow LAN: the home
// LAN in both families, a Wi-Fi subnet, host and multicast routes that are
// no subnets, loopback, and the tunnel's own routes.
func winFirewallTable() []winRoute {
	r := func(p string, luid uint64, nh string) winRoute {
		return winRoute{Prefix: netip.MustParsePrefix(p), LUID: luid, NextHop: netip.MustParseAddr(nh)}
	}
	return []winRoute{
		r("0.0.0.0/0", luidEthernet, "192.168.1.1"),
		r("192.168.1.0/24", luidEthernet, "0.0.0.0"),
		r("192.168.1.23/32", luidEthernet, "0.0.0.0"),
		r("192.168.1.255/32", luidEthernet, "0.0.0.0"),
		r("224.0.0.0/4", luidEthernet, "0.0.0.0"),
		r("255.255.255.255/32", luidEthernet, "0.0.0.0"),
		r("10.9.0.0/16", luidWiFi, "0.0.0.0"),
		r("127.0.0.0/8", 1, "0.0.0.0"),
		r("203.0.113.5/32", luidEthernet, "192.168.1.1"), // an endpoint's host route
		r("192.168.100.0/24", luidTunnel, "0.0.0.0"),     // the tunnel's
		r("::/0", luidEthernet, "fe80::1"),
		r("2001:db8:1::/64", luidEthernet, "::"),
		r("fe80::/64", luidEthernet, "::"),
		r("fe80::1234/128", luidEthernet, "::"),
		r("ff00::/8", luidEthernet, "::"),
		r("fe80::/64", luidTunnel, "::"),
	}
}

func TestWinFirewallPlanGolden(t *testing.T) {
	dns := []netip.Addr{netip.MustParseAddr("fd00:100::1"), netip.MustParseAddr("192.168.100.1"), netip.MustParseAddr("192.168.100.1")}
	for _, tc := range []struct {
		golden   string
		routes   []string
		allowLAN bool
	}{
		{"winfirewall_ipv4_only", []string{"0.0.0.0/0"}, false},
		{"winfirewall_ipv4_only_lan", []string{"0.0.0.0/0"}, true},
		{"winfirewall_dual_stack", []string{"0.0.0.0/0", "::/0"}, false},
		{"winfirewall_dual_stack_lan", []string{"0.0.0.0/0", "::/0"}, true},
		{"winfirewall_ipv6_only", []string{"::/0", "10.0.0.0/8"}, false},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			s := winFullSettings()
			s.Routes = prefixes(tc.routes...)
			s.DNS = dns
			s.KillSwitch, s.AllowLAN = true, tc.allowLAN
			read := 0
			p, ok, err := newWinFirewallPlan("home", luidTunnel, s, s.Routes, func() ([]winRoute, error) {
				read++
				return winFirewallTable(), nil
			})
			if err != nil || !ok {
				t.Fatalf("plan: %v, %v", ok, err)
			}
			if want := map[bool]int{false: 0, true: 1}[tc.allowLAN]; read != want {
				t.Errorf("routing table read %d times, want %d (only for Allow LAN)", read, want)
			}
			got := p.String() + "\n"
			path := filepath.Join("testdata", tc.golden+".golden")
			goldenfile.Check(t, path, got, *update)
		})
	}
}

func TestWinFirewallPlanOnlyForFullTunnels(t *testing.T) {
	noTable := func() ([]winRoute, error) { return nil, errors.New("not read") }
	for _, tc := range []struct {
		name   string
		ks     bool
		routes []string
	}{
		{"kill switch off", false, []string{"0.0.0.0/0", "::/0"}},
		{"split tunnel", true, []string{"10.0.0.0/8", "fd00::/8"}},
		{"table off (no routes)", true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := winFullSettings()
			s.Routes = prefixes(tc.routes...)
			s.KillSwitch, s.AllowLAN = tc.ks, true
			if p, ok, err := newWinFirewallPlan("home", luidTunnel, s, s.Routes, noTable); ok || err != nil {
				t.Errorf("got a plan: %v %v\n%s", ok, err, p)
			}
		})
	}
}

func TestWinConnectedSubnets(t *testing.T) {
	got := fmt.Sprint(winConnectedSubnets(winFirewallTable(), luidTunnel))
	if want := "[10.9.0.0/16 192.168.1.0/24 2001:db8:1::/64 fe80::/64]"; got != want {
		t.Errorf("connected subnets %s, want %s", got, want)
	}
}

func TestWinFirewallSupport(t *testing.T) {
	n, _, _ := newTestWin(t)
	if got := FirewallOf(n); got.KillSwitch || got.AllowLAN {
		t.Errorf("without a firewall seam: %+v", got)
	}
	n.fw = &fakeFirewall{}
	if got := FirewallOf(n); !got.KillSwitch || !got.AllowLAN || !strings.Contains(got.Limit, "leaves the network open") {
		t.Errorf("with the WFP firewall: %+v", got)
	}
}

func winKillSwitchSettings() Settings {
	s := winFullSettings()
	s.KillSwitch = true
	return s
}

func TestWinKillSwitchOnBeforeRoutesOffLast(t *testing.T) {
	n, f, fw, dir := newTestWinFirewall(t)
	ctx := context.Background()
	if err := n.Apply(ctx, "home", winKillSwitchSettings()); err != nil {
		t.Fatal(err)
	}
	winCheckState(t, f, winFullState)
	c := winFirewallCalls(f)
	if len(c) == 0 || c[0] != "firewall set home" {
		t.Fatalf("the firewall must go on before any address or route: %q", c)
	}
	if p := fw.plan("home"); p == nil || p.LUID != luidTunnel || !p.FullIPv4 || !p.FullIPv6 || fmt.Sprint(p.DNS) != "[192.168.100.1 fd00:100::1]" || p.AllowLAN {
		t.Errorf("enforced plan:\n%v", p)
	}
	if j := winJournalFile(t, dir, "home"); !strings.Contains(j, `"firewall": true`) {
		t.Errorf("journal lacks the firewall:\n%s", j)
	}

	// Applying again keeps the firewall as it is (no gap).
	f.calls = nil
	if err := n.Apply(ctx, "home", winKillSwitchSettings()); err != nil {
		t.Fatal(err)
	}
	if c := winFirewallCalls(f); len(c) != 0 {
		t.Errorf("re-apply changed things: %q", c)
	}

	f.calls = nil
	if err := n.Apply(ctx, "home", Settings{}); err != nil {
		t.Fatal(err)
	}
	c = winFirewallCalls(f)
	if len(c) < 2 || c[len(c)-1] != "firewall off" || slices.Index(c, "firewall off") != len(c)-1 {
		t.Errorf("the firewall must go off after everything else: %q", c)
	}
	if fw.on != nil || len(n.fwOn) != 0 {
		t.Error("firewall still on after removal")
	}
	if got := winJournalFile(t, dir, "home"); got != "" {
		t.Errorf("journal left after removal:\n%s", got)
	}
}

func TestWinKillSwitchToggledWhileUp(t *testing.T) {
	n, f, fw, _ := newTestWinFirewall(t)
	ctx := context.Background()
	if err := n.Apply(ctx, "home", winFullSettings()); err != nil {
		t.Fatal(err)
	}
	if fw.on != nil {
		t.Fatal("firewall on without the kill switch")
	}
	f.calls = nil
	if err := n.Apply(ctx, "home", winKillSwitchSettings()); err != nil {
		t.Fatal(err)
	}
	if c := winFirewallCalls(f); !slices.Equal(c, []string{"firewall set home"}) {
		t.Errorf("kill switch on while up: %q, want only the firewall", c)
	}
	f.calls = nil
	if err := n.Apply(ctx, "home", winFullSettings()); err != nil {
		t.Fatal(err)
	}
	if c := winFirewallCalls(f); !slices.Equal(c, []string{"firewall off"}) {
		t.Errorf("kill switch off while up: %q, want only the firewall", c)
	}
	winCheckState(t, f, winFullState)
}

func TestWinKillSwitchOnlyForFullTunnels(t *testing.T) {
	n, f, fw, _ := newTestWinFirewall(t)
	s := winSplitSettings()
	s.KillSwitch = true
	if err := n.Apply(context.Background(), "home", s); err != nil {
		t.Fatal(err)
	}
	if fw.on != nil || slices.ContainsFunc(f.calls, func(c string) bool { return strings.HasPrefix(c, "firewall") }) {
		t.Errorf("a split tunnel got the firewall: %q", f.calls)
	}
}

// TestWinKillSwitchTwoTunnels: each tunnel's kill switch joins the
// firewall and leaves it on its own, and the filters are replaced in one
// step each time, with no "off" between.
func TestWinKillSwitchTwoTunnels(t *testing.T) {
	n, f, fw, _ := newTestWinFirewall(t)
	ctx := context.Background()
	if err := n.Apply(ctx, "home", winKillSwitchSettings()); err != nil {
		t.Fatal(err)
	}
	f.ifaces["office"] = 98
	f.names[98] = "office"
	f.calls = nil
	office := winKillSwitchSettings()
	office.Addresses = prefixes("10.7.0.2/32")
	office.Routes = prefixes("::/0")
	office.Endpoints = nil
	if err := n.Apply(ctx, "office", office); err != nil {
		t.Fatal(err)
	}
	if c := winFirewallCalls(f); len(c) == 0 || c[0] != "firewall set home office" || slices.Contains(c, "firewall off") {
		t.Errorf("second kill switch: %q, want the filters of both first, in one step", c)
	}
	if h, o := fw.plan("home"), fw.plan("office"); h == nil || o == nil || o.LUID != 98 || o.FullIPv4 || !o.FullIPv6 {
		t.Fatalf("plans in force: %v", fw.on)
	}
	f.calls = nil
	if err := n.Apply(ctx, "home", Settings{}); err != nil {
		t.Fatal(err)
	}
	if c := winFirewallCalls(f); c[len(c)-1] != "firewall set office" || slices.Contains(c, "firewall off") {
		t.Errorf("home down: %q, want office's kill switch alone, last", c)
	}
	if err := n.Apply(ctx, "office", Settings{}); err != nil {
		t.Fatal(err)
	}
	if fw.on != nil || len(n.fwOn) != 0 {
		t.Errorf("firewall after both went down: %v", fw.on)
	}
}

// TestWinKillSwitchAllowLAN: the connected subnets of the uplinks are
// permitted, and follow a network change when the tunnel is applied
// again, in one step.
func TestWinKillSwitchAllowLAN(t *testing.T) {
	n, f, fw, _ := newTestWinFirewall(t)
	ctx := context.Background()
	s := winKillSwitchSettings()
	s.AllowLAN = true
	if err := n.Apply(ctx, "home", s); err != nil {
		t.Fatal(err)
	}
	p := fw.plan("home")
	if p == nil || !p.AllowLAN || fmt.Sprint(p.LAN) != "[10.9.0.0/16 192.168.1.0/24]" {
		t.Fatalf("plan in force: %v", p)
	}
	// The laptop joins another network: the Wi-Fi gets a new subnet.
	f.table = append(f.table, fakeRoute{luidWiFi, netip.MustParsePrefix("172.20.0.0/22"), netip.IPv4Unspecified(), 0})
	f.calls = nil
	if err := n.Apply(ctx, "home", s); err != nil {
		t.Fatal(err)
	}
	if c := winFirewallCalls(f); !slices.Equal(c, []string{"firewall set home"}) {
		t.Errorf("after the network change: %q, want the filters replaced once", c)
	}
	if p := fw.plan("home"); p == nil || fmt.Sprint(p.LAN) != "[10.9.0.0/16 172.20.0.0/22 192.168.1.0/24]" {
		t.Errorf("plan after the network change: %v", p)
	}
	// Another tunnel of ours comes up, a split one: its on-link routes
	// are no LAN.
	f.ifaces["office"] = 98
	f.names[98] = "office"
	if err := n.Apply(ctx, "office", winSplitSettings()); err != nil {
		t.Fatal(err)
	}
	if err := n.Apply(ctx, "home", s); err != nil {
		t.Fatal(err)
	}
	if p := fw.plan("home"); p == nil || fmt.Sprint(p.LAN) != "[10.9.0.0/16 172.20.0.0/22 192.168.1.0/24]" {
		t.Errorf("plan with a split tunnel beside it: %v", p)
	}
	// Nothing changed: nothing is replaced.
	f.calls = nil
	if err := n.Apply(ctx, "home", s); err != nil {
		t.Fatal(err)
	}
	if c := winFirewallCalls(f); len(c) != 0 {
		t.Errorf("re-apply without a change: %q", c)
	}
}

// TestWinKillSwitchReplaceFails: a failed replacement leaves the old
// filters in force, and Apply rolls the rest back.
func TestWinKillSwitchReplaceFails(t *testing.T) {
	n, f, fw, _ := newTestWinFirewall(t)
	ctx := context.Background()
	if err := n.Apply(ctx, "home", winKillSwitchSettings()); err != nil {
		t.Fatal(err)
	}
	s := winKillSwitchSettings()
	s.AllowLAN = true
	f.fail = winFailOn("firewall set home")
	if err := n.Apply(ctx, "home", s); err == nil {
		t.Fatal("Apply succeeded")
	}
	if p := fw.plan("home"); p == nil || p.AllowLAN {
		t.Errorf("after a failed replacement: %v, want the old plan", p)
	}
	if p, ok := n.fwOn["home"]; !ok || p.AllowLAN {
		t.Errorf("recorded plan: %v", p)
	}
	winCheckState(t, f, winFullState)
}

func TestWinKillSwitchFailureRollsBack(t *testing.T) {
	for failAt, ifset := range map[string]string{
		"firewall set":            "", // first of all: nothing else was done
		"addRoute home 0.0.0.0/0": "if home ipv4 mtu 1420 metric 0\nif home ipv6 mtu 1420 metric 0\n",
	} {
		t.Run(failAt, func(t *testing.T) {
			n, f, fw, dir := newTestWinFirewall(t)
			f.fail = winFailOn(failAt)
			if err := n.Apply(context.Background(), "home", winKillSwitchSettings()); err == nil {
				t.Fatal("Apply succeeded")
			}
			if fw.on != nil || len(n.fwOn) != 0 {
				t.Error("the firewall stayed on after a failed Apply")
			}
			winCheckState(t, f, winBaseline+ifset)
			if got := winJournalFile(t, dir, "home"); got != "" {
				t.Errorf("journal after rollback:\n%s", got)
			}
		})
	}
}

func TestWinKillSwitchOffEvenWhenRemovalsFail(t *testing.T) {
	n, f, fw, dir := newTestWinFirewall(t)
	ctx := context.Background()
	if err := n.Apply(ctx, "home", winKillSwitchSettings()); err != nil {
		t.Fatal(err)
	}
	f.fail = winFailOn("deleteRoute Ethernet 203.0.113.5/32")
	if err := n.Apply(ctx, "home", Settings{}); err == nil {
		t.Fatal("removal succeeded")
	}
	// The tunnel is going away: the user gets the network back, and the
	// route left over stays in the journal.
	if fw.on != nil {
		t.Error("the kill switch stayed on after the tunnel went down")
	}
	j := winJournalFile(t, dir, "home")
	if !strings.Contains(j, "203.0.113.5/32") || strings.Contains(j, "firewall") {
		t.Errorf("journal after a failed removal:\n%s", j)
	}
}

func TestWinKillSwitchAfterCrash(t *testing.T) {
	n, f, _, dir := newTestWinFirewall(t)
	ctx := context.Background()
	f.fail = func(op string) error {
		if strings.HasPrefix(op, "addRoute home 0.0.0.0/0") {
			panic("crash")
		}
		return nil
	}
	func() {
		defer func() {
			if r := recover(); r != "crash" {
				t.Fatalf("did not crash: %v", r)
			}
		}()
		n.Apply(ctx, "home", winKillSwitchSettings())
	}()
	f.fail = nil
	if j := winJournalFile(t, dir, "home"); !strings.Contains(j, `"firewall": true`) {
		t.Fatalf("journal of the crashed run lacks the firewall:\n%s", j)
	}
	// The WFP session died with the process. The next start has its own
	// (empty) firewall: Recover must not turn anything off, and must
	// clear the record.
	var logged []string
	n2 := newWinNetwork(Options{StateDir: dir, Logger: Logger{Verbosef: func(format string, args ...any) {
		logged = append(logged, fmt.Sprintf(format, args...))
	}}}, f)
	fw2 := &fakeFirewall{f: f}
	n2.fw = fw2
	f.calls = nil
	if err := n2.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(f.calls, func(c string) bool { return strings.HasPrefix(c, "firewall") }) {
		t.Errorf("Recover touched the firewall: %q", f.calls)
	}
	if got := winJournalFile(t, dir, "home"); got != "" {
		t.Errorf("journal after Recover:\n%s", got)
	}
	if !slices.ContainsFunc(logged, func(l string) bool { return strings.Contains(l, "kill switch of home ended with the earlier run") }) {
		t.Errorf("Recover did not say what became of the kill switch: %q", logged)
	}
	if err := n2.Apply(ctx, "home", winKillSwitchSettings()); err != nil {
		t.Fatal(err)
	}
	if fw2.on == nil {
		t.Error("no kill switch after recovery")
	}
}
