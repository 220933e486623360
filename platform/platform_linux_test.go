package platform

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	goldenfile "github.com/wgdesk/wgdesk/internal/golden"
)

// These tests run the production Linux code against a network namespace
// the test creates, through a netlink handle opened in it. They never touch
// the host's routes, rules or resolv.conf, and check that at the end.

const (
	tunName    = "wgt0"
	uplinkMTU  = 1400
	endpoint4  = "198.51.100.1"
	farNet     = "203.0.113.0/24" // reached through a route with its own MTU
	farNetMTU  = 1300
	origResolv = "# the host's file\nnameserver 192.0.2.53\noptions edns0 trust-ad\n\n\t# odd bytes: \xff\n"
)

type testNS struct {
	name string
	ns   netns.NsHandle
	h    *netlink.Handle
}

func requireNetns(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces: run go test as root (CI does)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip(8) from iproute2 for ip netns")
	}
}

// hostSnapshot renders the host's routes and rules, to check the tests leave
// them alone.
func hostSnapshot(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	svm, _ := os.ReadFile("/proc/sys/net/ipv4/conf/all/src_valid_mark")
	fmt.Fprintf(&b, "src_valid_mark %s", svm)
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		fmt.Fprintln(&b, r.String())
	}
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		rules, err := netlink.RuleList(fam)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rules {
			fmt.Fprintln(&b, r.String())
		}
	}
	return b.String()
}

func newTestNS(t *testing.T) *testNS {
	t.Helper()
	requireNetns(t)
	before := hostSnapshot(t)
	t.Cleanup(func() {
		if after := hostSnapshot(t); after != before {
			t.Errorf("host routes or rules changed:\n%s", goldenfile.Diff(before, after))
		}
	})
	var rnd [4]byte
	rand.Read(rnd[:])
	name := "wgdesk-pt-" + hex.EncodeToString(rnd[:])
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("ip netns unavailable: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("delete namespace %s: %v: %s", name, err, out)
		}
	})
	ns, err := netns.GetFromName(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	s := &testNS{name: name, ns: ns, h: h}

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	lo, err := h.LinkByName("lo")
	must(err)
	must(h.LinkSetUp(lo))
	// A persistent TUN without a process stands for the tunnel device.
	if out, err := exec.Command("ip", "-n", name, "tuntap", "add", tunName, "mode", "tun").CombinedOutput(); err != nil {
		t.Fatalf("create %s: %v: %s", tunName, err, out)
	}
	// A veth pair inside the namespace stands for the real uplink.
	must(h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "up0", MTU: uplinkMTU}, PeerName: "up1"}))
	up0, err := h.LinkByName("up0")
	must(err)
	up1, err := h.LinkByName("up1")
	must(err)
	must(h.AddrAdd(up0, &netlink.Addr{IPNet: ipNet(netip.MustParsePrefix("198.51.100.2/24"))}))
	// The endpoint (and gateway) address is not given to up1: a local
	// address would be routed through lo.
	must(h.LinkSetUp(up0))
	must(h.LinkSetUp(up1))
	gw := net.ParseIP(endpoint4)
	must(h.RouteAdd(&netlink.Route{LinkIndex: up0.Attrs().Index, Gw: gw}))
	must(h.RouteAdd(&netlink.Route{LinkIndex: up0.Attrs().Index, Gw: gw, Dst: ipNet(netip.MustParsePrefix(farNet)), MTU: farNetMTU}))
	return s
}

// inNS runs f on a thread that has entered the namespace. The goroutine
// keeps its thread locked, so the thread dies with it and never goes back
// to the scheduler in the wrong namespace.
func (s *testNS) inNS(f func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := netns.Set(s.ns); err != nil {
			done <- err
			return
		}
		done <- f()
	}()
	return <-done
}

func (s *testNS) sysctl(name, value string) error {
	return s.inNS(func() error { return writeProcSys(name, value) })
}

