package tunnel

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/platform/platformtest"
)

// TestListRedactedConfigIsACopy: the redacted config List hands out is
// made once per tunnel, and each caller gets its own copy, so what one
// changes the next List does not show. It still carries no keys but
// the public ones and says a preshared key exists.
func TestListRedactedConfigIsACopy(t *testing.T) {
	l := newLab(t)
	m := newTestManager(t, l, t.TempDir())
	ck, sk, psk := mustKey(t), mustKey(t), mustKey(t)
	cfg := &config.Config{
		Interface: config.Interface{PrivateKey: ck, Addresses: []netip.Prefix{netip.MustParsePrefix("10.9.0.2/32")}},
		Peers: []config.Peer{{
			PublicKey:    sk.PublicKey(),
			PresharedKey: psk,
			AllowedIPs:   []netip.Prefix{netip.MustParsePrefix("10.9.0.0/24")},
		}},
	}
	if err := m.Import("one", cfg); err != nil {
		t.Fatal(err)
	}
	check := func(round int) *config.Config {
		t.Helper()
		list := m.List()
		if len(list) != 1 {
			t.Fatalf("round %d: list %+v", round, list)
		}
		red := list[0].Config
		if red.Interface.PrivateKey != (config.Key{}) || red.Peers[0].PresharedKey != (config.Key{}) {
			t.Fatalf("round %d: List shows keys", round)
		}
		if red.Interface.PublicKey() != ck.PublicKey() || !red.Peers[0].HasPresharedKey() {
			t.Fatalf("round %d: redacted config lost the public key or the preshared key's presence", round)
		}
		if got := red.Peers[0].AllowedIPs[0].String(); got != "10.9.0.0/24" {
			t.Fatalf("round %d: AllowedIPs[0] = %s, want 10.9.0.0/24", round, got)
		}
		if got := red.Interface.Addresses[0].String(); got != "10.9.0.2/32" {
			t.Fatalf("round %d: Addresses[0] = %s, want 10.9.0.2/32", round, got)
		}
		return red
	}
	red := check(1)
	red.Peers[0].AllowedIPs[0] = netip.MustParsePrefix("0.0.0.0/0")
	red.Interface.Addresses[0] = netip.MustParsePrefix("192.0.2.1/32")
	red.Peers = nil
	check(2)
	if info, err := m.Get("one"); err != nil || info.Config.Interface.PublicKey() != ck.PublicKey() {
		t.Fatalf("Get: %v, %+v", err, info.Config)
	}
}

// BenchmarkList500 lists 500 stored tunnels, none up, as GET /v1/tunnels
// does (bench/scale.sh measures it through the API).
func BenchmarkList500(b *testing.B) {
	// No tunnel goes up: the lab needs no *testing.T.
	l := &lab{net: platformtest.New(), tuns: map[string]*labTUN{}, existing: map[string]bool{}}
	m, err := NewManager(ManagerOptions{StateDir: b.TempDir(), Deps: l.deps(), Logger: Logger{Errorf: b.Logf}})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close(b.Context())
	for i := range 500 {
		k, err := config.NewPrivateKey()
		if err != nil {
			b.Fatal(err)
		}
		cfg := &config.Config{
			Interface: config.Interface{PrivateKey: k, Addresses: []netip.Prefix{netip.MustParsePrefix(fmt.Sprintf("10.%d.%d.2/32", 200+i/256, i%256))}},
			Peers: []config.Peer{{
				PublicKey:  k.PublicKey(),
				AllowedIPs: []netip.Prefix{netip.MustParsePrefix(fmt.Sprintf("10.%d.%d.0/24", 200+i/256, i%256))},
			}},
		}
		if err := m.Import(fmt.Sprintf("s%d", i), cfg); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if n := len(m.List()); n != 500 {
			b.Fatalf("listed %d", n)
		}
	}
}
