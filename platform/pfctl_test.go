package platform

import (
	"context"
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func macFullKillSwitch(allowLAN bool) Settings {
	s := macFull()
	s.KillSwitch, s.AllowLAN = true, allowLAN
	return s
}

// indexOf returns the position of the first command starting with prefix,
// or -1.
func indexOf(cmds []string, prefix string) int {
	return slices.IndexFunc(cmds, func(c string) bool { return strings.HasPrefix(c, prefix) })
}

func lastIndexOf(cmds []string, prefix string) int {
	for i := len(cmds) - 1; i >= 0; i-- {
		if strings.HasPrefix(cmds[i], prefix) {
			return i
		}
	}
	return -1
}

func TestMacFirewallSupport(t *testing.T) {
	f := newMacFixture(t)
	if got := FirewallOf(f.net); !got.KillSwitch || !got.AllowLAN || got.Limit == "" {
		t.Errorf("firewall support: %+v", got)
	}
	// A runner that cannot run pfctl: no kill switch, and Settings asking
	// for one are applied without it.
	n := newMacNetwork(Options{StateDir: t.TempDir()}, onlyRun{f.mac})
	if got := FirewallOf(n); got.KillSwitch {
		t.Errorf("without pfctl: %+v", got)
	}
	if err := n.Apply(context.Background(), "utun5", macFullKillSwitch(false)); err != nil {
		t.Fatal(err)
	}
	if f.mac.pf.enabled || len(f.mac.pf.anchors) != 0 {
		t.Errorf("pf touched without pfctl: %v", f.mac.pf.state())
	}
}

// onlyRun hides the fake's pfctl seam.
type onlyRun struct{ m *fakeMac }

func (o onlyRun) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	return o.m.run(ctx, name, args...)
}

// The kill switch of a full tunnel: the anchor is loaded and pf enabled by
// reference before the first route, and both go after the last route; the
// command sequences are golden files.
func TestMacKillSwitchUpDown(t *testing.T) {
	f := newMacFixture(t)
	s := macFullKillSwitch(false)
	f.apply(t, s)
	up := f.mutations()
	macGolden(t, "macnet-killswitch-up.golden", up)
	if a, r := indexOf(up, "pfctl -E"), indexOf(up, "route -q -n add"); a < 0 || r < 0 || a > r {
		t.Errorf("pf enabled at command %d, first route at %d: want the kill switch first", a, r)
	}
	if !f.mac.pf.inForce() {
		t.Fatalf("kill switch not in force: %v", f.mac.pf.state())
	}
	want := pfAnchorText([]pfTunnel{{Interface: "utun5", FullIPv4: true, FullIPv6: true,
		Endpoints: []netip.AddrPort{netip.MustParseAddrPort("198.51.100.9:51820"), netip.MustParseAddrPort("203.0.113.7:13231"), netip.MustParseAddrPort("[2001:db8:ffff::7]:13231")},
		DNS:       []netip.Addr{netip.MustParseAddr("10.66.0.1"), netip.MustParseAddr("fd66::1")}}}, nil)
	if got := f.mac.pf.anchors[pfAnchor]; got != want {
		t.Errorf("anchor:\n%s\nwant\n%s", got, want)
	}
	var e macEntry
	for _, data := range f.readJournal(t) {
		if err := json.Unmarshal(data, &e); err != nil {
			t.Fatal(err)
		}
	}
	if e.KillSwitch == nil || !f.mac.pf.tokens[e.KillSwitch.Token] {
		t.Errorf("journal names kill switch %+v, pf holds %v", e.KillSwitch, f.mac.pf.tokens)
	}

	// Again: nothing changes, the LAN is not read (no Allow LAN).
	f.apply(t, s)
	if m := f.mutations(); len(m) != 0 {
		t.Errorf("re-apply ran %q", m)
	}

	f.apply(t, Settings{})
	down := f.mutations()
	macGolden(t, "macnet-killswitch-down.golden", down)
	if a, r := indexOf(down, "pfctl -a "+pfAnchor+" -F rules"), lastIndexOf(down, "route -n delete"); a < 0 || r < 0 || a < r {
		t.Errorf("anchor flushed at command %d, last route removed at %d: want the kill switch last", a, r)
	}
	f.wantChanges(t, "- iface utun5 down mtu 1500", "+ iface utun5 up mtu 1420")
	f.wantJournalEmpty(t)
}

