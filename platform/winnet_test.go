package platform

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	goldenfile "github.com/wgdesk/wgdesk/internal/golden"
)

// fakeWin is an in-memory Windows IP stack behind winOps. It behaves as
// the IP Helper API does where winNetwork depends on it: adding an object
// twice says "already exists", deleting a missing one says "not found",
// and the routing table is reported with route plus interface metric.
type fakeWin struct {
	t      *testing.T
	ifaces map[string]uint64 // alias -> LUID
	names  map[uint64]string
	metric map[uint64]uint64 // interface metric
	mtu    map[uint64]int
	down   map[uint64]bool // not connected: its routes are not reported
	noIPv6 map[uint64]bool // IPv6 disabled on the adapter
	addrs  map[fakeAddr]bool
	table  []fakeRoute
	ifset  map[uint64]map[int]string
	dns    map[uint64]map[int]string
	// fail, when set, is asked before every change; an error it returns
	// is the call's result, and it may panic to simulate a crash.
	fail  func(op string) error
	calls []string // every change asked for, in order
}

type fakeAddr struct {
	luid uint64
	p    netip.Prefix
}

type fakeRoute struct {
	luid    uint64
	p       netip.Prefix
	nextHop netip.Addr
	metric  uint64
}

const (
	luidEthernet = 11
	luidWiFi     = 12
	luidTunnel   = 99
)

// newFakeWin is a laptop with Ethernet (metric 25, MTU 1500, IPv4 and
// IPv6 default routes) and Wi-Fi (metric 50, MTU 1400, IPv4 default
// route), and the Wintun adapter "home" that the engine created.
func newFakeWin(t *testing.T) *fakeWin {
	f := &fakeWin{
		t:      t,
		ifaces: map[string]uint64{"Ethernet": luidEthernet, "Wi-Fi": luidWiFi, "home": luidTunnel},
		names:  map[uint64]string{},
		metric: map[uint64]uint64{luidEthernet: 25, luidWiFi: 50, luidTunnel: 5},
		mtu:    map[uint64]int{luidEthernet: 1500, luidWiFi: 1400, luidTunnel: 65535},
		down:   map[uint64]bool{},
		noIPv6: map[uint64]bool{},
		addrs:  map[fakeAddr]bool{},
		ifset:  map[uint64]map[int]string{},
		dns:    map[uint64]map[int]string{},
	}
	for n, l := range f.ifaces {
		f.names[l] = n
	}
	f.table = []fakeRoute{
		{luidEthernet, netip.MustParsePrefix("0.0.0.0/0"), netip.MustParseAddr("192.168.1.1"), 0},
		{luidEthernet, netip.MustParsePrefix("192.168.1.0/24"), netip.IPv4Unspecified(), 256},
		{luidEthernet, netip.MustParsePrefix("::/0"), netip.MustParseAddr("fe80::1"), 0},
		{luidWiFi, netip.MustParsePrefix("0.0.0.0/0"), netip.MustParseAddr("10.9.0.1"), 0},
		{luidWiFi, netip.MustParsePrefix("10.9.0.0/16"), netip.IPv4Unspecified(), 256},
	}
	return f
}

func (f *fakeWin) change(format string, args ...any) error {
	op := fmt.Sprintf(format, args...)
	f.calls = append(f.calls, op)
	if f.fail != nil {
		return f.fail(op)
	}
	return nil
}

func (f *fakeWin) name(luid uint64) string {
	if n, ok := f.names[luid]; ok {
		return n
	}
	return fmt.Sprintf("luid%d", luid)
}

// vanish removes an interface with everything on it, as Windows does when
// the process that made a Wintun adapter exits.
func (f *fakeWin) vanish(alias string) {
	l := f.ifaces[alias]
	delete(f.ifaces, alias)
	for a := range f.addrs {
		if a.luid == l {
			delete(f.addrs, a)
		}
	}
	f.table = slices.DeleteFunc(f.table, func(r fakeRoute) bool { return r.luid == l })
	delete(f.ifset, l)
	delete(f.dns, l)
}

func (f *fakeWin) interfaceLUID(alias string) (uint64, error) {
	if l, ok := f.ifaces[alias]; ok {
		return l, nil
	}
	return 0, fmt.Errorf("interface %q: %w", alias, errWinNotFound)
}

