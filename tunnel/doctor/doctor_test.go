package doctor_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
	"github.com/wgdesk/wgdesk/tunnel/doctor"
)

// homeConf is a RouterOS road warrior config: the router's tunnel
// address 192.168.100.1 is also its DNS server; the LAN behind it is
// 192.168.88.0/24.
const homeConf = `[Interface]
PrivateKey = AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=
Address = 192.168.100.2/24
DNS = 192.168.100.1

[Peer]
PublicKey = ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4Q=
AllowedIPs = 192.168.100.0/24, 192.168.88.0/24
Endpoint = router.example.net:13231
`

// fakeService is the API's fake service with live figures the test
// controls: stats(n) gives the peer's figures on the n-th read.
type fakeService struct {
	*apitest.Service
	mu    sync.Mutex
	reads int
	stats func(n int) tunnel.PeerStats
	ups   int
	downs int
}

func (f *fakeService) Get(name string) (tunnel.TunnelInfo, error) {
	info, err := f.Service.Get(name)
	if err != nil || info.State != tunnel.StateActive || f.stats == nil {
		return info, err
	}
	f.mu.Lock()
	f.reads++
	st := f.stats(f.reads)
	f.mu.Unlock()
	st.PublicKey = info.Peers[0].PublicKey
	info.Peers[0] = st
	return info, nil
}

func (f *fakeService) Up(ctx context.Context, name string) error {
	f.ups++
	return f.Service.Up(ctx, name)
}

func (f *fakeService) Down(ctx context.Context, name string) error {
	f.downs++
	return f.Service.Down(ctx, name)
}

// fakeProbes answers as a healthy network would unless told otherwise.
type fakeProbes struct {
	resolve   map[string][]netip.Addr
	route     doctor.Route
	routeErr  error
	maxPacket int // pings up to this size pass; 0: none passes
	pingErr   error
	dns       map[netip.Addr]func() (int, error)
	mtu       int
	lans      []config.LocalSubnet

	mu    sync.Mutex
	pings []string
}

func healthyProbes() *fakeProbes {
	return &fakeProbes{
		resolve:   map[string][]netip.Addr{"router.example.net": {netip.MustParseAddr("203.0.113.5")}},
		route:     doctor.Route{Interface: "wlan0", Gateway: netip.MustParseAddr("192.168.1.1")},
		maxPacket: 1420,
		mtu:       1420,
		lans:      []config.LocalSubnet{{Prefix: netip.MustParsePrefix("192.168.1.0/24"), Interface: "wlan0"}},
	}
}

func (p *fakeProbes) Resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	a, ok := p.resolve[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	return a, nil
}

func (p *fakeProbes) RouteTo(ctx context.Context, dst netip.Addr, mark uint32) (doctor.Route, error) {
	return p.route, p.routeErr
}

func (p *fakeProbes) Ping(ctx context.Context, ifname string, src, dst netip.Addr, size int, timeout time.Duration) error {
	p.mu.Lock()
	p.pings = append(p.pings, fmt.Sprintf("%s %s>%s %d", ifname, src, dst, size))
	p.mu.Unlock()
	if p.pingErr != nil {
		return p.pingErr
	}
	if size <= p.maxPacket {
		return nil
	}
	return doctor.ErrNoReply
}

// sent lists the pings sent so far ("ifname src>dst size").
func (p *fakeProbes) sent() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.pings...)
}

func (p *fakeProbes) DNS(ctx context.Context, ifname string, src, server netip.Addr, timeout time.Duration) (int, error) {
	if f, ok := p.dns[server]; ok {
		return f()
	}
	return 0, nil
}

func (p *fakeProbes) MTU(ctx context.Context, ifname string) (int, error) { return p.mtu, nil }

func (p *fakeProbes) Connected(ctx context.Context, skip string) ([]config.LocalSubnet, error) {
	return p.lans, nil
}

// handshaken is a peer with a handshake 12 s before now.
func handshaken(now time.Time) func(int) tunnel.PeerStats {
	return func(int) tunnel.PeerStats {
		return tunnel.PeerStats{RxBytes: 92, TxBytes: 148, LastHandshake: now.Add(-12 * time.Second)}
	}
}