// Turning the kill switch off on a tunnel that stays up removes it; on
// again puts it back.
func TestMacKillSwitchToggle(t *testing.T) {
	f := newMacFixture(t)
	f.apply(t, macFullKillSwitch(false))
	f.apply(t, macFull())
	if f.mac.pf.enabled || f.mac.pf.anchors[pfAnchor] != "" {
		t.Errorf("kill switch off, pf: %v", f.mac.pf.state())
	}
	f.mutations()
	f.apply(t, macFullKillSwitch(false))
	if got := f.mutations(); !slices.Equal(got, []string{"pfctl -a " + pfAnchor + " -f -", "pfctl -E"}) {
		t.Errorf("on again ran %q", got)
	}
	if !f.mac.pf.inForce() {
		t.Errorf("kill switch not in force")
	}
}

// A split tunnel has no kill switch, whatever Settings say.
func TestMacKillSwitchSplitTunnel(t *testing.T) {
	f := newMacFixture(t)
	s := macSplit()
	s.KillSwitch = true
	f.apply(t, s)
	for _, m := range f.mutations() {
		if strings.HasPrefix(m, "pfctl") {
			t.Errorf("split tunnel ran %q", m)
		}
	}
}

// A pf that the user enabled stays enabled after the kill switch: only our
// reference is given back.
func TestMacKillSwitchKeepsUsersPF(t *testing.T) {
	f := newMacFixture(t)
	if _, err := f.mac.pfctl(context.Background(), nil, "-e"); err != nil {
		t.Fatal(err)
	}
	f.initial = f.mac.state()
	f.apply(t, macFullKillSwitch(false))
	if f.mac.pf.count != 2 {
		t.Errorf("references with the kill switch: %d, want 2", f.mac.pf.count)
	}
	f.apply(t, Settings{})
	if !f.mac.pf.enabled || f.mac.pf.count != 1 {
		t.Errorf("after the kill switch: %v", f.mac.pf.state())
	}
	f.wantChanges(t, "- iface utun5 down mtu 1500", "+ iface utun5 up mtu 1420")
}

// The user disabled pf (pfctl -d drops every reference) while the kill
// switch was on: taking the tunnel down still succeeds and forgets it.
func TestMacKillSwitchPFDisabledMeanwhile(t *testing.T) {
	f := newMacFixture(t)
	f.apply(t, macFullKillSwitch(false))
	if _, err := f.mac.pfctl(context.Background(), nil, "-d"); err != nil {
		t.Fatal(err)
	}
	f.apply(t, Settings{})
	f.wantChanges(t, "- iface utun5 down mtu 1500", "+ iface utun5 up mtu 1420")
	f.wantJournalEmpty(t)
}

// Allow LAN keeps the uplink's connected subnets, read with netstat, and
// follows them when the tunnel is applied again after a network change.
func TestMacKillSwitchAllowLANFollowsUplink(t *testing.T) {
	f := newMacFixture(t)
	f.apply(t, macFullKillSwitch(true))
	text := f.mac.pf.anchors[pfAnchor]
	for _, want := range []string{
		"pass out quick inet from any to 192.168.1.0/24 keep state",
		"pass in quick inet6 from 2001:db8:1:2::/64 to any keep state",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("anchor lacks %q:\n%s", want, text)
		}
	}
	for _, not := range []string{"127.0.0.0/8", "utun5 keep", "0.0.0.0/1"} {
		if strings.Contains(text, not) {
			t.Errorf("anchor allows %q:\n%s", not, text)
		}
	}
	// The anchor in force, as the model decides first packets.
	rules, err := parsePFAnchor(text)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p    pfPacket
		want string
	}{
		{pfPkt("out", "en0", ipProtoTCP, "192.168.1.23:50000", "192.168.1.50:631"), "pass"},
		{pfPkt("out", "en0", ipProtoUDP, "192.168.1.23:50000", "192.168.1.1:53"), "block return"},
		{pfPkt("out", "en0", ipProtoUDP, "192.168.1.23:50000", "198.51.100.9:51820"), "pass"},
		{pfPkt("out", "en0", ipProtoTCP, "192.168.1.23:50000", "93.184.216.34:443"), "block return"},
	} {
		if got, by := decidePF(rules, c.p); got != c.want {
			t.Errorf("%+v: %s by %q, want %s", c.p, got, by, c.want)
		}
	}
	f.mutations()

	// Another Wi-Fi: the engine applies again (Watch), the anchor follows.
	delete(f.mac.routes, netip.MustParsePrefix("192.168.1.0/24"))
	f.mac.routes[netip.MustParsePrefix("10.20.0.0/16")] = fakeMacRoute{iface: "en0"}
	f.apply(t, macFullKillSwitch(true))
	if got := f.mutations(); !slices.Equal(got, []string{"pfctl -a " + pfAnchor + " -f -"}) {
		t.Errorf("after the network change ran %q", got)
	}
	text = f.mac.pf.anchors[pfAnchor]
	if !strings.Contains(text, "to 10.20.0.0/16 keep state") || strings.Contains(text, "192.168.1.0/24") {
		t.Errorf("anchor after the change:\n%s", text)
	}
}