func (f *fakeWin) exists(luid uint64) error {
	if _, ok := f.names[luid]; !ok || !slices.Contains(winMapValues(f.ifaces), luid) {
		return fmt.Errorf("luid %d: %w", luid, errWinNotFound)
	}
	return nil
}

func winMapValues(m map[string]uint64) []uint64 {
	var out []uint64
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func (f *fakeWin) addAddress(luid uint64, p netip.Prefix) error {
	if err := f.change("addAddress %s %s", f.name(luid), p); err != nil {
		return err
	}
	if err := f.exists(luid); err != nil {
		return err
	}
	if f.addrs[fakeAddr{luid, p}] {
		return errWinExists
	}
	f.addrs[fakeAddr{luid, p}] = true
	return nil
}

func (f *fakeWin) deleteAddress(luid uint64, p netip.Prefix) error {
	if err := f.change("deleteAddress %s %s", f.name(luid), p); err != nil {
		return err
	}
	if !f.addrs[fakeAddr{luid, p}] {
		return errWinNotFound
	}
	delete(f.addrs, fakeAddr{luid, p})
	return nil
}

func (f *fakeWin) findRoute(luid uint64, dst netip.Prefix, nh netip.Addr) int {
	return slices.IndexFunc(f.table, func(r fakeRoute) bool { return r.luid == luid && r.p == dst && r.nextHop == nh })
}

func (f *fakeWin) addRoute(luid uint64, dst netip.Prefix, nh netip.Addr) error {
	if err := f.change("addRoute %s %s via %s", f.name(luid), dst, nh); err != nil {
		return err
	}
	if err := f.exists(luid); err != nil {
		return err
	}
	if f.findRoute(luid, dst, nh) >= 0 {
		return fmt.Errorf("route %s: %w", dst, errWinExists)
	}
	f.table = append(f.table, fakeRoute{luid, dst, nh, 0})
	return nil
}

func (f *fakeWin) deleteRoute(luid uint64, dst netip.Prefix, nh netip.Addr) error {
	if err := f.change("deleteRoute %s %s via %s", f.name(luid), dst, nh); err != nil {
		return err
	}
	i := f.findRoute(luid, dst, nh)
	if i < 0 {
		return fmt.Errorf("route %s: %w", dst, errWinNotFound)
	}
	f.table = slices.Delete(f.table, i, i+1)
	return nil
}

func (f *fakeWin) setInterface(luid uint64, fam int, mtu int, lowMetric bool) error {
	if err := f.change("setInterface %s ipv%d mtu %d low %v", f.name(luid), fam, mtu, lowMetric); err != nil {
		return err
	}
	if err := f.exists(luid); err != nil {
		return err
	}
	if fam == 6 && f.noIPv6[luid] {
		return fmt.Errorf("ipv6 interface: %w", errWinNotFound)
	}
	if f.ifset[luid] == nil {
		f.ifset[luid] = map[int]string{}
	}
	old := f.ifset[luid][fam]
	m := "auto"
	if lowMetric {
		m = "0"
	} else if strings.Contains(old, "metric 0") {
		m = "0" // Windows keeps what was set
	}
	mt := "default"
	if mtu > 0 {
		mt = fmt.Sprint(mtu)
	} else if old != "" {
		mt = strings.Fields(old)[1]
	}
	f.ifset[luid][fam] = "mtu " + mt + " metric " + m
	return nil
}

func (f *fakeWin) setDNS(luid uint64, fam int, servers []netip.Addr, search []string) error {
	if err := f.change("setDNS %s ipv%d %v %v", f.name(luid), fam, servers, search); err != nil {
		return err
	}
	if err := f.exists(luid); err != nil {
		return err
	}
	for _, s := range servers {
		if family(s) != fam {
			f.t.Errorf("setDNS ipv%d given %s", fam, s)
		}
	}
	if f.dns[luid] == nil {
		f.dns[luid] = map[int]string{}
	}
	f.dns[luid][fam] = fmt.Sprintf("%v search %v", servers, search)
	return nil
}

func (f *fakeWin) flushDNS(luid uint64, fam int) error {
	if err := f.change("flushDNS %s ipv%d", f.name(luid), fam); err != nil {
		return err
	}
	if err := f.exists(luid); err != nil {
		return err
	}
	delete(f.dns[luid], fam)
	return nil
}

func (f *fakeWin) routes(fam int) ([]winRoute, error) {
	var out []winRoute
	for _, r := range f.table {
		if family(r.p.Addr()) != fam || f.down[r.luid] {
			continue
		}
		out = append(out, winRoute{Prefix: r.p, LUID: r.luid, NextHop: r.nextHop, Metric: r.metric + f.metric[r.luid], MTU: f.mtu[r.luid]})
	}
	return out, nil
}

// State renders the fake OS as sorted lines.
func (f *fakeWin) State() string {
	var l []string
	for a := range f.addrs {
		l = append(l, "addr "+f.name(a.luid)+" "+a.p.String())
	}
	for _, r := range f.table {
		l = append(l, fmt.Sprintf("route %s %s via %s", f.name(r.luid), r.p, r.nextHop))
	}
	for luid, m := range f.ifset {
		for fam, s := range m {
			l = append(l, fmt.Sprintf("if %s ipv%d %s", f.name(luid), fam, s))
		}
	}
	for luid, m := range f.dns {
		for fam, s := range m {
			l = append(l, fmt.Sprintf("dns %s ipv%d %s", f.name(luid), fam, s))
		}
	}
	slices.Sort(l)
	return strings.Join(l, "\n") + "\n"
}

// changes returns the calls that add or delete something.
func (f *fakeWin) changes() []string {
	var out []string
	for _, c := range f.calls {
		if strings.HasPrefix(c, "add") || strings.HasPrefix(c, "delete") || strings.HasPrefix(c, "flush") {
			out = append(out, c)
		}
	}
	return out
}

const winBaseline = `route Ethernet 0.0.0.0/0 via 192.168.1.1
route Ethernet 192.168.1.0/24 via 0.0.0.0
route Ethernet ::/0 via fe80::1
route Wi-Fi 0.0.0.0/0 via 10.9.0.1
route Wi-Fi 10.9.0.0/16 via 0.0.0.0
`

func newTestWin(t *testing.T) (*winNetwork, *fakeWin, string) {
	t.Helper()
	dir := t.TempDir()
	f := newFakeWin(t)
	return newWinNetwork(Options{StateDir: dir, Logger: Logger{Verbosef: t.Logf, Errorf: t.Logf}}, f), f, dir
}

// winCheckState compares the fake's state with want, whose lines may come
// in any order.
func winCheckState(t *testing.T, f *fakeWin, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(want), "\n")
	slices.Sort(lines)
	if d := goldenfile.Diff(strings.Join(lines, "\n")+"\n", f.State()); d != "" {
		t.Errorf("OS state differs (- want, + got):\n%s", d)
	}
}

