package tunnel

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/platform/platformtest"
)

func startEngine(t *testing.T, l *lab, cfg *config.Config, ifname string, scripts bool) (*Engine, error) {
	t.Helper()
	return StartEngine(context.Background(), EngineOptions{
		Name: "test", Interface: ifname, Config: cfg, AllowScripts: scripts,
		Deps: l.deps(), Logger: Logger{Errorf: t.Logf},
	})
}

func TestEngineHandshakeTrafficAndStats(t *testing.T) {
	l := newLab(t)
	ck := mustKey(t)
	r := l.newRouter(ck)
	e, err := startEngine(t, l, clientConfig(ck, r), "wgd0", false)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	wantState(t, l.net, strings.Join([]string{
		"addr wgd0 10.9.0.2/32",
		"dns wgd0 10.9.0.1",
		"mtu wgd0 1420",
		"route wgd0 10.9.0.1/32 table main",
		"route wgd0 192.168.88.0/24 table main",
	}, "\n"))
	if got := e.Settings().Endpoints; len(got) != 1 || got[0] != netip.MustParseAddrPort("127.0.0.1:1") {
		t.Errorf("endpoints passed to the platform: %v", got)
	}
	if e.Interface() != "wgd0" {
		t.Errorf("interface %q, want wgd0", e.Interface())
	}

	client := l.tun("wgd0").ch
	sendPacket(t, client, r.tun, clientIP, routerIP)
	sendPacket(t, r.tun, client, routerIP, clientIP)

	st, err := e.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 {
		t.Fatalf("stats of %d peers, want 1", len(st))
	}
	first := st[0]
	if first.PublicKey != r.key.PublicKey() {
		t.Errorf("peer key %s, want the router's", first.PublicKey)
	}
	if first.LastHandshake.IsZero() || first.RxBytes == 0 || first.TxBytes == 0 || first.Endpoint == "" {
		t.Errorf("after traffic: %+v, want a handshake, an endpoint and bytes both ways", first)
	}

	sendPacket(t, client, r.tun, clientIP, routerIP)
	sendPacket(t, r.tun, client, routerIP, clientIP)
	st, err = e.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st[0].RxBytes <= first.RxBytes || st[0].TxBytes <= first.TxBytes {
		t.Errorf("figures did not grow: before %+v, after %+v", first, st[0])
	}

	if err := e.Close(context.Background()); err != nil {
		t.Fatalf("close: %v", err)
	}
	wantState(t, l.net, "")
	if !l.tun("wgd0").isClosed() {
		t.Error("TUN still open after Close")
	}
	if _, err := e.Stats(); err == nil {
		t.Error("Stats after Close: no error")
	}
	if err := e.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestEngineFailureTearsDown(t *testing.T) {
	for _, step := range []string{"addresses", "routes", "dns"} {
		t.Run(step, func(t *testing.T) {
			l := newLab(t)
			ck := mustKey(t)
			r := l.newRouter(ck)
			l.net.FailOn(step)
			e, err := startEngine(t, l, clientConfig(ck, r), "wgd0", false)
			if err == nil {
				e.Close(context.Background())
				t.Fatal("start succeeded with a failing network")
			}
			var se *StepError
			if !errors.As(err, &se) || se.Step != StepNetwork {
				t.Fatalf("error %v, want a StepError at %s", err, StepNetwork)
			}
			if !errors.Is(err, platformtest.ErrInjected) || !strings.HasPrefix(err.Error(), "addresses-routes-dns: ") || !strings.Contains(err.Error(), step) {
				t.Errorf("error text %q", err)
			}
			wantState(t, l.net, "")
			if !l.tun("wgd0").isClosed() {
				t.Error("TUN left open after a failed start")
			}
		})
	}
}

func TestEngineResolve(t *testing.T) {
	l := newLab(t)
	ck := mustKey(t)
	r := l.newRouter(ck)
	cfg := clientConfig(ck, r)
	cfg.Peers[0].Endpoint = config.Endpoint{Host: "vpn.example.com", Port: 13231}
	deps := l.deps()
	var asked []string
	deps.Resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
		asked = append(asked, host)
		return []netip.Addr{netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("::ffff:192.0.2.7")}, nil
	}
	e, err := StartEngine(context.Background(), EngineOptions{Name: "test", Interface: "wgd0", Config: cfg, Deps: deps})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	if !reflect.DeepEqual(asked, []string{"vpn.example.com"}) {
		t.Errorf("resolver asked %q", asked)
	}
	want := []netip.AddrPort{netip.MustParseAddrPort("192.0.2.7:13231")}
	if got := e.Settings().Endpoints; !reflect.DeepEqual(got, want) {
		t.Errorf("endpoints %v, want %v (IPv4 preferred)", got, want)
	}

	deps.Resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
		return nil, errors.New("no such host")
	}
	before := l.createdTUNs()
	_, err = StartEngine(context.Background(), EngineOptions{Name: "test", Interface: "wgd1", Config: cfg, Deps: deps})
	var se *StepError
	if !errors.As(err, &se) || se.Step != StepResolve || !strings.Contains(err.Error(), "vpn.example.com") {
		t.Fatalf("error %v, want a resolve StepError naming the host", err)
	}
	if l.createdTUNs() != before {
		t.Error("a TUN was created although resolving failed")
	}
}