func newDoctor(t *testing.T, conf string, active bool, p doctor.Probes) (*doctor.Doctor, *fakeService) {
	t.Helper()
	cfg, _, err := config.Parse([]byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	svc := &fakeService{Service: apitest.New()}
	if err := svc.Service.Import("home", cfg); err != nil {
		t.Fatal(err)
	}
	if active {
		svc.Service.Up(context.Background(), "home")
	}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	svc.stats = handshaken(now)
	d := &doctor.Doctor{Svc: svc, Probes: p, HandshakeWait: 100 * time.Millisecond, Poll: 5 * time.Millisecond,
		PingTimeout: time.Millisecond, Now: func() time.Time { return now }}
	return d, svc
}

func verdicts(r doctor.Report) string {
	var out []string
	for _, c := range r.Checks {
		out = append(out, c.ID+"="+string(c.Verdict))
	}
	return strings.Join(out, " ")
}

func find(t *testing.T, r doctor.Report, id string) doctor.Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no check %s in %s", id, verdicts(r))
	return doctor.Check{}
}

func runDoctor(t *testing.T, d *doctor.Doctor) doctor.Report {
	t.Helper()
	r, err := d.Run(context.Background(), "home")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHealthy(t *testing.T) {
	p := healthyProbes()
	d, svc := newDoctor(t, homeConf, true, p)
	r := runDoctor(t, d)
	if got, want := verdicts(r), "endpoint=ok handshake=ok traffic=ok dns=ok mtu=ok lan=ok"; got != want {
		t.Fatalf("verdicts %s, want %s\n%+v", got, want, r)
	}
	if r.Worst() != doctor.OK || r.BroughtUp || svc.ups != 0 || svc.downs != 0 || r.Interface != "wg-home" {
		t.Fatalf("report %+v, ups %d downs %d", r, svc.ups, svc.downs)
	}
	for _, c := range r.Checks {
		if c.Fix != "" || len(c.RouterOS) != 0 {
			t.Errorf("%s is ok but has a fix: %+v", c.ID, c)
		}
	}
	if s := find(t, r, doctor.CheckEndpoint).Seen; s != "router.example.net resolves to 203.0.113.5. Packets to it leave by wlan0 via 192.168.1.1, outside the tunnel." {
		t.Errorf("endpoint seen: %q", s)
	}
	if s := find(t, r, doctor.CheckHandshake).Seen; !strings.Contains(s, "12 s ago") {
		t.Errorf("handshake seen: %q", s)
	}
	// The DNS server is the first thing pinged, from our address.
	if sent := p.sent(); len(sent) == 0 || sent[0] != "wg-home 192.168.100.2>192.168.100.1 84" {
		t.Errorf("pings %q", sent)
	}
}

func TestInactiveTunnelIsBroughtUpAndDown(t *testing.T) {
	d, svc := newDoctor(t, homeConf, false, healthyProbes())
	r := runDoctor(t, d)
	if !r.BroughtUp || svc.ups != 1 || svc.downs != 1 {
		t.Fatalf("brought up %v, ups %d, downs %d", r.BroughtUp, svc.ups, svc.downs)
	}
	if info, _ := svc.Service.Get("home"); info.State != tunnel.StateInactive {
		t.Fatalf("state after the checks: %s", info.State)
	}
	if got := verdicts(r); got != "endpoint=ok handshake=ok traffic=ok dns=ok mtu=ok lan=ok" {
		t.Fatalf("verdicts %s", got)
	}
}

func TestUpFailsIsAnError(t *testing.T) {
	d, svc := newDoctor(t, homeConf, false, healthyProbes())
	svc.SetUpErr(errors.New("no tun device"))
	if _, err := d.Run(context.Background(), "home"); err == nil || !strings.Contains(err.Error(), "no tun device") {
		t.Fatalf("err %v", err)
	}
	if _, err := d.Run(context.Background(), "nope"); !errors.Is(err, tunnel.ErrNotFound) {
		t.Fatalf("unknown tunnel: %v", err)
	}
}

// The router drops the initiations or does not know our key: tx grows,
// nothing comes back, and both RouterOS fixes are given.
func TestUnansweredInitiations(t *testing.T) {
	p := healthyProbes()
	d, svc := newDoctor(t, homeConf, true, p)
	svc.stats = func(n int) tunnel.PeerStats { return tunnel.PeerStats{TxBytes: uint64(148 * n)} }
	r := runDoctor(t, d)
	if got := verdicts(r); got != "endpoint=ok handshake=fail traffic=skipped dns=skipped mtu=skipped lan=ok" {
		t.Fatalf("verdicts %s", got)
	}
	c := find(t, r, doctor.CheckHandshake)
	want := []string{
		`/ip firewall filter add action=accept chain=input comment="allow WireGuard" dst-port=13231 protocol=udp place-before=1`,
		`/interface wireguard peers add allowed-address=192.168.100.2/32 interface=wireguard1 public-key="` + pubKey(t) + `"`,
	}
	if strings.Join(c.RouterOS, "\n") != strings.Join(want, "\n") {
		t.Errorf("routeros:\n%s\nwant:\n%s", strings.Join(c.RouterOS, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(c.Seen, "received 0 bytes") || !strings.Contains(c.Fix, "does not know this computer's public key "+pubKey(t)) {
		t.Errorf("check %+v", c)
	}
	// A ping was sent into the tunnel to provoke the initiation.
	if len(p.sent()) == 0 {
		t.Error("no ping provoked an initiation")
	}
}

func TestNothingSent(t *testing.T) {
	d, svc := newDoctor(t, homeConf, true, healthyProbes())
	svc.stats = func(int) tunnel.PeerStats { return tunnel.PeerStats{} }
	c := find(t, runDoctor(t, d), doctor.CheckHandshake)
	if c.Verdict != doctor.Fail || !strings.Contains(c.Seen, "sent nothing") || len(c.RouterOS) != 0 {
		t.Fatalf("check %+v", c)
	}
}

func TestHandshakeComesLate(t *testing.T) {
	d, svc := newDoctor(t, homeConf, true, healthyProbes())
	now := d.Now()
	svc.stats = func(n int) tunnel.PeerStats {
		if n < 4 {
			return tunnel.PeerStats{TxBytes: 148}
		}
		return tunnel.PeerStats{TxBytes: 296, RxBytes: 92, LastHandshake: now}
	}
	if got := verdicts(runDoctor(t, d)); got != "endpoint=ok handshake=ok traffic=ok dns=ok mtu=ok lan=ok" {
		t.Fatalf("verdicts %s", got)
	}
}

// Handshake but nothing back: allowed-address or the firewall.
func TestNothingComesBack(t *testing.T) {
	p := healthyProbes()
	p.maxPacket = 0
	p.dns = map[netip.Addr]func() (int, error){netip.MustParseAddr("192.168.100.1"): func() (int, error) { return 0, doctor.ErrNoReply }}
	d, _ := newDoctor(t, homeConf, true, p)
	r := runDoctor(t, d)
	if got := verdicts(r); got != "endpoint=ok handshake=ok traffic=fail dns=fail mtu=skipped lan=ok" {
		t.Fatalf("verdicts %s", got)
	}
	c := find(t, r, doctor.CheckTraffic)
	want := []string{
		`/interface wireguard peers add allowed-address=192.168.100.2/32 interface=wireguard1 public-key="` + pubKey(t) + `"`,
		`/ip firewall filter add action=accept chain=input comment="allow WireGuard traffic" src-address=192.168.100.0/24 place-before=1`,
		`/ip firewall filter add action=accept chain=forward dst-address=192.168.88.0/24 src-address=192.168.100.0/24`,
	}
	if strings.Join(c.RouterOS, "\n") != strings.Join(want, "\n") {
		t.Errorf("routeros:\n%s\nwant:\n%s", strings.Join(c.RouterOS, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(c.Fix, "allowed-address for this peer must hold our address 192.168.100.2/32") {
		t.Errorf("fix %q", c.Fix)
	}
}

func TestDNSVerdicts(t *testing.T) {
	server := netip.MustParseAddr("192.168.100.1")
	for _, tc := range []struct {
		name    string
		answer  func() (int, error)
		verdict doctor.Verdict
		seen    string
	}{
		{"no reply", func() (int, error) { return 0, doctor.ErrNoReply }, doctor.Fail, "did not answer a query through the tunnel: no reply"},
		{"port unreachable", func() (int, error) { return 0, errors.New("nothing listens on port 53 (port unreachable)") }, doctor.Fail, "nothing listens on port 53"},
		{"refused", func() (int, error) { return 5, nil }, doctor.Fail, "refused a query"},
		{"servfail", func() (int, error) { return 2, nil }, doctor.Warn, "SERVFAIL"},
		{"nxdomain", func() (int, error) { return 3, nil }, doctor.OK, "answered a query"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := healthyProbes()
			p.dns = map[netip.Addr]func() (int, error){server: tc.answer}
			d, _ := newDoctor(t, homeConf, true, p)
			c := find(t, runDoctor(t, d), doctor.CheckDNS)
			if c.Verdict != tc.verdict || !strings.Contains(c.Seen, tc.seen) {
				t.Fatalf("check %+v", c)
			}
			if tc.verdict == doctor.Fail {
				want := []string{
					`/ip dns set allow-remote-requests=yes`,
					`/ip firewall filter add action=accept chain=input comment="allow WireGuard DNS" dst-port=53 protocol=udp src-address=192.168.100.0/24 place-before=1`,
					`/ip firewall filter add action=accept chain=input comment="allow WireGuard DNS" dst-port=53 protocol=tcp src-address=192.168.100.0/24 place-before=1`,
				}
				if strings.Join(c.RouterOS, "\n") != strings.Join(want, "\n") {
					t.Errorf("routeros:\n%s", strings.Join(c.RouterOS, "\n"))
				}
			} else if len(c.RouterOS) != 0 {
				t.Errorf("routeros without a failure: %v", c.RouterOS)
			}
		})
	}
}

func TestDNSOutsideTheTunnelIsNotChecked(t *testing.T) {
	conf := strings.Replace(homeConf, "DNS = 192.168.100.1", "DNS = 9.9.9.9", 1)
	p := healthyProbes()
	p.dns = map[netip.Addr]func() (int, error){netip.MustParseAddr("9.9.9.9"): func() (int, error) { return 0, doctor.ErrNoReply }}
	d, _ := newDoctor(t, conf, true, p)
	c := find(t, runDoctor(t, d), doctor.CheckDNS)
	if c.Verdict != doctor.Skipped || !strings.Contains(c.Seen, "9.9.9.9 is not reached through the tunnel") {
		t.Fatalf("check %+v", c)
	}
}

func TestMTUSearch(t *testing.T) {
	p := healthyProbes()
	p.maxPacket = 1372 // a PPPoE line below the tunnel
	d, _ := newDoctor(t, homeConf, true, p)
	c := find(t, runDoctor(t, d), doctor.CheckMTU)
	if c.Verdict != doctor.Warn || !strings.Contains(c.Seen, "largest packet that passes through the tunnel is 1372 bytes; the tunnel's MTU is 1420") ||
		!strings.Contains(c.Fix, "Set MTU = 1372") {
		t.Fatalf("check %+v", c)
	}
}

func TestLANOverlap(t *testing.T) {
	p := healthyProbes()
	p.lans = append(p.lans, config.LocalSubnet{Prefix: netip.MustParsePrefix("192.168.88.0/24"), Interface: "wlan0"})
	d, _ := newDoctor(t, homeConf, true, p)
	c := find(t, runDoctor(t, d), doctor.CheckLAN)
	if c.Verdict != doctor.Warn || !strings.Contains(c.Seen, "The tunnel's 192.168.88.0/24 is also the LAN on wlan0") || c.Fix == "" {
		t.Fatalf("check %+v", c)
	}
}

func TestEndpointFailures(t *testing.T) {
	p := healthyProbes()
	p.resolve = nil
	d, _ := newDoctor(t, homeConf, true, p)
	c := find(t, runDoctor(t, d), doctor.CheckEndpoint)
	if c.Verdict != doctor.Fail || !strings.Contains(c.Seen, "router.example.net does not resolve: no such host") {
		t.Fatalf("check %+v", c)
	}

	p = healthyProbes()
	p.route = doctor.Route{Interface: "wg-home"}
	d, _ = newDoctor(t, homeConf, true, p)
	if c := find(t, runDoctor(t, d), doctor.CheckEndpoint); c.Verdict != doctor.Fail || !strings.Contains(c.Seen, "into the tunnel itself") {
		t.Fatalf("check %+v", c)
	}

	p = healthyProbes()
	p.routeErr = errors.New("network is unreachable")
	d, _ = newDoctor(t, homeConf, true, p)
	if c := find(t, runDoctor(t, d), doctor.CheckEndpoint); c.Verdict != doctor.Fail || !strings.Contains(c.Seen, "There is no route to 203.0.113.5") {
		t.Fatalf("check %+v", c)
	}
}

func TestUnsupportedProbesSkip(t *testing.T) {
	d, _ := newDoctor(t, homeConf, true, unsupportedProbes{})
	r := runDoctor(t, d)
	if got := verdicts(r); got != "endpoint=ok handshake=ok traffic=skipped dns=skipped mtu=skipped lan=skipped" {
		t.Fatalf("verdicts %s", got)
	}
	if r.Worst() != doctor.OK {
		t.Fatalf("worst %s", r.Worst())
	}
}

type unsupportedProbes struct{}

func (unsupportedProbes) Resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("203.0.113.5")}, nil
}
func (unsupportedProbes) RouteTo(context.Context, netip.Addr, uint32) (doctor.Route, error) {
	return doctor.Route{}, errors.ErrUnsupported
}
func (unsupportedProbes) Ping(context.Context, string, netip.Addr, netip.Addr, int, time.Duration) error {
	return errors.ErrUnsupported
}
func (unsupportedProbes) DNS(context.Context, string, netip.Addr, netip.Addr, time.Duration) (int, error) {
	return 0, errors.ErrUnsupported
}
func (unsupportedProbes) MTU(context.Context, string) (int, error) { return 0, errors.ErrUnsupported }
func (unsupportedProbes) Connected(context.Context, string) ([]config.LocalSubnet, error) {
	return nil, errors.ErrUnsupported
}

func pubKey(t *testing.T) string {
	t.Helper()
	k, err := config.ParseKey("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=")
	if err != nil {
		t.Fatal(err)
	}
	return k.PublicKey().String()
}

// An IPv6-only tunnel: the pings are IPv4, so the traffic and MTU checks
// say why they did not run rather than fail.
func TestIPv6OnlyTunnelSkipsPings(t *testing.T) {
	conf := "[Interface]\nPrivateKey = AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\nAddress = fd00:66::2/64\n\n" +
		"[Peer]\nPublicKey = ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4Q=\nAllowedIPs = fd00:66::/64\nEndpoint = router.example.net:13231\n"
	d, _ := newDoctor(t, conf, true, healthyProbes())
	r := runDoctor(t, d)
	if got := verdicts(r); got != "endpoint=ok handshake=ok traffic=skipped dns=skipped mtu=skipped lan=ok" {
		t.Fatalf("verdicts %s", got)
	}
	if s := find(t, r, doctor.CheckTraffic).Seen; !strings.Contains(s, "pings IPv4 hosts") {
		t.Fatalf("traffic: %q", s)
	}
}

// A handshake older than a session lasts proves nothing: the doctor waits
// for a new one, and says when none comes.
func TestStaleHandshake(t *testing.T) {
	d, svc := newDoctor(t, homeConf, true, healthyProbes())
	old := d.Now().Add(-10 * time.Minute)
	svc.stats = func(n int) tunnel.PeerStats {
		return tunnel.PeerStats{TxBytes: uint64(1000 + 148*n), RxBytes: 500, LastHandshake: old}
	}
	r := runDoctor(t, d)
	c := find(t, r, doctor.CheckHandshake)
	if c.Verdict != doctor.Fail || !strings.HasPrefix(c.Seen, "The last handshake was 10 min ago, and none came since. No handshake:") ||
		!strings.Contains(c.Seen, "received 0 bytes") || len(c.RouterOS) != 2 {
		t.Fatalf("check %+v", c)
	}

	// A new handshake during the wait is a handshake.
	svc.reads = 0
	svc.stats = func(n int) tunnel.PeerStats {
		if n < 3 {
			return tunnel.PeerStats{TxBytes: 1000, RxBytes: 500, LastHandshake: old}
		}
		return tunnel.PeerStats{TxBytes: 1148, RxBytes: 592, LastHandshake: d.Now()}
	}
	r = runDoctor(t, d)
	if got := verdicts(r); got != "endpoint=ok handshake=ok traffic=ok dns=ok mtu=ok lan=ok" {
		t.Fatalf("verdicts %s", got)
	}
	if s := find(t, r, doctor.CheckHandshake).Seen; !strings.Contains(s, "after the doctor's first packet") {
		t.Fatalf("handshake: %q", s)
	}
}

// A full tunnel with nothing to ping still gets a packet into the tunnel
// to provoke the handshake: to the documentation address 192.0.2.1.
func TestHandshakeTriggerWithoutTarget(t *testing.T) {
	conf := "[Interface]\nPrivateKey = AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\nAddress = 10.0.0.2/32\n\n" +
		"[Peer]\nPublicKey = ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4Q=\nAllowedIPs = 0.0.0.0/0\nEndpoint = router.example.net:13231\n"
	p := healthyProbes()
	d, svc := newDoctor(t, conf, true, p)
	svc.stats = func(n int) tunnel.PeerStats { return tunnel.PeerStats{TxBytes: uint64(148 * n)} }
	r := runDoctor(t, d)
	if got := verdicts(r); got != "endpoint=ok handshake=fail traffic=skipped dns=skipped mtu=skipped lan=ok" {
		t.Fatalf("verdicts %s", got)
	}
	if sent := p.sent(); len(sent) != 1 || sent[0] != "wg-home 10.0.0.2>192.0.2.1 84" {
		t.Fatalf("pings %q", sent)
	}
}