// winJournalFile returns the journal of ifname, "" when there is none.
func winJournalFile(t *testing.T, dir, ifname string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "platform", ifname+".json"))
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func winSplitSettings() Settings {
	return Settings{
		Addresses: prefixes("192.168.100.2/32"),
		Routes:    prefixes("192.168.88.0/24", "192.168.100.0/24"),
		DNS:       []netip.Addr{netip.MustParseAddr("192.168.88.1")},
		DNSSearch: []string{"lan"},
		Endpoints: []netip.AddrPort{netip.MustParseAddrPort("203.0.113.5:13231")},
	}
}

func winFullSettings() Settings {
	return Settings{
		Addresses: prefixes("192.168.100.2/32", "fd00:100::2/128"),
		Routes:    prefixes("0.0.0.0/0", "::/0"),
		FwMark:    51820, // meaningless on Windows, ignored
		DNS:       []netip.Addr{netip.MustParseAddr("192.168.100.1"), netip.MustParseAddr("fd00:100::1")},
		Endpoints: []netip.AddrPort{
			netip.MustParseAddrPort("203.0.113.5:13231"),
			netip.MustParseAddrPort("[2001:db8::5]:51820"),
		},
	}
}

const winFullState = winBaseline + `addr home 192.168.100.2/32
addr home fd00:100::2/128
dns home ipv4 [192.168.100.1] search []
dns home ipv6 [fd00:100::1] search []
if home ipv4 mtu 1420 metric 0
if home ipv6 mtu 1420 metric 0
route Ethernet 2001:db8::5/128 via fe80::1
route Ethernet 203.0.113.5/32 via 192.168.1.1
route home 0.0.0.0/0 via 0.0.0.0
route home ::/0 via ::
`