// Two kill-switched tunnels share the anchor and hold a reference each;
// the LAN passes only when both allow it.
func TestMacKillSwitchTwoTunnels(t *testing.T) {
	f := newMacFixture(t)
	f.mac.ifaces["utun6"] = &fakeMacIface{p2p: true, mtu: 1500}
	f.initial = f.mac.state()
	ctx := context.Background()
	office := Settings{
		Addresses:  prefixes("fd77::2/64"),
		Routes:     prefixes("::/0"),
		DNS:        []netip.Addr{netip.MustParseAddr("2001:db8:5::53")},
		Endpoints:  []netip.AddrPort{netip.MustParseAddrPort("[2001:db8:5::1]:51820")},
		KillSwitch: true,
	}
	// macOS has one routing table: home takes IPv4, office IPv6.
	home := macFullKillSwitch(true)
	home.Routes = prefixes("0.0.0.0/0")
	f.apply(t, home)
	if err := f.net.Apply(ctx, "utun6", office); err != nil {
		t.Fatal(err)
	}
	if got := f.mac.pf.pfHeld(); !slices.Equal(got, []string{"utun5", "utun6"}) {
		t.Errorf("anchor holds %v", got)
	}
	if f.mac.pf.count != 2 {
		t.Errorf("references: %d", f.mac.pf.count)
	}
	if strings.Contains(f.mac.pf.anchors[pfAnchor], "192.168.1.0/24") {
		t.Errorf("lan allowed though office does not allow it")
	}
	f.apply(t, Settings{})
	if got := f.mac.pf.pfHeld(); !slices.Equal(got, []string{"utun6"}) || !f.mac.pf.inForce() || f.mac.pf.count != 1 {
		t.Errorf("after home went: anchor holds %v, %v", got, f.mac.pf.state())
	}
	if err := f.net.Apply(ctx, "utun6", Settings{}); err != nil {
		t.Fatal(err)
	}
	f.wantChanges(t, "- iface utun5 down mtu 1500", "+ iface utun5 up mtu 1420",
		"- iface utun6 down mtu 1500", "+ iface utun6 up mtu 1420")
	f.wantJournalEmpty(t)
}

// A main ruleset without the com.apple/* anchor would not evaluate ours:
// the kill switch is refused before any route, rather than pretend.
func TestMacKillSwitchNotReferenced(t *testing.T) {
	f := newMacFixture(t)
	f.mac.pf.main = []string{"block drop in quick on en0 proto tcp from any to any port = 22"}
	f.initial = f.mac.state()
	err := f.net.Apply(context.Background(), "utun5", macFullKillSwitch(false))
	if err == nil || !strings.Contains(err.Error(), `anchor "com.apple/*"`) {
		t.Fatalf("apply: %v", err)
	}
	for _, m := range f.mutations() {
		if strings.HasPrefix(m, "route") || strings.HasPrefix(m, "networksetup") || m == "pfctl -E" {
			t.Errorf("ran %q after the refusal", m)
		}
	}
	// The engine takes the tunnel down: nothing is left.
	f.apply(t, Settings{})
	f.wantChanges(t)
	f.wantJournalEmpty(t)
}

// An empty main ruleset (pf.conf never loaded) gets macOS's own.
func TestMacKillSwitchEmptyMainRuleset(t *testing.T) {
	f := newMacFixture(t)
	f.mac.pf.main = nil
	f.apply(t, macFullKillSwitch(false))
	if got := f.mutations(); got[0] != "pfctl -f /etc/pf.conf" {
		t.Errorf("first command %q", got[0])
	}
	if !f.mac.pf.inForce() {
		t.Errorf("kill switch not in force: %v", f.mac.pf.state())
	}
}

