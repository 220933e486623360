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
	want := "tunnel home routes 192.168.88.0/24, which is inside the network of wlan0 here (192.168.0.0/16): while the tunnel is up, the local hosts in 192.168.88.0/24 will not be reachable"
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
	if len(ws) != 1 || !strings.Contains(ws[0], "192.168.88.0/24, which is also the network of wlan1") {
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
	if info.State != StateFailed || len(info.Warnings) != 1 || !strings.Contains(info.Warnings[0], "192.168.88.0/24, which is also the network of wlan0") {
		t.Fatalf("failed start: %s, warnings %q", info.State, info.Warnings)
	}
	if err := m.Down(context.Background(), "office"); err != nil {
		t.Fatal(err)
	}
	if info := mustGet(t, m, "office"); len(info.Warnings) != 0 {
		t.Errorf("after down: %q", info.Warnings)
	}
}