func TestWinApplySplitTunnel(t *testing.T) {
	n, f, dir := newTestWin(t)
	ctx := context.Background()
	if err := n.Apply(ctx, "home", winSplitSettings()); err != nil {
		t.Fatal(err)
	}
	// The endpoint is outside the tunnel's routes: no host route. The
	// automatic MTU is Ethernet's (the best route to the endpoint) - 80.
	winCheckState(t, f, winBaseline+`addr home 192.168.100.2/32
dns home ipv4 [192.168.88.1] search [lan]
dns home ipv6 [] search [lan]
if home ipv4 mtu 1420 metric auto
if home ipv6 mtu default metric auto
route home 192.168.100.0/24 via 0.0.0.0
route home 192.168.88.0/24 via 0.0.0.0
`)
	wantJournal := `{
  "interface": "home",
  "addresses": [
    "192.168.100.2/32"
  ],
  "routes": [
    "192.168.88.0/24",
    "192.168.100.0/24"
  ],
  "dns": true
}
`
	if got := winJournalFile(t, dir, "home"); got != wantJournal {
		t.Errorf("journal:\n%s\nwant:\n%s", got, wantJournal)
	}

	// Applying the same again adds and deletes nothing.
	before := f.State()
	f.calls = nil
	if err := n.Apply(ctx, "home", winSplitSettings()); err != nil {
		t.Fatal(err)
	}
	if c := f.changes(); len(c) != 0 {
		t.Errorf("re-apply changed things: %q", c)
	}
	winCheckState(t, f, before)

	if err := n.Apply(ctx, "home", Settings{}); err != nil {
		t.Fatal(err)
	}
	winCheckState(t, f, winBaseline+"if home ipv4 mtu 1420 metric auto\nif home ipv6 mtu default metric auto\n")
	if got := winJournalFile(t, dir, "home"); got != "" {
		t.Errorf("journal left after removal:\n%s", got)
	}
}

func TestWinApplyFullTunnel(t *testing.T) {
	n, f, dir := newTestWin(t)
	ctx := context.Background()
	if err := n.Apply(ctx, "home", winFullSettings()); err != nil {
		t.Fatal(err)
	}
	winCheckState(t, f, winFullState)

	// The endpoints' host routes go in before the default routes that
	// would capture them.
	c := f.changes()
	hostAt := slices.Index(c, "addRoute Ethernet 203.0.113.5/32 via 192.168.1.1")
	defAt := slices.Index(c, "addRoute home 0.0.0.0/0 via 0.0.0.0")
	if hostAt < 0 || defAt < 0 || hostAt > defAt {
		t.Errorf("host route must come before the default route: %q", c)
	}
	j := winJournalFile(t, dir, "home")
	for _, want := range []string{`"prefix": "203.0.113.5/32"`, fmt.Sprintf(`"luid": %d`, luidEthernet), `"next_hop": "192.168.1.1"`, `"next_hop": "fe80::1"`} {
		if !strings.Contains(j, want) {
			t.Errorf("journal lacks %s:\n%s", want, j)
		}
	}

	// Re-applying does not mistake our own host routes or the tunnel's
	// default route for the uplink.
	f.calls = nil
	if err := n.Apply(ctx, "home", winFullSettings()); err != nil {
		t.Fatal(err)
	}
	if c := f.changes(); len(c) != 0 {
		t.Errorf("re-apply changed things: %q", c)
	}
	winCheckState(t, f, winFullState)

	// Wi-Fi becomes the better uplink: our own host route on Ethernet
	// must not pin the endpoint there.
	f.metric[luidWiFi] = 5
	if err := n.Apply(ctx, "home", winFullSettings()); err != nil {
		t.Fatal(err)
	}
	winCheckState(t, f, strings.Replace(winFullState,
		"route Ethernet 203.0.113.5/32 via 192.168.1.1", "route Wi-Fi 203.0.113.5/32 via 10.9.0.1", 1))
	f.metric[luidWiFi] = 50
	if err := n.Apply(ctx, "home", winFullSettings()); err != nil {
		t.Fatal(err)
	}
	winCheckState(t, f, winFullState)

	// Ethernet is unplugged: the next Apply moves the IPv4 endpoint to
	// Wi-Fi and drops the IPv6 one, which has no uplink left. The MTU
	// follows Wi-Fi.
	f.down[luidEthernet] = true
	if err := n.Apply(ctx, "home", winFullSettings()); err != nil {
		t.Fatal(err)
	}
	winCheckState(t, f, winBaseline+`addr home 192.168.100.2/32
addr home fd00:100::2/128
dns home ipv4 [192.168.100.1] search []
dns home ipv6 [fd00:100::1] search []
if home ipv4 mtu 1320 metric 0
if home ipv6 mtu 1320 metric 0
route Wi-Fi 203.0.113.5/32 via 10.9.0.1
route home 0.0.0.0/0 via 0.0.0.0
route home ::/0 via ::
`)

	if err := n.Apply(ctx, "home", Settings{}); err != nil {
		t.Fatal(err)
	}
	winCheckState(t, f, winBaseline+"if home ipv4 mtu 1320 metric 0\nif home ipv6 mtu 1320 metric 0\n")
	if got := winJournalFile(t, dir, "home"); got != "" {
		t.Errorf("journal left after removal:\n%s", got)
	}
}

