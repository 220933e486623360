package platform

import (
	"context"
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	goldenfile "github.com/wgdesk/wgdesk/internal/golden"
)

var updateMacGolden = flag.Bool("update-macnet", false, "rewrite the testdata/macnet-*.golden command lists")

// macFixture is a macOS back end on a simulated Mac with a journal in a
// temporary state directory.
type macFixture struct {
	mac     *fakeMac
	net     *macNetwork
	dir     string
	initial string
	logs    []string
}

func newMacFixture(t *testing.T) *macFixture {
	f := &macFixture{mac: newFakeMac(t), dir: t.TempDir()}
	f.initial = f.mac.state()
	f.net = f.newNetwork(t)
	return f
}

// newNetwork starts a back end on the same Mac and state directory, as a
// restarted service does.
func (f *macFixture) newNetwork(t *testing.T) *macNetwork {
	return newMacNetwork(Options{StateDir: f.dir, Logger: Logger{
		Verbosef: func(format string, args ...any) { t.Logf(format, args...) },
		Errorf: func(format string, args ...any) {
			t.Logf("ERROR "+format, args...)
		},
	}}, f.mac)
}

func (f *macFixture) apply(t *testing.T, s Settings) {
	t.Helper()
	if err := f.net.Apply(context.Background(), "utun5", s); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

// changes returns how the Mac differs from its initial state: "-" lines
// are gone, "+" lines are new, sorted.
func (f *macFixture) changes() []string {
	before := strings.Split(strings.TrimSpace(f.initial), "\n")
	after := strings.Split(strings.TrimSpace(f.mac.state()), "\n")
	var out []string
	for _, l := range notIn(before, after) {
		out = append(out, "- "+l)
	}
	for _, l := range notIn(after, before) {
		out = append(out, "+ "+l)
	}
	sortChanges(out)
	return out
}

// sortChanges orders change lines by what changed, "-" before "+".
func sortChanges(l []string) {
	slices.SortFunc(l, func(a, b string) int {
		if c := strings.Compare(a[2:], b[2:]); c != 0 {
			return c
		}
		return -strings.Compare(a[:1], b[:1])
	})
}

func (f *macFixture) wantChanges(t *testing.T, want ...string) {
	t.Helper()
	got := f.changes()
	want = slices.Clone(want)
	sortChanges(want)
	if d := goldenfile.Diff(strings.Join(want, "\n")+"\n", strings.Join(got, "\n")+"\n"); d != "" {
		t.Errorf("changes to the Mac (- want, + got):\n%s", d)
	}
}

func (f *macFixture) wantJournalEmpty(t *testing.T) {
	t.Helper()
	left, _ := filepath.Glob(filepath.Join(f.dir, "platform", "*"))
	for _, l := range left {
		data, _ := os.ReadFile(l)
		t.Errorf("journal not empty: %s: %s", l, data)
	}
}

// readJournal returns the journal files by name.
func (f *macFixture) readJournal(t *testing.T) map[string][]byte {
	files, _ := filepath.Glob(filepath.Join(f.dir, "platform", "*"))
	m := map[string][]byte{}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m[p] = data
	}
	return m
}