func (s *testNS) readSysctl(t *testing.T, name string) string {
	t.Helper()
	var v []byte
	err := s.inNS(func() (err error) {
		v, err = os.ReadFile(filepath.Join("/proc/sys", name))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(v))
}

// state renders what the namespace holds for the tunnel interface in the
// Plan.Lines format (without the dns and fwmark lines).
func (s *testNS) state(t *testing.T) string {
	t.Helper()
	var l []string
	link, err := s.h.LinkByName(tunName)
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := s.h.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if a.Scope == unix.RT_SCOPE_LINK {
			continue
		}
		p, _ := prefixOf(a.IPNet)
		l = append(l, "addr "+tunName+" "+p.String())
	}
	l = append(l, fmt.Sprintf("mtu %s %d", tunName, link.Attrs().MTU))
	routes, err := s.h.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{LinkIndex: link.Attrs().Index}, netlink.RT_FILTER_OIF|netlink.RT_FILTER_TABLE)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		if r.Protocol == unix.RTPROT_KERNEL || r.Table == unix.RT_TABLE_LOCAL {
			continue
		}
		p, ok := prefixOf(r.Dst)
		if !ok {
			t.Fatalf("route without destination: %v", r)
		}
		l = append(l, "route "+tunName+" "+Route{Prefix: p, Table: uint32(r.Table)}.String())
	}
	for _, fam := range []int{4, 6} {
		rules, err := s.h.RuleList(nlFamily(fam))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rules {
			if r.Priority == 0 || r.Priority >= 32766 {
				continue // the kernel's own rules
			}
			rr := Rule{Family: fam, Priority: r.Priority, Table: uint32(r.Table), SuppressPrefixlen: r.SuppressPrefixlen}
			if r.Invert {
				rr.NotFwMark = r.Mark
			}
			l = append(l, "rule "+rr.String())
		}
	}
	if s.readSysctl(t, "net/ipv4/conf/all/src_valid_mark") == "1" {
		l = append(l, "sysctl net.ipv4.conf.all.src_valid_mark=1")
	}
	slices.Sort(l)
	return strings.Join(l, "\n")
}

type linuxFixture struct {
	ns         *testNS
	stateDir   string
	resolvConf string
	net        *linuxNetwork
	logs       *bytes.Buffer
}

func newLinuxFixture(t *testing.T) *linuxFixture {
	s := newTestNS(t)
	dir := t.TempDir()
	f := &linuxFixture{ns: s, stateDir: filepath.Join(dir, "state"), resolvConf: filepath.Join(dir, "resolv.conf"), logs: new(bytes.Buffer)}
	if err := os.WriteFile(f.resolvConf, []byte(origResolv), 0o644); err != nil {
		t.Fatal(err)
	}
	f.net = f.newNetwork(t, linuxSeams{})
	return f
}

func (f *linuxFixture) newNetwork(t *testing.T, seams linuxSeams) *linuxNetwork {
	seams.nl = f.ns.h
	seams.sysctl = f.ns.sysctl
	n, err := newLinux(Options{
		StateDir:   f.stateDir,
		DNSMode:    "direct",
		ResolvConf: f.resolvConf,
		Logger:     Logger{Verbosef: func(format string, args ...any) { fmt.Fprintf(f.logs, format+"\n", args...) }},
	}, seams)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *linuxFixture) apply(t *testing.T, s Settings) {
	t.Helper()
	if err := f.net.Apply(context.Background(), tunName, s); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

func (f *linuxFixture) wantState(t *testing.T, want ...string) {
	t.Helper()
	slices.Sort(want)
	if d := goldenfile.Diff(strings.Join(want, "\n"), f.ns.state(t)); d != "" {
		t.Errorf("namespace state (-want +got):\n%s", d)
	}
}

func (f *linuxFixture) wantResolvConf(t *testing.T, want string) {
	t.Helper()
	got, err := os.ReadFile(f.resolvConf)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("resolv.conf is %q, want %q", got, want)
	}
}