func TestWinEndpointInsideSplitRoute(t *testing.T) {
	n, f, _ := newTestWin(t)
	s := winSplitSettings()
	s.Routes = prefixes("203.0.113.0/24") // covers the endpoint
	s.DNS, s.DNSSearch = nil, nil
	s.MTU = 1400
	if err := n.Apply(context.Background(), "home", s); err != nil {
		t.Fatal(err)
	}
	winCheckState(t, f, winBaseline+`addr home 192.168.100.2/32
if home ipv4 mtu 1400 metric auto
if home ipv6 mtu default metric auto
route Ethernet 203.0.113.5/32 via 192.168.1.1
route home 203.0.113.0/24 via 0.0.0.0
`)
}

func TestWinTableOff(t *testing.T) {
	n, f, _ := newTestWin(t)
	s := winFullSettings()
	s.Table = "off"
	s.MTU = 1380
	if err := n.Apply(context.Background(), "home", s); err != nil {
		t.Fatal(err)
	}
	winCheckState(t, f, winBaseline+`addr home 192.168.100.2/32
addr home fd00:100::2/128
dns home ipv4 [192.168.100.1] search []
dns home ipv6 [fd00:100::1] search []
if home ipv4 mtu 1380 metric auto
if home ipv6 mtu 1380 metric auto
`)
}

func TestWinNumberedTableRefused(t *testing.T) {
	for _, table := range []string{"1234", "254", "main2"} {
		n, f, dir := newTestWin(t)
		s := winFullSettings()
		s.Table = table
		err := n.Apply(context.Background(), "home", s)
		if err == nil || !strings.Contains(err.Error(), "numbered tables do not exist") {
			t.Errorf("table %s: got %v, want a refusal", table, err)
		}
		if len(f.calls) != 0 || winJournalFile(t, dir, "home") != "" {
			t.Errorf("table %s: refused settings changed things: %q", table, f.calls)
		}
	}
	n, _, _ := newTestWin(t)
	s := winSplitSettings()
	s.Table = "main"
	if err := n.Apply(context.Background(), "home", s); err != nil {
		t.Errorf("table main is the only table: %v", err)
	}
}

func TestWinChangeIsADiff(t *testing.T) {
	n, f, _ := newTestWin(t)
	ctx := context.Background()
	if err := n.Apply(ctx, "home", winSplitSettings()); err != nil {
		t.Fatal(err)
	}
	next := winSplitSettings()
	next.Addresses = prefixes("192.168.100.3/32")
	next.Routes = prefixes("192.168.88.0/24", "192.168.89.0/24")
	next.DNS, next.DNSSearch = nil, nil
	f.calls = nil
	if err := n.Apply(ctx, "home", next); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"flushDNS home ipv4",
		"flushDNS home ipv6",
		"deleteRoute home 192.168.100.0/24 via 0.0.0.0",
		"deleteAddress home 192.168.100.2/32",
		"addAddress home 192.168.100.3/32",
		"addRoute home 192.168.89.0/24 via 0.0.0.0",
	}
	if got := f.changes(); !slices.Equal(got, want) {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The result is what applying next from scratch gives.
	fresh, ff, _ := newTestWin(t)
	if err := fresh.Apply(ctx, "home", next); err != nil {
		t.Fatal(err)
	}
	winCheckState(t, f, ff.State())
}

