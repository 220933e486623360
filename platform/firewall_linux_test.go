package platform

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	goldenfile "github.com/wgdesk/wgdesk/internal/golden"
)

// Without nftables the Linux Network claims no kill switch, and says why.
func TestLinuxNoKillSwitchWithoutNftables(t *testing.T) {
	n, err := newLinux(Options{StateDir: t.TempDir()}, linuxSeams{nftErr: errors.New("no nf_tables module")})
	if err != nil {
		t.Fatal(err)
	}
	got := FirewallOf(n)
	if got.KillSwitch || got.AllowLAN {
		t.Errorf("linux claims a firewall without nftables: %+v", got)
	}
	if !strings.Contains(got.Limit, "no nf_tables module") {
		t.Errorf("the reason is not given: %q", got.Limit)
	}
	with, err := newLinux(Options{StateDir: t.TempDir()}, linuxSeams{nft: &nftFakeBackend{}})
	if err != nil {
		t.Fatal(err)
	}
	if got := FirewallOf(with); !got.KillSwitch || !got.AllowLAN || got.Limit == "" {
		t.Errorf("linux with nftables: %+v", got)
	}
}

// New probes nftables in the namespace it runs in; as root on a kernel
// with nf_tables it must offer the kill switch.
func TestLinuxNewProbesNftables(t *testing.T) {
	requireNetns(t)
	s := newTestNS(t)
	var fw FirewallSupport
	err := s.inNS(func() error {
		n, err := New(Options{StateDir: t.TempDir(), ResolvConf: filepath.Join(t.TempDir(), "resolv.conf")})
		if err != nil {
			return err
		}
		fw = FirewallOf(n)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !fw.KillSwitch {
		t.Errorf("no kill switch as root: %+v", fw)
	}
	if got := s.nftList(t, nftTableName+"_probe"); got != "" {
		t.Errorf("the probe left its table:\n%s", got)
	}
}

// nftRecorder is the real back end of a namespace, noting for each change
// whether the tunnel had routes at that moment.
type nftRecorder struct {
	real  nftNetlink
	ns    *testNS
	t     *testing.T
	calls []string
}

func (r *nftRecorder) replace(table string, rules []nftRule) error {
	routes := "no routes"
	if strings.Contains(r.ns.state(r.t), "route "+tunName) {
		routes = "routes"
	}
	what := "delete"
	if len(rules) > 0 {
		what = "replace"
	}
	r.calls = append(r.calls, what+" with "+routes)
	return r.real.replace(table, rules)
}

func newKillSwitchFixture(t *testing.T) (*linuxFixture, *nftRecorder) {
	f := newLinuxFixture(t)
	rec := &nftRecorder{real: nftNetlink{netnsFd: int(f.ns.ns)}, ns: f.ns, t: t}
	t.Cleanup(func() {
		if got := f.ns.nftList(t, nftTableName); got != "" {
			t.Errorf("table left after the test:\n%s", got)
			rec.real.replace(nftTableName, nil)
		}
	})
	f.net = f.newNetwork(t, f.killSwitchSeams(rec))
	return f, rec
}

func (f *linuxFixture) killSwitchSeams(b nftBackend) linuxSeams {
	ns := f.ns.ns
	return linuxSeams{nft: b, watchLAN: netlinkWatch(&ns)}
}

func killSwitchSettings(allowLAN bool) Settings {
	s := fullSettings()
	s.KillSwitch, s.AllowLAN = true, allowLAN
	return s
}

func TestLinuxKillSwitchBeforeRoutesAndRemovedLast(t *testing.T) {
	f, rec := newKillSwitchFixture(t)
	for range 2 { // the second Apply changes nothing
		f.apply(t, killSwitchSettings(false))
	}
	f.wantState(t, fullState...)
	table := f.ns.nftList(t, nftTableName)
	for _, want := range []string{`oifname "wgt0" accept`, "meta mark 0x0000ca6c accept", `oifname "wgt0" ip daddr 10.66.0.1 udp dport 53 accept`, "policy drop"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	f.apply(t, Settings{})
	if d := goldenfile.Diff("replace with no routes\ndelete with no routes", strings.Join(rec.calls, "\n")); d != "" {
		t.Errorf("kill switch changes (- want, + got):\n%s", d)
	}
	if got := f.ns.nftList(t, nftTableName); got != "" {
		t.Errorf("table left after the tunnel went down:\n%s", got)
	}
	f.wantJournalEmpty(t)
}

func TestLinuxKillSwitchOffRemovesTable(t *testing.T) {
	f, rec := newKillSwitchFixture(t)
	f.apply(t, killSwitchSettings(false))
	off := killSwitchSettings(false)
	off.KillSwitch = false
	f.apply(t, off)
	if got := f.ns.nftList(t, nftTableName); got != "" {
		t.Errorf("table left with the kill switch off:\n%s", got)
	}
	f.wantState(t, fullState...) // the tunnel itself stays up
	// Another input (a DNS server more) rebuilds the table once.
	f.apply(t, killSwitchSettings(false))
	more := killSwitchSettings(false)
	more.DNS = append(more.DNS, netip.MustParseAddr("10.66.0.53"))
	f.apply(t, more)
	f.apply(t, more)
	if !strings.Contains(f.ns.nftList(t, nftTableName), `oifname "wgt0" ip daddr 10.66.0.53 udp dport 53 accept`) {
		t.Error("the new dns server is not in the table")
	}
	f.apply(t, Settings{})
	want := "replace with no routes\ndelete with routes\nreplace with routes\nreplace with routes\ndelete with no routes"
	if d := goldenfile.Diff(want, strings.Join(rec.calls, "\n")); d != "" {
		t.Errorf("kill switch changes (- want, + got):\n%s", d)
	}
	f.wantJournalEmpty(t)
}

// A killed service leaves the table (the network stays closed); the next
// start's Recover removes it.
func TestLinuxKillSwitchSurvivesCrashUntilRecover(t *testing.T) {
	f, _ := newKillSwitchFixture(t)
	f.apply(t, killSwitchSettings(false))
	data, err := os.ReadFile(filepath.Join(f.stateDir, "platform", tunName+".json"))
	if err != nil || !strings.Contains(string(data), `"firewall": true`) {
		t.Fatalf("the journal does not record the kill switch: %v\n%s", err, data)
	}
	// The service is killed: its Network is dropped without removing.
	f.net = f.newNetwork(t, f.killSwitchSeams(nftNetlink{netnsFd: int(f.ns.ns)}))
	if f.ns.nftList(t, nftTableName) == "" {
		t.Fatal("the table went with the process")
	}
	if err := f.net.Recover(context.Background()); err != nil {
		t.Fatalf("recover: %v", err)
	}
	if got := f.ns.nftList(t, nftTableName); got != "" {
		t.Errorf("table left after recover:\n%s", got)
	}
	f.wantJournalEmpty(t)
	if !strings.Contains(f.logs.String(), "removing the kill switch of wgt0") {
		t.Errorf("not logged: %s", f.logs)
	}
}

// The rules really hold in the namespace: an ordinary socket cannot send
// to the uplink (DNS to the café's resolver, TCP anywhere), while the
// tunnel device's marked socket reaches the endpoint. Nothing leaves the
// namespace: up1, the veth's other end, has no one listening.
func TestLinuxKillSwitchDropsTraffic(t *testing.T) {
	f, _ := newKillSwitchFixture(t)
	f.apply(t, killSwitchSettings(false))
	send := func(dst string, mark int) error {
		return f.ns.inNS(func() error {
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
			if err != nil {
				return err
			}
			defer unix.Close(fd)
			if mark != 0 {
				if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_MARK, mark); err != nil {
					return err
				}
			}
			ap := netip.MustParseAddrPort(dst)
			return unix.Sendto(fd, []byte("x"), 0, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()})
		})
	}
	// Routed to the uplink through a main-table route that beats the
	// suppressed default: the kill switch alone must stop it.
	if err := send(endpoint4+":53", 0); !errors.Is(err, syscall.EPERM) {
		t.Errorf("dns to a resolver on the uplink: %v, want EPERM", err)
	}
	if err := send("203.0.113.9:9", 0); !errors.Is(err, syscall.EPERM) {
		t.Errorf("udp to the far network through the uplink: %v, want EPERM", err)
	}
	if err := send(endpoint4+":51820", 51820); err != nil {
		t.Errorf("the marked encrypted udp to the endpoint: %v", err)
	}
	f.apply(t, Settings{})
	if err := send(endpoint4+":53", 0); err != nil {
		t.Errorf("dns after the tunnel went down: %v", err)
	}
}

// With Allow LAN the uplink's subnets are allowed, and a new address on
// the uplink is followed without another Apply.
func TestLinuxKillSwitchFollowsLAN(t *testing.T) {
	f, _ := newKillSwitchFixture(t)
	f.apply(t, killSwitchSettings(true))
	table := f.ns.nftList(t, nftTableName)
	if !strings.Contains(table, "ip daddr 198.51.100.0/24 accept") {
		t.Errorf("the uplink's subnet is not allowed:\n%s", table)
	}
	for _, bad := range []string{"10.66.0.0/24", "0.0.0.0/0"} {
		if strings.Contains(table, bad) {
			t.Errorf("%s counts as lan:\n%s", bad, table)
		}
	}
	up0, err := f.ns.h.LinkByName("up0")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ns.h.AddrAdd(up0, &netlink.Addr{IPNet: &net.IPNet{IP: net.ParseIP("192.0.2.5"), Mask: net.CIDRMask(24, 32)}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(f.ns.nftList(t, nftTableName), "ip daddr 192.0.2.0/24 accept") {
		if time.Now().After(deadline) {
			t.Fatalf("the new subnet was not allowed:\n%s", f.ns.nftList(t, nftTableName))
		}
		time.Sleep(50 * time.Millisecond)
	}
	f.apply(t, Settings{})
	if f.net.fw.stopWatch != nil {
		t.Error("the lan watch still runs with no tunnel")
	}
}

// Two kill-switched tunnels share the table: the first one down leaves
// the other's rules, the last one down removes the table.
func TestLinuxKillSwitchTwoTunnels(t *testing.T) {
	f, rec := newKillSwitchFixture(t)
	if out, err := exec.Command("ip", "-n", f.ns.name, "tuntap", "add", "wgt1", "mode", "tun").CombinedOutput(); err != nil {
		t.Fatalf("create wgt1: %v: %s", err, out)
	}
	office := Settings{
		Addresses:  prefixes("10.77.0.2/32"),
		Routes:     prefixes("0.0.0.0/0"),
		Table:      "1234",
		Endpoints:  []netip.AddrPort{netip.MustParseAddrPort("203.0.113.7:4500")},
		KillSwitch: true,
	}
	ctx := context.Background()
	f.apply(t, killSwitchSettings(false))
	if err := f.net.Apply(ctx, "wgt1", office); err != nil {
		t.Fatalf("apply wgt1: %v", err)
	}
	both := f.ns.nftList(t, nftTableName)
	for _, want := range []string{`oifname "wgt0" accept`, `oifname "wgt1" accept`, "ip daddr 203.0.113.7 udp dport 4500 accept"} {
		if !strings.Contains(both, want) {
			t.Errorf("table lacks %q:\n%s", want, both)
		}
	}
	f.apply(t, Settings{})
	left := f.ns.nftList(t, nftTableName)
	if strings.Contains(left, `"wgt0"`) || !strings.Contains(left, `oifname "wgt1" accept`) {
		t.Errorf("after wgt0 went down:\n%s", left)
	}
	if err := f.net.Apply(ctx, "wgt1", Settings{}); err != nil {
		t.Fatalf("remove wgt1: %v", err)
	}
	if d := goldenfile.Diff("replace with no routes\nreplace with routes\nreplace with no routes\ndelete with no routes", strings.Join(rec.calls, "\n")); d != "" {
		t.Errorf("kill switch changes (- want, + got):\n%s", d)
	}
	f.wantJournalEmpty(t)
}

// When the table cannot be made, nothing of the tunnel is: no address, no
// route. The journal keeps the kill switch until the tunnel is removed.
func TestLinuxKillSwitchFailsBeforeRoutes(t *testing.T) {
	f := newLinuxFixture(t)
	fake := &nftFakeBackend{err: errors.New("no buffer space")}
	f.net = f.newNetwork(t, linuxSeams{nft: fake})
	err := f.net.Apply(context.Background(), tunName, killSwitchSettings(false))
	if err == nil || !strings.Contains(err.Error(), "turn the kill switch on for wgt0: no buffer space") {
		t.Fatalf("apply: %v", err)
	}
	f.wantState(t, "mtu wgt0 1500")
	fake.err = nil
	f.apply(t, Settings{})
	if d := goldenfile.Diff("delete wgdesk", strings.Join(fake.calls, "\n")); d != "" {
		t.Errorf("calls (- want, + got):\n%s", d)
	}
	f.wantJournalEmpty(t)
}

// The LAN watch stops cleanly while address changes keep coming, as the
// tunnel goes up and down, and a removed subnet is dropped again.
func TestLinuxKillSwitchLANWatchUnderChurn(t *testing.T) {
	f, _ := newKillSwitchFixture(t)
	up0, err := f.ns.h.LinkByName("up0")
	if err != nil {
		t.Fatal(err)
	}
	churn := &netlink.Addr{IPNet: &net.IPNet{IP: net.ParseIP("192.0.2.5"), Mask: net.CIDRMask(24, 32)}}
	before := runtime.NumGoroutine()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			f.ns.h.AddrAdd(up0, churn)
			time.Sleep(5 * time.Millisecond)
			f.ns.h.AddrDel(up0, churn)
			time.Sleep(5 * time.Millisecond)
		}
	}()
	for range 5 {
		f.apply(t, killSwitchSettings(true))
		time.Sleep(150 * time.Millisecond) // let a rebuild or two happen
		f.apply(t, Settings{})
	}
	close(stop)
	<-done
	f.ns.h.AddrDel(up0, churn)
	if f.net.fw.stopWatch != nil {
		t.Error("the lan watch still runs with no tunnel")
	}
	// The watch's goroutines (and netlink subscriptions) end with it.
	for deadline := time.Now().Add(3 * time.Second); runtime.NumGoroutine() > before; {
		if time.Now().After(deadline) {
			t.Errorf("goroutines: %d before, %d after", before, runtime.NumGoroutine())
			break
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Up again without the churned subnet: it is not allowed.
	f.apply(t, killSwitchSettings(true))
	if table := f.ns.nftList(t, nftTableName); strings.Contains(table, "192.0.2.0/24") {
		t.Errorf("a removed subnet is allowed:\n%s", table)
	}
	f.apply(t, Settings{})
}

// Recover opens the network even when something else of the crashed run
// cannot be undone: no tunnel is up to use, and the error is reported.
func TestLinuxRecoverRemovesKillSwitchWhenDNSFails(t *testing.T) {
	f, _ := newKillSwitchFixture(t)
	b := nftNetlink{netnsFd: int(f.ns.ns)}
	tun := nftTestTunnel(t, tunName, killSwitchSettings(false))
	if err := b.replace(nftTableName, nftRuleset([]nftTunnel{tun}, nil)); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(f.stateDir, "platform")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	journal := `{"interface": "wgt0", "firewall": true, "dns": {"mode": "resolvconf", "record": "wgt0.wgdesk"}}`
	if err := os.WriteFile(filepath.Join(dir, tunName+".json"), []byte(journal), 0o600); err != nil {
		t.Fatal(err)
	}
	seams := f.killSwitchSeams(b)
	seams.run = func(context.Context, []byte, string, ...string) error { return errors.New("resolvconf: not found") }
	f.net = f.newNetwork(t, seams)
	err := f.net.Recover(context.Background())
	if err == nil || !strings.Contains(err.Error(), "resolvconf: not found") {
		t.Errorf("recover: %v, want the dns error", err)
	}
	if got := f.ns.nftList(t, nftTableName); got != "" {
		t.Errorf("the kill switch stayed:\n%s", got)
	}
	data, _ := os.ReadFile(filepath.Join(dir, tunName+".json"))
	if strings.Contains(string(data), "firewall") || !strings.Contains(string(data), "resolvconf") {
		t.Errorf("journal after recover:\n%s", data)
	}
}