func TestEngineFullTunnelFwMark(t *testing.T) {
	l := newLab(t)
	ck := mustKey(t)
	r := l.newRouter(ck)
	cfg := clientConfig(ck, r)
	cfg.Peers[0].AllowedIPs = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
	e, err := startEngine(t, l, cfg, "wgd0", false)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	if got := e.Settings().FwMark; got != DefaultFwMark {
		t.Errorf("settings fwmark %d, want %d", got, DefaultFwMark)
	}
	if !strings.Contains(l.net.State(), "not fwmark 51820 lookup 51820") {
		t.Errorf("no policy rule in\n%s", l.net.State())
	}
	// The device itself must mark its packets with the same number.
	text, err := e.dev.IpcGet()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "\nfwmark=51820\n") {
		t.Error("device has no fwmark=51820")
	}
}

func TestNeedFwMark(t *testing.T) {
	full := []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}
	split := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	six := []netip.Prefix{netip.MustParsePrefix("::/0")}
	for _, tc := range []struct {
		table   string
		mark    uint32
		allowed []netip.Prefix
		want    uint32
	}{
		{"", 0, full, DefaultFwMark},
		{"auto", 0, six, DefaultFwMark},
		{"", 0, split, 0},
		{"off", 0, full, 0},
		{"1234", 0, full, 0},
		{"", 4242, full, 4242},
		{"", 4242, split, 4242},
	} {
		cfg := &config.Config{Interface: config.Interface{Table: tc.table, FwMark: tc.mark},
			Peers: []config.Peer{{AllowedIPs: tc.allowed}}}
		if got := needFwMark(cfg); got != tc.want {
			t.Errorf("table %q mark %d allowed %v: fwmark %d, want %d", tc.table, tc.mark, tc.allowed, got, tc.want)
		}
	}
}

func TestEngineScripts(t *testing.T) {
	l := newLab(t)
	ck := mustKey(t)
	r := l.newRouter(ck)
	cfg := clientConfig(ck, r)
	cfg.Interface.PreUp = []string{"echo pre-up %i"}
	cfg.Interface.PostUp = []string{"echo post-up %i", "echo again"}
	cfg.Interface.PreDown = []string{"echo pre-down %i"}
	cfg.Interface.PostDown = []string{"echo post-down %i"}

	_, err := startEngine(t, l, cfg, "wgd0", false)
	if !errors.Is(err, ErrScriptsOff) || !strings.Contains(err.Error(), "--allow-scripts") {
		t.Fatalf("error %v, want ErrScriptsOff with the administrator's hint", err)
	}
	if l.createdTUNs() != 0 || len(l.ranScripts()) != 0 {
		t.Fatal("refused scripts, yet something was started")
	}

	l.newRouter(ck) // a fresh bind for the second start
	e, err := startEngine(t, l, cfg, "wgd0", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{"echo pre-up wgd0", "echo post-up wgd0", "echo again", "echo pre-down wgd0", "echo post-down wgd0"}
	if got := l.ranScripts(); !reflect.DeepEqual(got, want) {
		t.Errorf("scripts ran %q, want %q", got, want)
	}
}

func TestEngineScriptFailure(t *testing.T) {
	l := newLab(t)
	ck := mustKey(t)
	r := l.newRouter(ck)
	cfg := clientConfig(ck, r)
	cfg.Interface.PostUp = []string{"false"}
	deps := l.deps()
	deps.RunScript = func(ctx context.Context, cmd string) error { return errors.New("exit status 1") }
	_, err := StartEngine(context.Background(), EngineOptions{Name: "test", Interface: "wgd0", Config: cfg, Deps: deps, AllowScripts: true})
	var se *StepError
	if !errors.As(err, &se) || se.Step != StepPostUp {
		t.Fatalf("error %v, want a post-up StepError", err)
	}
	wantState(t, l.net, "")
	if !l.tun("wgd0").isClosed() {
		t.Error("TUN left open after PostUp failed")
	}
}

func TestRunShell(t *testing.T) {
	if err := runShell(context.Background(), "exit 0"); err != nil {
		t.Skipf("no usable sh here: %v", err)
	}
	err := runShell(context.Background(), "echo something broke >&2; exit 3")
	if err == nil || !strings.Contains(err.Error(), "something broke") {
		t.Errorf("error %v, want the command's output in it", err)
	}
}

func TestShortFreeName(t *testing.T) {
	taken := map[string]bool{"eth0": true, "wgd0": true}
	isTaken := func(n string) bool { return taken[n] }
	for _, tc := range []struct{ tunnel, want string }{
		{"home", "home"},
		{"eth0", "wgd1"},
		{"a-very-long-tunnel-name", "wgd1"},
		{"office.vpn", "office.vpn"},
		{"exactly15chars_", "exactly15chars_"},
		{"sixteen_chars_ab", "wgd1"},
	} {
		if got := shortFreeName(tc.tunnel, isTaken); got != tc.want {
			t.Errorf("shortFreeName(%q) = %q, want %q", tc.tunnel, got, tc.want)
		}
	}
}