func TestWinFailureRollsBack(t *testing.T) {
	n, f, dir := newTestWin(t)
	ctx := context.Background()
	f.fail = winFailOn("addRoute home ::/0")
	err := n.Apply(ctx, "home", winFullSettings())
	if err == nil || !strings.Contains(err.Error(), "add route ::/0 to home") {
		t.Fatalf("got %v, want the failed route", err)
	}
	// Nothing of ours is left (the interface settings are no additions:
	// they die with the adapter) and the journal is gone.
	winCheckState(t, f, winBaseline+"if home ipv4 mtu 1420 metric 0\nif home ipv6 mtu 1420 metric 0\n")
	if got := winJournalFile(t, dir, "home"); got != "" {
		t.Errorf("journal after a rolled back Apply:\n%s", got)
	}

	// A failed change goes back to the state before it.
	f.fail = nil
	if err := n.Apply(ctx, "home", winSplitSettings()); err != nil {
		t.Fatal(err)
	}
	before, beforeJournal := f.State(), winJournalFile(t, dir, "home")
	f.fail = winFailOn("setDNS home ipv4")
	if err := n.Apply(ctx, "home", winFullSettings()); err == nil {
		t.Fatal("Apply succeeded despite the DNS failure")
	}
	f.fail = nil
	// The previous DNS is set again, so only the interface rows may
	// differ (the metric that was set stays 0 until the adapter goes).
	want := strings.ReplaceAll(before, "metric auto", "metric 0")
	winCheckState(t, f, want)
	if got := winJournalFile(t, dir, "home"); got != beforeJournal {
		t.Errorf("journal after a rolled back change:\n%s\nwant:\n%s", got, beforeJournal)
	}
	// And the next Apply starts from there.
	f.calls = nil
	if err := n.Apply(ctx, "home", winSplitSettings()); err != nil {
		t.Fatal(err)
	}
	if c := f.changes(); len(c) != 0 {
		t.Errorf("apply after rollback changed things: %q", c)
	}
}

func TestWinFailedRollbackIsJournaled(t *testing.T) {
	n, f, dir := newTestWin(t)
	ctx := context.Background()
	// The default route fails, and so does the removal of the host route
	// that went in before it.
	f.fail = winFailOn("addRoute home 0.0.0.0/0", "deleteRoute Ethernet 203.0.113.5/32")
	err := n.Apply(ctx, "home", winFullSettings())
	if err == nil || !strings.Contains(err.Error(), "roll back home") {
		t.Fatalf("got %v, want a failed rollback", err)
	}
	j := winJournalFile(t, dir, "home")
	if !strings.Contains(j, "203.0.113.5/32") {
		t.Fatalf("journal does not name the route left behind:\n%s", j)
	}
	if strings.Contains(j, "192.168.100.2/32") {
		t.Errorf("journal names an address that was removed:\n%s", j)
	}

	// The service dies; the adapter goes with it. The next one recovers.
	f.fail = nil
	f.vanish("home")
	n2 := newWinNetwork(Options{StateDir: dir}, f)
	if err := n2.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	winCheckState(t, f, winBaseline)
	if got := winJournalFile(t, dir, "home"); got != "" {
		t.Errorf("journal after Recover:\n%s", got)
	}
}