func (f *linuxFixture) wantJournalEmpty(t *testing.T) {
	t.Helper()
	left, _ := filepath.Glob(filepath.Join(f.stateDir, "platform", "*"))
	if len(left) != 0 {
		t.Errorf("journal files left: %v", left)
	}
}

func splitSettings() Settings {
	return Settings{
		Addresses: prefixes("10.66.0.2/32", "fd42:66::2/128"),
		Routes:    prefixes("10.66.0.0/24", "192.168.88.0/24", "fd42:66::/64"),
		DNS:       []netip.Addr{netip.MustParseAddr("10.66.0.1")},
		DNSSearch: []string{"home.lan"},
		Endpoints: []netip.AddrPort{netip.MustParseAddrPort(endpoint4 + ":51820")},
	}
}

func fullSettings() Settings {
	s := splitSettings()
	s.Routes = prefixes("0.0.0.0/0", "::/0", "10.66.0.0/24")
	s.MTU = 1380
	return s
}

var (
	splitState = []string{
		"addr wgt0 10.66.0.2/32",
		"addr wgt0 fd42:66::2/128",
		fmt.Sprintf("mtu wgt0 %d", uplinkMTU-80),
		"route wgt0 10.66.0.0/24 table main",
		"route wgt0 192.168.88.0/24 table main",
		"route wgt0 fd42:66::/64 table main",
	}
	fullState = []string{
		"addr wgt0 10.66.0.2/32",
		"addr wgt0 fd42:66::2/128",
		"mtu wgt0 1380",
		"route wgt0 0.0.0.0/0 table 51820",
		"route wgt0 ::/0 table 51820",
		"route wgt0 10.66.0.0/24 table main",
		"rule ipv4 pref 32764 lookup main suppress_prefixlength 0",
		"rule ipv4 pref 32765 not fwmark 51820 lookup 51820",
		"rule ipv6 pref 32764 lookup main suppress_prefixlength 0",
		"rule ipv6 pref 32765 not fwmark 51820 lookup 51820",
		"sysctl net.ipv4.conf.all.src_valid_mark=1",
	}
	splitResolv = "# Written by wgdesk for tunnel interface wgt0.\n# The original file is restored when the tunnel goes down.\nnameserver 10.66.0.1\nsearch home.lan\n"
)

func TestLinuxApplySplitFullAndRemove(t *testing.T) {
	f := newLinuxFixture(t)
	ctx := context.Background()
	if err := f.net.Recover(ctx); err != nil {
		t.Fatalf("recover with nothing left: %v", err)
	}
	f.wantState(t, "mtu wgt0 1500")

	for range 2 { // the second round must change nothing
		f.apply(t, splitSettings())
		f.wantState(t, splitState...)
		f.wantResolvConf(t, splitResolv)
	}
	if !strings.Contains(f.logs.String(), "dns mode direct: forced by options") {
		t.Errorf("dns mode choice not logged: %s", f.logs)
	}

	for range 2 {
		f.apply(t, fullSettings())
		f.wantState(t, fullState...)
		f.wantResolvConf(t, splitResolv)
	}

	// Policy routing really works: unmarked traffic goes into the tunnel,
	// traffic carrying the tunnel's mark goes to the uplink, and local
	// routes in main (not the default) still win.
	for _, c := range []struct {
		dst  string
		mark uint32
		dev  string
	}{
		{"192.0.2.99", 0, tunName},
		{"192.0.2.99", 51820, "up0"},
		{endpoint4, 0, "up0"},
		{"10.66.0.1", 0, tunName},
	} {
		routes, err := f.ns.h.RouteGetWithOptions(net.ParseIP(c.dst), &netlink.RouteGetOptions{Mark: c.mark})
		if err != nil || len(routes) == 0 {
			t.Fatalf("route get %s: %v", c.dst, err)
		}
		l, _ := f.ns.h.LinkByIndex(routes[0].LinkIndex)
		if l.Attrs().Name != c.dev {
			t.Errorf("route to %s with mark %d goes to %s, want %s", c.dst, c.mark, l.Attrs().Name, c.dev)
		}
	}

	// Back to split: the policy routes and rules go, the rest stays;
	// src_valid_mark stays set, as with wg-quick.
	f.apply(t, splitSettings())
	f.wantState(t, append(splitState, "sysctl net.ipv4.conf.all.src_valid_mark=1")...)

	f.apply(t, Settings{})
	f.apply(t, Settings{}) // removing twice is fine
	f.wantState(t, fmt.Sprintf("mtu wgt0 %d", uplinkMTU-80), "sysctl net.ipv4.conf.all.src_valid_mark=1")
	f.wantResolvConf(t, origResolv)
	f.wantJournalEmpty(t)
}

