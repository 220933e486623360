package tunnel

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/config"
)

// bruteOverlaps is the pairwise comparison the sweep replaced, kept as
// the reference it must agree with.
func bruteOverlaps(mine, theirs []netip.Prefix) map[overlap]bool {
	out := map[overlap]bool{}
	for _, a := range mine {
		for _, b := range theirs {
			if a.Overlaps(b) {
				out[overlap{a, b}] = true
			}
		}
	}
	return out
}

// randomPrefixes draws networks of both families from a small space, so
// that nesting, equal networks and neighbours are frequent.
func randomPrefixes(r *rand.Rand, n int) []netip.Prefix {
	out := make([]netip.Prefix, 0, n)
	for range n {
		if r.IntN(2) == 0 {
			a := netip.AddrFrom4([4]byte{10, byte(r.IntN(4)), byte(r.IntN(256)), byte(r.IntN(256))})
			out = append(out, netip.PrefixFrom(a, 8+r.IntN(25)))
		} else {
			var b [16]byte
			b[0], b[1], b[2] = 0xfd, byte(r.IntN(4)), byte(r.IntN(256))
			out = append(out, netip.PrefixFrom(netip.AddrFrom16(b), 8+r.IntN(57)))
		}
	}
	return out
}

func TestOverlapsAgreeWithPairwise(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 500 {
		a := &config.Config{Interface: config.Interface{Addresses: randomPrefixes(r, r.IntN(3))},
			Peers: []config.Peer{{AllowedIPs: randomPrefixes(r, r.IntN(40))}}}
		b := &config.Config{Peers: []config.Peer{{AllowedIPs: randomPrefixes(r, r.IntN(40))}, {AllowedIPs: randomPrefixes(r, 3)}}}
		ca, cb := claimsOf(a), claimsOf(b)
		want := bruteOverlaps(ca.prefixes, cb.prefixes)
		shown, total := overlaps(ca.prefixes, cb.prefixes, len(want)+1)
		if total != len(want) || len(shown) != len(want) {
			t.Fatalf("round %d: %d overlaps (%d shown), pairwise %d\nmine %v\ntheirs %v", round, total, len(shown), len(want), ca.prefixes, cb.prefixes)
		}
		for _, o := range shown {
			if !want[o] {
				t.Fatalf("round %d: %v is no overlap", round, o)
			}
		}
		// Few shown, all counted.
		if shown, n := overlaps(ca.prefixes, cb.prefixes, 2); n != total || len(shown) > 2 {
			t.Fatalf("round %d: with 2 shown: %d shown, %d counted, want %d", round, len(shown), n, total)
		}
	}
}

func TestClaimsMaskedSortedUnique(t *testing.T) {
	cfg := &config.Config{
		Interface: config.Interface{Addresses: []netip.Prefix{netip.MustParsePrefix("10.9.0.2/24"), netip.MustParsePrefix("fd00::2/64")}},
		Peers: []config.Peer{
			{AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/24"), netip.MustParsePrefix("::/0"), netip.MustParsePrefix("0.0.0.0/0")}},
			{AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.9.0.77/32"), {}}},
		},
	}
	got := fmt.Sprint(claimsOf(cfg).prefixes)
	if want := "[0.0.0.0/0 10.9.0.0/24 10.9.0.77/32 ::/0 fd00::/64]"; got != want {
		t.Fatalf("claims %s, want %s", got, want)
	}
}

// bigSplitTunnel is a split tunnel with n AllowedIPs, half IPv4 /24s and
// half IPv6 /64s, numbered from first: configs with different first
// values of the same n are disjoint when they are n apart.
func bigSplitTunnel(t testing.TB, addr string, first, n int) *config.Config {
	cfg := &config.Config{
		Interface: config.Interface{PrivateKey: mustKey(t.(*testing.T)), Addresses: []netip.Prefix{netip.MustParsePrefix(addr)}},
		Peers: []config.Peer{{
			PublicKey: mustKey(t.(*testing.T)).PublicKey(),
			Endpoint:  routerEndpoint,
		}},
	}
	cfg.Peers[0].AllowedIPs = bigPrefixes(first, n)
	return cfg
}

func bigPrefixes(first, n int) []netip.Prefix {
	out := make([]netip.Prefix, 0, n)
	for i := first; i < first+n/2; i++ {
		out = append(out, netip.PrefixFrom(netip.AddrFrom4([4]byte{11, byte(i >> 16), byte(i >> 8), byte(i)}), 24).Masked())
		out = append(out, netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, byte(i >> 16), byte(i >> 8), byte(i)}), 64))
	}
	return out
}