func TestWinRecoverAfterCrash(t *testing.T) {
	for _, tc := range []struct {
		name      string
		crashAt   string // the change during which the service dies
		adapterOK bool   // the Wintun adapter outlived the service
	}{
		{"during dns, adapter gone", "setDNS home ipv6", false},
		{"during dns, adapter left", "setDNS home ipv6", true},
		{"before the default route", "addRoute home 0.0.0.0/0", true},
		{"at the first host route", "addRoute Ethernet 203.0.113.5/32", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, f, dir := newTestWin(t)
			ctx := context.Background()
			f.fail = func(op string) error {
				if strings.HasPrefix(op, tc.crashAt) {
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
				n.Apply(ctx, "home", winFullSettings())
			}()
			f.fail = nil
			if winJournalFile(t, dir, "home") == "" {
				t.Fatal("no journal after a crash mid-way")
			}
			if !tc.adapterOK {
				f.vanish("home")
			}
			n2 := newWinNetwork(Options{StateDir: dir}, f)
			if err := n2.Recover(ctx); err != nil {
				t.Fatal(err)
			}
			want := winBaseline
			if tc.adapterOK {
				want += "if home ipv4 mtu 1420 metric 0\nif home ipv6 mtu 1420 metric 0\n"
			}
			winCheckState(t, f, want)
			if got := winJournalFile(t, dir, "home"); got != "" {
				t.Errorf("journal after Recover:\n%s", got)
			}
			// Recovered state is clean: a new tunnel applies from scratch.
			if tc.adapterOK {
				if err := n2.Apply(ctx, "home", winFullSettings()); err != nil {
					t.Fatal(err)
				}
				winCheckState(t, f, winFullState)
			}
		})
	}
}

func TestWinRecoverWithoutJournal(t *testing.T) {
	n, f, _ := newTestWin(t)
	if err := n.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 0 {
		t.Errorf("Recover with an empty journal changed things: %q", f.calls)
	}
}

func TestWinDNSSetAndCleared(t *testing.T) {
	n, f, _ := newTestWin(t)
	ctx := context.Background()
	s := winSplitSettings()
	s.DNS = []netip.Addr{netip.MustParseAddr("fd00::53"), netip.MustParseAddr("192.168.88.1"), netip.MustParseAddr("::ffff:192.168.88.2")}
	s.DNSSearch = []string{"office.lan", "lan", "office.lan"}
	if err := n.Apply(ctx, "home", s); err != nil {
		t.Fatal(err)
	}
	got := f.State()
	for _, want := range []string{
		"dns home ipv4 [192.168.88.1 192.168.88.2] search [office.lan lan]",
		"dns home ipv6 [fd00::53] search [office.lan lan]",
	} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("state lacks %q:\n%s", want, got)
		}
	}
	// Only the search domains.
	s.DNS = nil
	if err := n.Apply(ctx, "home", s); err != nil {
		t.Fatal(err)
	}
	if got := f.State(); !strings.Contains(got, "dns home ipv4 [] search [office.lan lan]\n") {
		t.Errorf("search-only DNS:\n%s", got)
	}
	s.DNSSearch = nil
	f.calls = nil
	if err := n.Apply(ctx, "home", s); err != nil {
		t.Fatal(err)
	}
	if got := f.State(); strings.Contains(got, "dns ") {
		t.Errorf("DNS left after it was dropped:\n%s", got)
	}
	if c := f.changes(); !slices.Equal(c, []string{"flushDNS home ipv4", "flushDNS home ipv6"}) {
		t.Errorf("changes: %q", c)
	}
}

func TestWinMTUAndDisabledIPv6(t *testing.T) {
	ctx := context.Background()

	// IPv6 turned off on the adapter is fine for an IPv4-only tunnel...
	n, f, _ := newTestWin(t)
	f.noIPv6[luidTunnel] = true
	s := winSplitSettings()
	s.MTU = 1280
	if err := n.Apply(ctx, "home", s); err != nil {
		t.Fatalf("ipv4-only tunnel on an adapter without ipv6: %v", err)
	}
	if got := f.State(); !strings.Contains(got, "if home ipv4 mtu 1280 metric auto\n") || strings.Contains(got, "if home ipv6") {
		t.Errorf("state:\n%s", got)
	}

	// ...but not for one with IPv6 addresses, and nothing stays.
	n, f, dir := newTestWin(t)
	f.noIPv6[luidTunnel] = true
	if err := n.Apply(ctx, "home", winFullSettings()); err == nil || !strings.Contains(err.Error(), "set ipv6 mtu") {
		t.Errorf("got %v, want the ipv6 interface error", err)
	}
	if winJournalFile(t, dir, "home") != "" {
		t.Error("journal left after a failed Apply")
	}

	// An MTU below IPv6's minimum is set for IPv4 only.
	n, f, _ = newTestWin(t)
	s = winFullSettings()
	s.MTU = 1200
	if err := n.Apply(ctx, "home", s); err != nil {
		t.Fatal(err)
	}
	if got := f.State(); !strings.Contains(got, "if home ipv4 mtu 1200 metric 0\nif home ipv6 mtu default metric 0\n") {
		t.Errorf("state:\n%s", got)
	}
}