func TestLinuxAutoMTU(t *testing.T) {
	f := newLinuxFixture(t)
	s := Settings{Addresses: prefixes("10.66.0.2/32")}
	f.apply(t, s) // no endpoint: the default route's device
	f.wantState(t, "addr wgt0 10.66.0.2/32", fmt.Sprintf("mtu wgt0 %d", uplinkMTU-80))

	s.Endpoints = []netip.AddrPort{netip.MustParseAddrPort("203.0.113.5:13231")}
	f.apply(t, s) // the endpoint's route carries its own MTU
	f.wantState(t, "addr wgt0 10.66.0.2/32", fmt.Sprintf("mtu wgt0 %d", farNetMTU-80))

	// With a full tunnel up, the endpoint is still looked up outside it.
	s.Routes = prefixes("0.0.0.0/0")
	f.apply(t, s)
	f.apply(t, s)
	f.wantState(t, "addr wgt0 10.66.0.2/32", fmt.Sprintf("mtu wgt0 %d", farNetMTU-80),
		"route wgt0 0.0.0.0/0 table 51820",
		"rule ipv4 pref 32764 lookup main suppress_prefixlength 0",
		"rule ipv4 pref 32765 not fwmark 51820 lookup 51820",
		"sysctl net.ipv4.conf.all.src_valid_mark=1")
	f.apply(t, Settings{})
}

func TestLinuxTableNumberAndFwMark(t *testing.T) {
	f := newLinuxFixture(t)
	s := splitSettings()
	s.Routes = prefixes("0.0.0.0/0", "10.66.0.0/24")
	s.Table = "1234"
	f.apply(t, s)
	f.wantState(t, "addr wgt0 10.66.0.2/32", "addr wgt0 fd42:66::2/128", "mtu wgt0 1320",
		"route wgt0 0.0.0.0/0 table 1234", "route wgt0 10.66.0.0/24 table 1234")

	s.Table, s.FwMark = "auto", 4660
	f.apply(t, s)
	f.wantState(t, "addr wgt0 10.66.0.2/32", "addr wgt0 fd42:66::2/128", "mtu wgt0 1320",
		"route wgt0 0.0.0.0/0 table 4660", "route wgt0 10.66.0.0/24 table main",
		"rule ipv4 pref 32764 lookup main suppress_prefixlength 0",
		"rule ipv4 pref 32765 not fwmark 4660 lookup 4660",
		"sysctl net.ipv4.conf.all.src_valid_mark=1")

	s.Table = "off"
	f.apply(t, s)
	f.wantState(t, "addr wgt0 10.66.0.2/32", "addr wgt0 fd42:66::2/128", "mtu wgt0 1320",
		"sysctl net.ipv4.conf.all.src_valid_mark=1")
	f.apply(t, Settings{})
	f.wantResolvConf(t, origResolv)
	f.wantJournalEmpty(t)
}

