package tunnel

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/wgdesk/wgdesk/config"
)

// A tunnel route inside the café's subnet is warned about at import and
// at activation, with the sentence naming both; the activation reads the
// subnets again (the laptop moved); the warning goes with Down; a system
// that cannot list its subnets gives none and no error.
func TestManagerCollisionWarnings(t *testing.T) {
	l := newLab(t)
	var logs strings.Builder
	var logMu sync.Mutex
	m := newTestManager(t, l, t.TempDir(), func(o *ManagerOptions) {
		o.Logger = Logger{Errorf: func(f string, a ...any) {
			logMu.Lock()
			defer logMu.Unlock()
			logs.WriteString(strings.TrimSpace(strings.ReplaceAll(f, "%s", "")) + "\n")
			for _, x := range a {
				if s, ok := x.(string); ok {
					logs.WriteString(s + "\n")
				}
			}
		}}
	})
	local := []config.LocalSubnet{{Prefix: netip.MustParsePrefix("192.168.0.0/16"), Interface: "wlan0"}}
	var mu sync.Mutex
	m.connected = func() ([]config.LocalSubnet, error) {
		mu.Lock()
		defer mu.Unlock()
		return local, nil
	}
	if err := m.Import("home", splitTunnel(t, "10.3.0.2/32", "192.168.88.0/24")); err != nil {
		t.Fatal(err)
	}
	want := "the tunnel's 192.168.88.0/24 lies inside the LAN 192.168.0.0/16 on wlan0: while the tunnel is up, hosts of that LAN in 192.168.88.0/24 cannot be reached"
	if ws := mustGet(t, m, "home").Warnings; len(ws) != 1 || !strings.HasPrefix(ws[0], want) {
		t.Fatalf("after import: %q, want %q", ws, want)
	}
	if err := m.Import("apart", splitTunnel(t, "10.4.0.2/32", "10.4.0.0/24")); err != nil {
		t.Fatal(err)
	}
	if ws := mustGet(t, m, "apart").Warnings; len(ws) != 0 {
		t.Errorf("apart: %q", ws)
	}

	// At the next café the subnet is 192.168.88.0/24 itself.
	mu.Lock()
	local = []config.LocalSubnet{{Prefix: netip.MustParsePrefix("192.168.88.0/24"), Interface: "wlan1"}}
	mu.Unlock()
	ctx := context.Background()
	if err := m.Up(ctx, "home"); err != nil {
		t.Fatal(err)
	}
	ws := mustGet(t, m, "home").Warnings
	if len(ws) != 1 || !strings.Contains(ws[0], "the tunnel's 192.168.88.0/24 is also the LAN on wlan1") {
		t.Fatalf("after up: %q", ws)
	}
	logMu.Lock()
	if !strings.Contains(logs.String(), ws[0]) {
		t.Errorf("the warning is not in the log:\n%s", logs.String())
	}
	logMu.Unlock()
	if err := m.Down(ctx, "home"); err != nil {
		t.Fatal(err)
	}
	if ws := mustGet(t, m, "home").Warnings; len(ws) != 0 {
		t.Errorf("after down: %q", ws)
	}

	m.connected = func() ([]config.LocalSubnet, error) { return nil, errors.ErrUnsupported }
	if err := m.Up(ctx, "home"); err != nil {
		t.Fatal(err)
	}
	if ws := mustGet(t, m, "home").Warnings; len(ws) != 0 {
		t.Errorf("unsupported: %q", ws)
	}
}

// A start that fails keeps the collision beside its error (on Linux a
// route equal to the LAN's is refused with "file exists"); Down of the
// failed tunnel clears both.
func TestManagerCollisionWarningOnFailedStart(t *testing.T) {
	l := newLab(t)
	m := newTestManager(t, l, t.TempDir())
	m.connected = func() ([]config.LocalSubnet, error) {
		return []config.LocalSubnet{{Prefix: netip.MustParsePrefix("192.168.88.0/24"), Interface: "wlan0"}}, nil
	}
	ck := mustKey(t)
	cfg := clientConfig(ck, l.newRouter(ck))
	cfg.Peers[0].AllowedIPs = append(cfg.Peers[0].AllowedIPs, netip.MustParsePrefix("192.168.88.0/24"))
	if err := m.Import("office", cfg); err != nil {
		t.Fatal(err)
	}
	l.net.FailOn("routes")
	if err := m.Up(context.Background(), "office"); err == nil {
		t.Fatal("Up succeeded")
	}
	info := mustGet(t, m, "office")
	if info.State != StateFailed || len(info.Warnings) != 1 || !strings.Contains(info.Warnings[0], "the tunnel's 192.168.88.0/24 is also the LAN on wlan0") {
		t.Fatalf("failed start: %s, warnings %q", info.State, info.Warnings)
	}
	if err := m.Down(context.Background(), "office"); err != nil {
		t.Fatal(err)
	}
	if info := mustGet(t, m, "office"); len(info.Warnings) != 0 {
		t.Errorf("after down: %q", info.Warnings)
	}
}

// CollisionWarnings checks the AllowedIPs and the subnets of the
// interface addresses (a /24 address makes an on-link route of the
// tunnel), not a /32 address, not default routes; link-local subnets are
// no LAN to warn about, and an unnamed adapter still reads well.
func TestCollisionWarnings(t *testing.T) {
	cfg := splitTunnel(t, "10.8.0.2/24", "0.0.0.0/0")
	cfg.Interface.Addresses = append(cfg.Interface.Addresses, netip.MustParsePrefix("10.9.0.2/32"))
	local := []config.LocalSubnet{
		{Prefix: netip.MustParsePrefix("10.8.0.0/24"), Interface: "wlan0"},
		{Prefix: netip.MustParsePrefix("10.9.0.0/24")},
		{Prefix: netip.MustParsePrefix("fe80::/64"), Interface: "wlan0"},
		{Prefix: netip.MustParsePrefix("192.168.1.0/24"), Interface: "eth0"},
	}
	got := CollisionWarnings(cfg, local)
	if len(got) != 1 || !strings.HasPrefix(got[0], "the tunnel's 10.8.0.0/24 is also the LAN on wlan0") {
		t.Errorf("address subnet: %q", got)
	}
	cfg.Peers[0].AllowedIPs = append(cfg.Peers[0].AllowedIPs, netip.MustParsePrefix("10.9.0.0/16"), netip.MustParsePrefix("fe80::/10"))
	got = CollisionWarnings(cfg, local)
	if len(got) != 2 || !strings.HasPrefix(got[1], "the tunnel's 10.9.0.0/16 contains the LAN 10.9.0.0/24 on a network adapter") {
		t.Errorf("unnamed adapter: %q", got)
	}
	if got := CollisionWarnings(cfg, nil); got != nil {
		t.Errorf("no subnets: %q", got)
	}
}