// Two tunnels of 50,000 AllowedIPs each come up one after the other; the
// second's overlap check runs outside the manager's lock, so that List
// (GET /v1/tunnels) answers while it runs. A third tunnel that shares one
// network with the first is refused, naming it.
func TestManagerBigTunnelsUpWhileListAnswers(t *testing.T) {
	const n = 50_000
	l := newLab(t)
	checking, release := make(chan string), make(chan struct{})
	m := newTestManager(t, l, t.TempDir(), func(o *ManagerOptions) { o.StatsInterval = time.Hour })
	m.overlapHook = func(name string) {
		checking <- name
		<-release
	}
	a := bigSplitTunnel(t, "10.1.0.2/32", 0, n)
	b := bigSplitTunnel(t, "10.2.0.2/32", n, n)
	c := splitTunnel(t, "10.3.0.2/32", "11.0.1.128/25") // inside a's 11.0.1.0/24
	for name, cfg := range map[string]*config.Config{"a": a, "b": b, "c": c} {
		if err := m.Import(name, cfg); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	if err := m.Up(ctx, "a"); err != nil { // nothing runs: no check
		t.Fatal(err)
	}

	upB := make(chan error, 1)
	go func() { upB <- m.Up(ctx, "b") }()
	if got := <-checking; got != "b" {
		t.Fatalf("check of %s, want b", got)
	}
	// b's check is under way and holds nothing: List answers now.
	listed := make(chan []TunnelInfo, 1)
	go func() { listed <- m.List() }()
	select {
	case list := <-listed:
		states := map[string]State{}
		for _, i := range list {
			states[i.Name] = i.State
		}
		if states["a"] != StateActive || states["b"] != StateInactive {
			t.Errorf("during b's check: %v, want a active and b inactive", states)
		}
	case <-time.After(time.Minute): // a guard against a hang, not a measure
		t.Fatal("List waits for the overlap check")
	}
	close(release)
	m.overlapHook = nil
	select {
	case err := <-upB:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the second 50,000-network tunnel is not up after two minutes")
	}
	err := m.Up(ctx, "c")
	if !errors.Is(err, ErrConflict) || !containsAll(err.Error(), "c and a overlap on 11.0.1.128/25 ~ 11.0.1.0/24") {
		t.Fatalf("c: %v, want a conflict with a on 11.0.1.0/24", err)
	}
	last := bigPrefixes(n, n)[n-1].String()
	if !strings.Contains(l.net.State(), " "+last+" ") {
		t.Errorf("b's last route %s is missing from the platform state", last)
	}
}

// Of two overlapping tunnels started at once, one comes up and the other
// is refused, whichever order their checks run in.
func TestManagerOverlapRace(t *testing.T) {
	l := newLab(t)
	m := newTestManager(t, l, t.TempDir())
	for name, cfg := range map[string]*config.Config{
		"a": splitTunnel(t, "10.1.0.2/32", "10.50.0.0/16"),
		"b": splitTunnel(t, "10.2.0.2/32", "10.50.7.0/24"),
		"x": splitTunnel(t, "10.3.0.2/32", "10.60.0.0/16"),
	} {
		if err := m.Import(name, cfg); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	if err := m.Up(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	// Both check against x at once; a finishes first and starts, then b
	// looks again, finds a and is refused.
	inA, inB, goA, goB := make(chan struct{}), make(chan struct{}), make(chan struct{}), make(chan struct{})
	first := true
	m.overlapHook = func(name string) {
		switch {
		case name == "a":
			close(inA)
			<-goA
		case name == "b" && first:
			first = false
			close(inB)
			<-goB
		}
	}
	errA, errB := make(chan error, 1), make(chan error, 1)
	go func() { errA <- m.Up(ctx, "a") }()
	<-inA
	go func() { errB <- m.Up(ctx, "b") }()
	<-inB
	close(goA)
	if err := <-errA; err != nil {
		t.Fatalf("a: %v", err)
	}
	close(goB)
	if err := <-errB; !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "b and a overlap on 10.50.7.0/24 ~ 10.50.0.0/16") {
		t.Fatalf("b: %v, want a conflict with a", err)
	}
	if s := mustGet(t, m, "b").State; s != StateInactive {
		t.Errorf("b is %s after the refusal", s)
	}
}

// A request that waits for the manager's lock gives up when its context
// is cancelled, as when its caller hangs up.
func TestManagerLockWaitHonoursContext(t *testing.T) {
	l := newLab(t)
	m := newTestManager(t, l, t.TempDir())
	if err := m.Import("home", splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock() // a slow holder
	unlock := sync.OnceFunc(m.mu.Unlock)
	defer unlock() // also when the test fails, so that its cleanup can run
	for _, call := range []struct {
		op string
		f  func(context.Context, string) error
	}{{"up", m.Up}, {"down", m.Down}} {
		ctx, cancel := context.WithCancel(context.Background())
		waited := make(chan error, 1)
		go func() { waited <- call.f(ctx, "home") }()
		cancel()
		select {
		case err := <-waited:
			if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), call.op+" home: ") {
				t.Errorf("%s: %v, want context.Canceled naming the operation", call.op, err)
			}
		case <-time.After(time.Minute): // a guard against a hang, not a measure
			t.Fatalf("%s still waits for the lock after its context was cancelled", call.op)
		}
	}
	unlock()
	if err := m.Up(context.Background(), "home"); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkOverlap(b *testing.B) {
	const n = 50_000
	mk := func(first int) *config.Config {
		return &config.Config{Peers: []config.Peer{{AllowedIPs: bigPrefixes(first, n)}}}
	}
	x, y := mk(0), mk(n)
	b.Run("claims", func(b *testing.B) {
		for b.Loop() {
			claimsOf(x)
		}
	})
	cx, cy := claimsOf(x), claimsOf(y)
	b.Run("compare", func(b *testing.B) {
		for b.Loop() {
			if _, total := overlaps(cx.prefixes, cy.prefixes, 4); total != 0 {
				b.Fatal(total)
			}
		}
	})
}