func TestWinMissingInterface(t *testing.T) {
	n, f, dir := newTestWin(t)
	ctx := context.Background()
	if err := n.Apply(ctx, "away", winSplitSettings()); !errors.Is(err, errWinNotFound) {
		t.Errorf("got %v, want not found", err)
	}
	if len(f.calls) != 0 || winJournalFile(t, dir, "away") != "" {
		t.Errorf("changed things for a missing interface: %q", f.calls)
	}
	// Removal after the adapter died deletes the host routes on the
	// uplink and needs nothing from the adapter.
	if err := n.Apply(ctx, "home", winFullSettings()); err != nil {
		t.Fatal(err)
	}
	f.vanish("home")
	if err := n.Apply(ctx, "home", Settings{}); err != nil {
		t.Fatal(err)
	}
	winCheckState(t, f, winBaseline)
	if winJournalFile(t, dir, "home") != "" {
		t.Error("journal left after removal")
	}
	if err := n.Apply(ctx, "a/b", Settings{}); err == nil {
		t.Error("an interface name with a slash was accepted")
	}
}

func TestWinHostRouteOwnedByOthers(t *testing.T) {
	n, f, _ := newTestWin(t)
	ctx := context.Background()
	// Another program routes the endpoint already, with our next hop.
	f.table = append(f.table, fakeRoute{luidEthernet, netip.MustParsePrefix("203.0.113.5/32"), netip.MustParseAddr("192.168.1.1"), 0})
	s := winFullSettings()
	s.Endpoints = s.Endpoints[:1]
	if err := n.Apply(ctx, "home", s); err != nil {
		t.Fatal(err)
	}
	if err := n.Apply(ctx, "home", Settings{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.State(), "route Ethernet 203.0.113.5/32 via 192.168.1.1\n") {
		t.Errorf("removed a route it did not add:\n%s", f.State())
	}
}

func TestWinBestRoute(t *testing.T) {
	r := func(p string, luid uint64, nh string, metric uint64) winRoute {
		return winRoute{Prefix: netip.MustParsePrefix(p), LUID: luid, NextHop: netip.MustParseAddr(nh), Metric: metric}
	}
	rs := []winRoute{
		r("0.0.0.0/0", 1, "192.168.1.1", 25),
		r("0.0.0.0/0", 2, "10.0.0.1", 10),
		r("0.0.0.0/0", 99, "0.0.0.0", 0), // the tunnel
		r("198.51.100.0/24", 1, "192.168.1.254", 500),
		r("198.51.100.7/32", 2, "10.0.0.1", 10), // ours, from an earlier Apply
	}
	own := []winHostRoute{{Prefix: netip.MustParsePrefix("198.51.100.7/32"), LUID: 2, NextHop: netip.MustParseAddr("10.0.0.1")}}
	for _, tc := range []struct {
		dst  string
		want winRoute
		ok   bool
	}{
		{"203.0.113.5", rs[1], true},  // lowest metric among equal prefixes, tunnel skipped
		{"198.51.100.9", rs[3], true}, // longest prefix beats metric
		{"198.51.100.7", rs[3], true}, // our own host route is skipped
		{"2001:db8::1", winRoute{}, false},
	} {
		got, ok := winBestRoute(rs, netip.MustParseAddr(tc.dst), 99, own)
		if ok != tc.ok || got != tc.want {
			t.Errorf("%s: got %+v %v, want %+v %v", tc.dst, got, ok, tc.want, tc.ok)
		}
	}
}

// winFailOn returns a fake failure for the first change that starts with
// each of ops.
func winFailOn(ops ...string) func(string) error {
	return func(op string) error {
		for i, o := range ops {
			if o != "" && strings.HasPrefix(op, o) {
				ops[i] = ""
				return fmt.Errorf("injected failure of %s", op)
			}
		}
		return nil
	}
}