// writeJournal makes the journal directory hold exactly files.
func (f *macFixture) writeJournal(t *testing.T, files map[string][]byte) {
	old, _ := filepath.Glob(filepath.Join(f.dir, "platform", "*"))
	for _, p := range old {
		os.Remove(p)
	}
	for p, data := range files {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// mutations returns the mutating commands since the last call.
func (f *macFixture) mutations() []string {
	l := f.mac.log
	f.mac.log = nil
	return l
}

func macSplit() Settings {
	return Settings{
		Addresses: prefixes("10.66.0.2/32", "fd66::2/64"),
		Routes:    prefixes("192.168.88.0/24", "10.66.0.0/24", "fd66::/64"),
		DNS:       []netip.Addr{netip.MustParseAddr("192.168.88.1")},
		DNSSearch: []string{"office.lan"},
		Endpoints: []netip.AddrPort{netip.MustParseAddrPort("203.0.113.7:13231")},
	}
}

func macFull() Settings {
	return Settings{
		Addresses: prefixes("10.66.0.2/32", "fd66::2/64"),
		Routes:    prefixes("0.0.0.0/0", "::/0"),
		FwMark:    DefaultPolicyTable, // what the engine passes; macOS ignores it
		DNS:       []netip.Addr{netip.MustParseAddr("10.66.0.1"), netip.MustParseAddr("fd66::1")},
		Endpoints: []netip.AddrPort{
			netip.MustParseAddrPort("203.0.113.7:13231"),
			netip.MustParseAddrPort("[2001:db8:ffff::7]:13231"),
			netip.MustParseAddrPort("198.51.100.9:51820"),
		},
	}
}

// The DNS lines of macSplit on every service.
var macSplitDNS = []string{
	`- dns "Thunderbolt Bridge" servers - search bridge.example`,
	`+ dns "Thunderbolt Bridge" servers 192.168.88.1 search office.lan`,
	`- dns "USB 10/100/1000 LAN" servers 192.168.1.53,2001:db8:1::53 search lan.example,example.com`,
	`+ dns "USB 10/100/1000 LAN" servers 192.168.88.1 search office.lan`,
	`- dns "Wi-Fi" servers - search -`,
	`+ dns "Wi-Fi" servers 192.168.88.1 search office.lan`,
}

func TestMacApplySplitReapplyChangeRemove(t *testing.T) {
	f := newMacFixture(t)
	f.apply(t, macSplit())
	f.wantChanges(t, append([]string{
		"+ addr utun5 10.66.0.2/32",
		"+ addr utun5 fd66::2/64",
		"- iface utun5 down mtu 1500",
		"+ iface utun5 up mtu 1420",
		"+ route 10.66.0.0/24 interface utun5",
		"+ route 192.168.88.0/24 interface utun5",
		"+ route fd66::/64 interface utun5",
	}, macSplitDNS...)...)
	f.mutations()

	// The same Settings again change nothing.
	f.apply(t, macSplit())
	if m := f.mutations(); len(m) != 0 {
		t.Errorf("re-apply ran %q", m)
	}

	// A change touches only what differs.
	s := macSplit()
	s.Addresses = prefixes("10.66.0.2/32")
	s.Routes = prefixes("192.168.88.0/24", "192.168.89.0/24")
	s.MTU = 1380
	s.DNSSearch = nil
	f.apply(t, s)
	want := []string{
		"route -n delete -inet 10.66.0.0/24 -interface utun5",
		"route -n delete -inet6 fd66::/64 -interface utun5",
		"ifconfig utun5 inet6 fd66::2 -alias",
		"ifconfig utun5 mtu 1380",
		"route -q -n add -inet 192.168.89.0/24 -interface utun5",
		"networksetup -setdnsservers USB 10/100/1000 LAN 192.168.88.1",
		"networksetup -setsearchdomains USB 10/100/1000 LAN Empty",
		"networksetup -setdnsservers Wi-Fi 192.168.88.1",
		"networksetup -setsearchdomains Wi-Fi Empty",
		"networksetup -setdnsservers Thunderbolt Bridge 192.168.88.1",
		"networksetup -setsearchdomains Thunderbolt Bridge Empty",
	}
	if got := f.mutations(); !slices.Equal(got, want) {
		t.Errorf("change ran\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The zero Settings restore everything, DNS included, and empty the
	// journal. The MTU and up flag stay: the utun is ours and goes next.
	f.apply(t, Settings{})
	f.wantChanges(t, "- iface utun5 down mtu 1500", "+ iface utun5 up mtu 1380")
	f.wantJournalEmpty(t)
	if len(f.net.owned) != 0 {
		t.Errorf("still owned: %+v", f.net.owned)
	}
}

func TestMacFullTunnel(t *testing.T) {
	f := newMacFixture(t)
	f.apply(t, macFull())
	f.wantChanges(t,
		"+ addr utun5 10.66.0.2/32",
		"+ addr utun5 fd66::2/64",
		`- dns "Thunderbolt Bridge" servers - search bridge.example`,
		`+ dns "Thunderbolt Bridge" servers 10.66.0.1,fd66::1 search -`,
		`- dns "USB 10/100/1000 LAN" servers 192.168.1.53,2001:db8:1::53 search lan.example,example.com`,
		`+ dns "USB 10/100/1000 LAN" servers 10.66.0.1,fd66::1 search -`,
		`- dns "Wi-Fi" servers - search -`,
		`+ dns "Wi-Fi" servers 10.66.0.1,fd66::1 search -`,
		"- iface utun5 down mtu 1500",
		"+ iface utun5 up mtu 1420",
		"+ route 0.0.0.0/1 interface utun5",
		"+ route 128.0.0.0/1 interface utun5",
		"+ route 198.51.100.9/32 gateway 192.168.1.1",
		"+ route 2001:db8:ffff::7/128 gateway fe80::1%en0",
		"+ route 203.0.113.7/32 gateway 192.168.1.1",
		"+ route 8000::/1 interface utun5",
		"+ route ::/1 interface utun5",
	)
	macGolden(t, "macnet-full-up.golden", f.mutations())

	// Traffic to the world goes into the tunnel, to the endpoints not.
	for dest, want := range map[string]string{
		"1.1.1.1":          "utun5",
		"203.0.113.7":      "en0",
		"2001:db8:ffff::7": "en0",
		"2606:4700::1111":  "utun5",
		"192.168.1.40":     "en0",
	} {
		a := netip.MustParseAddr(dest)
		_, r, _ := f.mac.lookup(netip.PrefixFrom(a, a.BitLen()), false)
		if r.iface != want {
			t.Errorf("route to %s goes to %s, want %s", dest, r.iface, want)
		}
	}

	f.apply(t, macFull())
	if m := f.mutations(); len(m) != 0 {
		t.Errorf("re-apply ran %q", m)
	}
	f.apply(t, Settings{})
	macGolden(t, "macnet-full-down.golden", f.mutations())
	f.wantChanges(t, "- iface utun5 down mtu 1500", "+ iface utun5 up mtu 1420")
	f.wantJournalEmpty(t)
}

// macGolden compares a command list with testdata/name.
func macGolden(t *testing.T, name string, cmds []string) {
	t.Helper()
	got := strings.Join(cmds, "\n") + "\n"
	path := filepath.Join("testdata", name)
	goldenfile.Check(t, path, got, *updateMacGolden)
}

// A new uplink (another Wi-Fi) moves the endpoints' host routes at the
// next Apply.
func TestMacUplinkChange(t *testing.T) {
	f := newMacFixture(t)
	f.apply(t, macFull())
	f.mutations()
	f.mac.routes[netip.MustParsePrefix("0.0.0.0/0")] = fakeMacRoute{gateway: netip.MustParseAddr("192.168.1.254"), iface: "en0"}
	delete(f.mac.routes, netip.MustParsePrefix("::/0")) // and no IPv6 there
	f.apply(t, macFull())
	want := []string{
		"route -n delete -inet 203.0.113.7 -gateway 192.168.1.1",
		"route -n delete -inet 198.51.100.9 -gateway 192.168.1.1",
		"route -n delete -inet6 2001:db8:ffff::7 -gateway fe80::1%en0",
		"route -q -n add -inet 203.0.113.7 -gateway 192.168.1.254",
		"route -q -n add -inet 198.51.100.9 -gateway 192.168.1.254",
	}
	if got := f.mutations(); !slices.Equal(got, want) {
		t.Errorf("uplink change ran\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	f.apply(t, Settings{})
	for _, l := range f.changes() {
		if strings.Contains(l, "route") && !strings.Contains(l, "/0 ") {
			t.Errorf("route left after removal: %s", l)
		}
	}
}

// An uplink that is an interface without a gateway (PPP) gets interface
// host routes.
func TestMacUplinkWithoutGateway(t *testing.T) {
	f := newMacFixture(t)
	f.mac.ifaces["ppp0"] = &fakeMacIface{up: true, p2p: true, mtu: 1492}
	f.mac.routes[netip.MustParsePrefix("0.0.0.0/0")] = fakeMacRoute{iface: "ppp0"}
	s := macFull()
	s.Routes = prefixes("0.0.0.0/0")
	s.Endpoints = s.Endpoints[:1]
	f.apply(t, s)
	m := f.mutations()
	if !slices.Contains(m, "route -q -n add -inet 203.0.113.7 -interface ppp0") {
		t.Errorf("no interface host route for the endpoint in %q", m)
	}
	if !slices.Contains(m, "ifconfig utun5 mtu 1412") {
		t.Errorf("mtu not 1492-80 in %q", m)
	}
	f.apply(t, Settings{})
	if m := f.mutations(); !slices.Contains(m, "route -n delete -inet 203.0.113.7 -interface ppp0") {
		t.Errorf("endpoint route not removed: %q", m)
	}
}

func TestMacAutoMTU(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*fakeMac)
		mtu   int
		want  int
	}{
		{"explicit", nil, 1280, 1280},
		{"uplink 1500", nil, 0, 1420},
		{"jumbo uplink", func(m *fakeMac) { m.ifaces["en0"].mtu = 9000 }, 0, 8920},
		{"no route at all", func(m *fakeMac) { clear(m.routes) }, 0, 1420},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newMacFixture(t)
			if tc.setup != nil {
				tc.setup(f.mac)
			}
			s := macSplit()
			s.MTU = tc.mtu
			s.Routes = nil
			f.apply(t, s)
			if got := f.mac.ifaces["utun5"].mtu; got != tc.want {
				t.Errorf("mtu %d, want %d", got, tc.want)
			}
		})
	}
}

func TestMacTableOff(t *testing.T) {
	f := newMacFixture(t)
	s := macFull()
	s.Table = "off"
	f.apply(t, s)
	for _, l := range f.changes() {
		if strings.Contains(l, "route") {
			t.Errorf("table off added %s", l)
		}
	}
	if got := f.mac.dns["Wi-Fi"].Servers; !slices.Equal(got, []string{"10.66.0.1", "fd66::1"}) {
		t.Errorf("table off: dns %q", got)
	}
	f.apply(t, Settings{})
	f.wantChanges(t, "- iface utun5 down mtu 1500", "+ iface utun5 up mtu 1420")
}

func TestMacTableMainIsAuto(t *testing.T) {
	f := newMacFixture(t)
	s := macFull()
	s.Table = "main"
	f.apply(t, s)
	if _, ok := f.mac.routes[netip.MustParsePrefix("128.0.0.0/1")]; !ok {
		t.Errorf("table main: no 128.0.0.0/1 route")
	}
}

func TestMacTableNumberRefused(t *testing.T) {
	f := newMacFixture(t)
	s := macFull()
	s.Table = "1234"
	err := f.net.Apply(context.Background(), "utun5", s)
	if err == nil || !strings.Contains(err.Error(), "single routing table") {
		t.Fatalf("table 1234: got %v", err)
	}
	f.wantChanges(t)
	f.wantJournalEmpty(t)
}

func TestMacApplyMissingInterface(t *testing.T) {
	f := newMacFixture(t)
	err := f.net.Apply(context.Background(), "utun9", macSplit())
	if err == nil || !strings.Contains(err.Error(), "find interface utun9") {
		t.Fatalf("apply to a missing interface: %v", err)
	}
	f.wantChanges(t)
	f.wantJournalEmpty(t)

	// The utun vanished under a full tunnel (the engine died): removal
	// still restores DNS and the endpoints' routes on the uplink.
	f.apply(t, macFull())
	f.mac.removeInterface("utun5")
	f.apply(t, Settings{})
	f.wantChanges(t, "- iface utun5 down mtu 1500")
	f.wantJournalEmpty(t)
}

// A step that fails rolls back what the call added: the Mac is as before
// and the journal is empty.
func TestMacFailureRollsBack(t *testing.T) {
	for _, failOn := range []string{
		"ifconfig utun5 inet6 fd66::2 prefixlen 64 alias",
		"route -q -n add -inet6 2001:db8:ffff::7",
		"route -q -n add -inet 128.0.0.0/1",
		"networksetup -setdnsservers Wi-Fi",
		"networksetup -setsearchdomains Thunderbolt Bridge",
	} {
		t.Run(failOn, func(t *testing.T) {
			f := newMacFixture(t)
			injected := errors.New("injected")
			f.mac.fail = func(line string) error {
				if strings.HasPrefix(line, failOn) {
					f.mac.fail = nil // once: the rollback works
					return injected
				}
				return nil
			}
			err := f.net.Apply(context.Background(), "utun5", macFull())
			if !errors.Is(err, injected) {
				t.Fatalf("apply: %v, want the injected error", err)
			}
			for _, l := range f.changes() {
				if !strings.Contains(l, "iface utun5") {
					t.Errorf("left after rollback: %s", l)
				}
			}
			f.wantJournalEmpty(t)
			f.mac.fail = nil
			f.apply(t, macFull())
			f.apply(t, Settings{})
			f.wantJournalEmpty(t)
		})
	}
}

// A rollback that fails too leaves its leftovers journaled; the next
// Apply of the zero Settings removes them.
func TestMacFailedRollbackIsJournaled(t *testing.T) {
	f := newMacFixture(t)
	f.mac.fail = func(line string) error {
		if strings.HasPrefix(line, "networksetup -setdnsservers") || strings.HasPrefix(line, "route -n delete -inet 203.0.113.7") {
			return errors.New("injected")
		}
		return nil
	}
	if err := f.net.Apply(context.Background(), "utun5", macFull()); err == nil {
		t.Fatal("apply did not fail")
	}
	e, err := f.net.journal.loadMac()
	if err != nil || len(e) != 1 || !slices.ContainsFunc(e[0].Bypass, func(b macBypass) bool { return b.Dest.String() == "203.0.113.7" }) {
		t.Fatalf("journal after a failed rollback: %+v, %v", e, err)
	}
	f.mac.fail = nil
	f.apply(t, Settings{})
	f.wantChanges(t, "- iface utun5 down mtu 1500", "+ iface utun5 up mtu 1420")
	f.wantJournalEmpty(t)
}

// The service is killed after each possible command of a full tunnel's
// Apply; its utun dies with it. Recover in a new service must leave the
// Mac as it was, DNS of every service included.
func TestMacCrashAnywhereThenRecover(t *testing.T) {
	probe := newMacFixture(t)
	probe.apply(t, macFull())
	total := len(probe.mutations())
	if total < 10 {
		t.Fatalf("only %d commands in a full apply", total)
	}
	for kill := 1; kill <= total+1; kill++ {
		f := newMacFixture(t)
		f.mac.killAt = kill
		var frozen map[string][]byte
		f.mac.onKill = func() { frozen = f.readJournal(t) }
		err := f.net.Apply(context.Background(), "utun5", macFull())
		if kill <= total && err == nil {
			t.Fatalf("kill at %d: apply did not fail", kill)
		}
		if frozen != nil {
			// What the dying process wrote after the kill never happened.
			f.writeJournal(t, frozen)
		}
		f.mac.dead, f.mac.killAt = false, 0
		f.mac.removeInterface("utun5")
		n := f.newNetwork(t)
		if err := n.Recover(context.Background()); err != nil {
			t.Fatalf("kill at %d: recover: %v", kill, err)
		}
		f.wantChanges(t, "- iface utun5 down mtu 1500")
		f.wantJournalEmpty(t)
		if t.Failed() {
			t.Fatalf("kill at command %d of %d", kill, total)
		}
	}
}

// Recover never touches an interface that now has the journaled name: it
// belongs to another program.
func TestMacRecoverLeavesReusedInterface(t *testing.T) {
	f := newMacFixture(t)
	f.apply(t, macSplit())
	f.mac.removeInterface("utun5")
	other := &fakeMacIface{up: true, p2p: true, mtu: 1400, addrs: prefixes("10.66.0.2/32")}
	f.mac.ifaces["utun5"] = other
	f.mac.routes[netip.MustParsePrefix("10.66.0.0/24")] = fakeMacRoute{iface: "utun5"}
	f.mutations()
	if err := f.newNetwork(t).Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, m := range f.mutations() {
		if strings.Contains(m, "utun5") {
			t.Errorf("recover touched the new utun5: %s", m)
		}
	}
	if _, ok := f.mac.routes[netip.MustParsePrefix("10.66.0.0/24")]; !ok || len(other.addrs) != 1 {
		t.Errorf("recover removed the other program's state")
	}
	if d := f.mac.dns["USB 10/100/1000 LAN"]; !slices.Equal(d.Servers, []string{"192.168.1.53", "2001:db8:1::53"}) {
		t.Errorf("dns not restored: %+v", d)
	}
	f.wantJournalEmpty(t)
}

// Services that appear while the tunnel is up get the tunnel's DNS at the
// next Apply and their own back on removal; services that vanish are
// skipped.
func TestMacDNSServicesComeAndGo(t *testing.T) {
	f := newMacFixture(t)
	f.apply(t, macSplit())
	f.mac.services = append(f.mac.services, "iPhone USB")
	f.mac.dns["iPhone USB"] = &macServiceDNS{Servers: []string{"172.20.10.1"}}
	f.mutations()
	f.apply(t, macSplit())
	want := []string{
		"networksetup -setdnsservers iPhone USB 192.168.88.1",
		"networksetup -setsearchdomains iPhone USB office.lan",
	}
	if got := f.mutations(); !slices.Equal(got, want) {
		t.Errorf("new service: ran %q, want %q", got, want)
	}
	f.mac.services = slices.DeleteFunc(f.mac.services, func(s string) bool { return s == "*Thunderbolt Bridge" })
	delete(f.mac.dns, "Thunderbolt Bridge")
	f.apply(t, Settings{})
	if d := f.mac.dns["iPhone USB"]; !slices.Equal(d.Servers, []string{"172.20.10.1"}) || len(d.Search) != 0 {
		t.Errorf("iPhone USB not restored: %+v", d)
	}
	for _, l := range f.changes() {
		if strings.Contains(l, "dns") && !strings.Contains(l, "Thunderbolt") && !strings.Contains(l, "iPhone") {
			t.Errorf("dns not restored: %s", l)
		}
	}
	f.wantJournalEmpty(t)
}

// Search domains alone leave each service's own servers in place.
func TestMacDNSSearchOnly(t *testing.T) {
	f := newMacFixture(t)
	s := macSplit()
	s.DNS = nil
	f.apply(t, s)
	if d := f.mac.dns["USB 10/100/1000 LAN"]; !slices.Equal(d.Servers, []string{"192.168.1.53", "2001:db8:1::53"}) ||
		!slices.Equal(d.Search, []string{"office.lan"}) {
		t.Errorf("search only: %+v", d)
	}
	f.apply(t, Settings{})
	for _, l := range f.changes() {
		if strings.Contains(l, "dns") {
			t.Errorf("dns not restored: %s", l)
		}
	}
}

// A networksetup that reports an error on standard output with exit
// status 0 fails the Apply, which rolls back.
func TestMacNetworksetupErrorOutput(t *testing.T) {
	f := newMacFixture(t)
	f.mac.quietError = func(args []string) string {
		if args[0] == "-setsearchdomains" && args[1] == "Wi-Fi" && args[2] == "office.lan" {
			return "** Error: The parameters were not valid.\n"
		}
		return ""
	}
	err := f.net.Apply(context.Background(), "utun5", macSplit())
	if err == nil || !strings.Contains(err.Error(), "parameters were not valid") {
		t.Fatalf("apply: %v", err)
	}
	for _, l := range f.changes() {
		if !strings.Contains(l, "iface utun5") {
			t.Errorf("left after rollback: %s", l)
		}
	}
	f.wantJournalEmpty(t)
}

func TestMacConcurrentInterfaces(t *testing.T) {
	f := newMacFixture(t)
	f.mac.ifaces["utun6"] = &fakeMacIface{p2p: true, mtu: 1500}
	f.apply(t, macSplit())
	s := Settings{Addresses: prefixes("10.77.0.2/32"), Routes: prefixes("10.77.0.0/24")}
	if err := f.net.Apply(context.Background(), "utun6", s); err != nil {
		t.Fatal(err)
	}
	f.apply(t, Settings{})
	if _, ok := f.mac.routes[netip.MustParsePrefix("10.77.0.0/24")]; !ok {
		t.Errorf("removing utun5 removed utun6's route")
	}
	if err := f.net.Apply(context.Background(), "utun6", Settings{}); err != nil {
		t.Fatal(err)
	}
	f.wantJournalEmpty(t)
}

// Two tunnels with DNS: the second records the user's own values (not the
// first tunnel's), the one that goes down first hands DNS to the other,
// and the last one restores the user's values, in either order.
func TestMacTwoTunnelsDNS(t *testing.T) {
	for _, firstDown := range []string{"utun5", "utun6"} {
		t.Run(firstDown+" down first", func(t *testing.T) {
			f := newMacFixture(t)
			f.mac.ifaces["utun6"] = &fakeMacIface{p2p: true, mtu: 1500}
			f.initial = f.mac.state()
			ctx := context.Background()
			a := macSplit()
			b := Settings{
				Addresses: prefixes("10.77.0.2/32"),
				Routes:    prefixes("10.77.0.0/24"),
				DNS:       []netip.Addr{netip.MustParseAddr("10.77.0.1")},
			}
			if err := f.net.Apply(ctx, "utun5", a); err != nil {
				t.Fatal(err)
			}
			if err := f.net.Apply(ctx, "utun6", b); err != nil {
				t.Fatal(err)
			}
			wifi := func() string {
				d := f.mac.dns["USB 10/100/1000 LAN"]
				return orDash(d.Servers) + " " + orDash(d.Search)
			}
			if got := wifi(); got != "10.77.0.1 -" {
				t.Fatalf("both up: %s", got)
			}
			if err := f.net.Apply(ctx, firstDown, Settings{}); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"utun5": "10.77.0.1 -", "utun6": "192.168.88.1 office.lan"}[firstDown]
			if got := wifi(); got != want {
				t.Errorf("after %s went down: %s, want the other tunnel's %s", firstDown, got, want)
			}
			last := map[string]string{"utun5": "utun6", "utun6": "utun5"}[firstDown]
			if err := f.net.Apply(ctx, last, Settings{}); err != nil {
				t.Fatal(err)
			}
			for _, l := range f.changes() {
				if strings.Contains(l, "dns") {
					t.Errorf("dns not restored: %s", l)
				}
			}
			f.wantJournalEmpty(t)
		})
	}
}