func TestLinuxCrashRecover(t *testing.T) {
	f := newLinuxFixture(t)
	f.apply(t, fullSettings())
	f.wantState(t, fullState...)

	// The service is killed: the Network is dropped without removing.
	f.net = f.newNetwork(t, linuxSeams{})
	if err := f.net.Recover(context.Background()); err != nil {
		t.Fatalf("recover: %v", err)
	}
	// The leftover TUN is deleted, and with it its addresses and routes.
	if _, err := f.ns.h.LinkByName(tunName); !isNotFound(err) {
		t.Errorf("leftover %s still there (%v)", tunName, err)
	}
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		rules, _ := f.ns.h.RuleList(fam)
		for _, r := range rules {
			if r.Priority != 0 && r.Priority < 32766 {
				t.Errorf("rule left: %v", r)
			}
		}
	}
	routes, _ := f.ns.h.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: 51820}, netlink.RT_FILTER_TABLE)
	if len(routes) != 0 {
		t.Errorf("routes left in table 51820: %v", routes)
	}
	f.wantResolvConf(t, origResolv)
	f.wantJournalEmpty(t)
	if err := f.net.Recover(context.Background()); err != nil {
		t.Fatalf("second recover: %v", err)
	}
	if !strings.Contains(f.logs.String(), "recovering wgt0") {
		t.Errorf("recovery not logged: %s", f.logs)
	}
}

func TestLinuxRecoverAfterInterfaceVanished(t *testing.T) {
	f := newLinuxFixture(t)
	f.apply(t, fullSettings())
	// The TUN died with the killed service, taking its addresses and
	// routes; the rules and resolv.conf stay behind.
	l, _ := f.ns.h.LinkByName(tunName)
	if err := f.ns.h.LinkDel(l); err != nil {
		t.Fatal(err)
	}
	f.net = f.newNetwork(t, linuxSeams{})
	if err := f.net.Recover(context.Background()); err != nil {
		t.Fatalf("recover: %v", err)
	}
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		rules, _ := f.ns.h.RuleList(fam)
		for _, r := range rules {
			if r.Priority != 0 && r.Priority < 32766 {
				t.Errorf("rule left: %v", r)
			}
		}
	}
	f.wantResolvConf(t, origResolv)
	f.wantJournalEmpty(t)
}

func TestLinuxResolvConfBindMounted(t *testing.T) {
	f := newLinuxFixture(t)
	// Renaming over a bind-mounted file fails with EBUSY, as with the
	// resolv.conf `ip netns exec` mounts.
	renames := 0
	f.net = f.newNetwork(t, linuxSeams{renameOver: func(from, to string) error {
		renames++
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: syscall.EBUSY}
	}})
	before, err := os.Stat(f.resolvConf)
	if err != nil {
		t.Fatal(err)
	}
	f.apply(t, splitSettings())
	f.wantResolvConf(t, splitResolv)
	f.apply(t, Settings{})
	f.wantResolvConf(t, origResolv)
	after, err := os.Stat(f.resolvConf)
	if err != nil {
		t.Fatal(err)
	}
	if renames == 0 || !os.SameFile(before, after) {
		t.Errorf("file not written in place (renames tried: %d, same file: %v)", renames, os.SameFile(before, after))
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(f.resolvConf), ".resolv.conf*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if !strings.Contains(f.logs.String(), "writing in place") {
		t.Errorf("fallback not logged: %s", f.logs)
	}
}

func TestLinuxApplyMissingInterface(t *testing.T) {
	f := newLinuxFixture(t)
	err := f.net.Apply(context.Background(), "nosuch0", splitSettings())
	if err == nil || !strings.Contains(err.Error(), "nosuch0") {
		t.Fatalf("got %v, want an error naming the interface", err)
	}
	if errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	// Removing what was never made succeeds and clears the journal.
	if err := f.net.Apply(context.Background(), "nosuch0", Settings{}); err != nil {
		t.Fatal(err)
	}
	f.wantResolvConf(t, origResolv)
	f.wantJournalEmpty(t)
}