// The service is killed after each possible command of a kill-switched
// full tunnel's Apply. Once the anchor and pf's reference are in place the
// network stays closed while the service is dead; Recover in a new service
// leaves the Mac as it was: anchor flushed, the reference given back, pf
// disabled again.
func TestMacKillSwitchCrashAnywhereThenRecover(t *testing.T) {
	probe := newMacFixture(t)
	probe.apply(t, macFullKillSwitch(true))
	cmds := probe.mutations()
	enabled := indexOf(cmds, "pfctl -E") + 1 // 1-based
	for kill := 1; kill <= len(cmds)+1; kill++ {
		f := newMacFixture(t)
		f.mac.killAt = kill
		var frozen map[string][]byte
		f.mac.onKill = func() { frozen = f.readJournal(t) }
		err := f.net.Apply(context.Background(), "utun5", macFullKillSwitch(true))
		if kill <= len(cmds) && err == nil {
			t.Fatalf("kill at %d: apply did not fail", kill)
		}
		if frozen != nil {
			f.writeJournal(t, frozen)
		}
		if kill > enabled && !f.mac.pf.inForce() {
			t.Errorf("kill at %d (%s): the network is open while the service is dead", kill, cmds[kill-2])
		}
		f.mac.dead, f.mac.killAt = false, 0
		f.mac.removeInterface("utun5")
		if err := f.newNetwork(t).Recover(context.Background()); err != nil {
			t.Fatalf("kill at %d: recover: %v", kill, err)
		}
		f.wantChanges(t, "- iface utun5 down mtu 1500")
		f.wantJournalEmpty(t)
		if t.Failed() {
			t.Fatalf("kill at command %d of %d", kill, len(cmds))
		}
	}
}

// Recover after a crash: the golden command sequence, routes and DNS
// first, the kill switch last.
func TestMacKillSwitchRecoverSequence(t *testing.T) {
	f := newMacFixture(t)
	f.apply(t, macFullKillSwitch(false))
	f.mutations()
	f.mac.removeInterface("utun5")
	if err := f.newNetwork(t).Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	macGolden(t, "macnet-killswitch-recover.golden", f.mutations())
	f.wantChanges(t, "- iface utun5 down mtu 1500")
	f.wantJournalEmpty(t)
}

// After a reboot pf holds neither the anchor nor the reference; Recover
// lets the stale token go.
func TestMacKillSwitchRecoverAfterReboot(t *testing.T) {
	f := newMacFixture(t)
	f.apply(t, macFullKillSwitch(false))
	f.mac.removeInterface("utun5")
	f.mac.pf = newFakePF()
	for p, r := range f.mac.routes {
		if r.gateway.IsValid() && p.IsSingleIP() {
			delete(f.mac.routes, p) // host routes do not survive a reboot
		}
	}
	if err := f.newNetwork(t).Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.wantJournalEmpty(t)
	if f.mac.pf.enabled {
		t.Errorf("pf enabled by recover")
	}
}

// An endpoint that moves (DDNS) is applied again: the anchor lets the
// encrypted UDP out to the new address before its host route exists, and
// no longer to the old one.
func TestMacKillSwitchEndpointMoves(t *testing.T) {
	f := newMacFixture(t)
	s := macFullKillSwitch(false)
	f.apply(t, s)
	f.mutations()
	s.Endpoints = []netip.AddrPort{netip.MustParseAddrPort("203.0.113.8:13231")}
	f.apply(t, s)
	got := f.mutations()
	if a, r := indexOf(got, "pfctl -a "+pfAnchor+" -f -"), indexOf(got, "route -q -n add -inet 203.0.113.8"); a < 0 || r < 0 || a > r {
		t.Errorf("anchor loaded at %d, new endpoint's route at %d:\n%s", a, r, strings.Join(got, "\n"))
	}
	if slices.Contains(got, "pfctl -E") {
		t.Errorf("a second reference taken: %q", got)
	}
	text := f.mac.pf.anchors[pfAnchor]
	if !strings.Contains(text, "to 203.0.113.8 port 13231") || strings.Contains(text, "203.0.113.7") {
		t.Errorf("anchor after the move:\n%s", text)
	}
}

// A pf that the user enabled stays enabled when Recover removes the kill
// switch of a killed service.
func TestMacKillSwitchRecoverKeepsUsersPF(t *testing.T) {
	f := newMacFixture(t)
	if _, err := f.mac.pfctl(context.Background(), nil, "-e"); err != nil {
		t.Fatal(err)
	}
	f.initial = f.mac.state()
	f.apply(t, macFullKillSwitch(true))
	f.mac.removeInterface("utun5") // killed: nothing else is undone
	if err := f.newNetwork(t).Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.wantChanges(t, "- iface utun5 down mtu 1500")
	if !f.mac.pf.enabled || f.mac.pf.count != 1 {
		t.Errorf("after recover: %v", f.mac.pf.state())
	}
}
