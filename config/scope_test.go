package config

import (
	"math/big"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func prefixes(t *testing.T, s string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, f := range strings.Fields(strings.ReplaceAll(s, ",", " ")) {
		out = append(out, netip.MustParsePrefix(f))
	}
	return out
}

// size is the number of addresses of p.
func size(p netip.Prefix) *big.Int {
	return new(big.Int).Lsh(big.NewInt(1), uint(p.Addr().BitLen()-p.Bits()))
}

func anyContains(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func checkDisjoint(t *testing.T, what string, ps []netip.Prefix) {
	t.Helper()
	for i := range ps {
		for j := i + 1; j < len(ps); j++ {
			if ps[i].Overlaps(ps[j]) {
				t.Fatalf("%s: %s and %s overlap", what, ps[i], ps[j])
			}
		}
	}
}

// The private list is computed, so check it against the list the
// official Android client ships (PeerProxy IPV4_PUBLIC_NETWORKS), and
// that it and the excluded ranges split 0.0.0.0/0 exactly: no overlap,
// and the sizes add up to 2^32.
func TestPublicIPv4PartitionsTheAddressSpace(t *testing.T) {
	got := PublicIPv4()
	android := prefixes(t, `0.0.0.0/5 8.0.0.0/7 11.0.0.0/8 12.0.0.0/6 16.0.0.0/4 32.0.0.0/3
		64.0.0.0/2 128.0.0.0/3 160.0.0.0/5 168.0.0.0/6 172.0.0.0/12
		172.32.0.0/11 172.64.0.0/10 172.128.0.0/9 173.0.0.0/8 174.0.0.0/7
		176.0.0.0/4 192.0.0.0/9 192.128.0.0/11 192.160.0.0/13 192.169.0.0/16
		192.170.0.0/15 192.172.0.0/14 192.176.0.0/12 192.192.0.0/10
		193.0.0.0/8 194.0.0.0/7 196.0.0.0/6 200.0.0.0/5 208.0.0.0/4`)
	if !slices.Equal(got, android) {
		t.Errorf("PublicIPv4 = %v\nwant the Android client's %v", got, android)
	}
	all := append(slices.Clone(got), PrivateRanges...)
	checkDisjoint(t, "public and private", all)
	sum := new(big.Int)
	for _, p := range all {
		sum.Add(sum, size(p))
	}
	if want := size(netip.MustParsePrefix("0.0.0.0/0")); sum.Cmp(want) != 0 {
		t.Errorf("public and private cover %v addresses, want %v", sum, want)
	}
}

func randPrefix(r *rand.Rand, v6 bool) netip.Prefix {
	var a netip.Addr
	bits := 0
	if v6 {
		var b [16]byte
		// Few distinct high bytes, so that prefixes meet often.
		b[0] = byte(r.IntN(3))
		for i := 1; i < 16; i++ {
			b[i] = byte(r.IntN(256))
		}
		a, bits = netip.AddrFrom16(b), r.IntN(129)
	} else {
		var b [4]byte
		b[0] = byte(r.IntN(4)) * 64
		for i := 1; i < 4; i++ {
			b[i] = byte(r.IntN(256))
		}
		a, bits = netip.AddrFrom4(b), r.IntN(33)
	}
	p, _ := a.Prefix(bits)
	return p
}

// edges are addresses where a mistake would show: the first and last
// address of each prefix and their neighbours.
func edges(ps []netip.Prefix) []netip.Addr {
	var out []netip.Addr
	for _, p := range ps {
		first := p.Masked().Addr()
		last := first
		b := last.AsSlice()
		for i := p.Bits(); i < len(b)*8; i++ {
			b[i/8] |= 0x80 >> (i % 8)
		}
		last, _ = netip.AddrFromSlice(b)
		out = append(out, first, last, first.Prev(), last.Next())
	}
	return out
}

// Property test: for random sets, an address is in the result exactly
// when it is in from and in no prefix of remove, the result does not
// overlap itself or remove, and it is sorted and masked.
func TestSubtractPrefixesRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 4))
	for round := range 400 {
		var from, remove []netip.Prefix
		for range 1 + r.IntN(3) {
			from = append(from, randPrefix(r, r.IntN(3) == 0))
		}
		for range r.IntN(6) {
			remove = append(remove, randPrefix(r, r.IntN(3) == 0))
		}
		got := SubtractPrefixes(from, remove)
		checkDisjoint(t, "result", got)
		if !slices.IsSortedFunc(got, comparePrefix) {
			t.Fatalf("round %d: not sorted: %v", round, got)
		}
		for _, g := range got {
			if g != g.Masked() {
				t.Fatalf("round %d: %s not masked", round, g)
			}
			for _, rm := range remove {
				if g.Overlaps(rm) {
					t.Fatalf("round %d: result %s overlaps removed %s", round, g, rm)
				}
			}
		}
		probes := edges(slices.Concat(from, remove, got))
		for range 200 {
			probes = append(probes, randPrefix(r, r.IntN(2) == 0).Addr())
		}
		for _, a := range probes {
			if !a.IsValid() {
				continue
			}
			want := anyContains(from, a) && !anyContains(remove, a)
			if anyContains(got, a) != want {
				t.Fatalf("round %d: %s - %s = %v; %s in result: %v, want %v", round, from, remove, got, a, !want, want)
			}
		}
	}
}

func TestSubtractPrefixesCases(t *testing.T) {
	for _, c := range []struct{ from, remove, want string }{
		{"10.0.0.0/8", "", "10.0.0.0/8"},
		{"10.0.0.0/8", "10.0.0.0/8", ""},
		{"10.0.0.0/8", "0.0.0.0/0", ""},
		{"10.0.0.0/8", "::/0", "10.0.0.0/8"},
		{"10.0.0.0/30", "10.0.0.1/32", "10.0.0.0/32 10.0.0.2/31"},
		{"0.0.0.0/0", "0.0.0.0/1", "128.0.0.0/1"},
		{"::/0", "8000::/1 ::/2", "4000::/2"},
		{"10.0.0.0/24 10.0.0.0/8", "10.1.0.0/16", "10.0.0.0/16 10.2.0.0/15 10.4.0.0/14 10.8.0.0/13 10.16.0.0/12 10.32.0.0/11 10.64.0.0/10 10.128.0.0/9"},
	} {
		got := SubtractPrefixes(prefixes(t, c.from), prefixes(t, c.remove))
		if want := prefixes(t, c.want); !slices.Equal(got, want) {
			t.Errorf("%s - %s = %v, want %v", c.from, c.remove, got, want)
		}
	}
}

func scopeParse(t *testing.T, text string) *Config {
	t.Helper()
	c, _, err := Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const scopeConf = `[Interface]
PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=
Address = 10.8.0.2/24, fd00:8::2/64
DNS = 192.168.88.1, 1.1.1.1, home.lan
MTU = 1420

[Peer]
PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=
PresharedKey = 4Q7cZxR7nDb1D+PLx6bxBkx1ifDRJk0tT4lYZmJUCDI=
AllowedIPs = 0.0.0.0/0, ::/0
Endpoint = home.sn.mynetname.net:13231
PersistentKeepalive = 25
`

func TestRouterSuggestion(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		// The tunnel's subnet as stated, the /24 around the router's
		// resolver; the public resolver and the name say nothing.
		{scopeConf, "10.8.0.0/24 192.168.88.0/24 fd00:8::/64"},
		// A /32 address gets its /24; a /16 stays a /16.
		{strings.Replace(scopeConf, "10.8.0.2/24, fd00:8::2/64", "10.8.0.2/32, 172.20.3.4/16", 1), "10.8.0.0/24 172.20.0.0/16 192.168.88.0/24"},
		// The resolver inside the tunnel's subnet adds nothing.
		{strings.Replace(scopeConf, "192.168.88.1, 1.1.1.1", "10.8.0.1", 1), "10.8.0.0/24 fd00:8::/64"},
		// Public addresses only: nothing to suggest.
		{strings.NewReplacer("10.8.0.2/24, fd00:8::2/64", "203.0.113.5/32", "192.168.88.1, 1.1.1.1", "9.9.9.9").Replace(scopeConf), ""},
		// CGNAT addresses (LTE, Tailscale-like setups) are router side.
		{strings.Replace(scopeConf, "10.8.0.2/24, fd00:8::2/64", "100.72.1.9/32", 1), "100.72.1.0/24 192.168.88.0/24"},
	} {
		got := RouterSuggestion(scopeParse(t, c.text))
		if want := prefixes(t, c.want); !slices.Equal(got, want) {
			t.Errorf("RouterSuggestion = %v, want %v\n%s", got, want, c.text)
		}
	}
}

// SetScope changes the AllowedIPs line and nothing else of the written
// config; ScopeOf recognises what it wrote; going back to all restores
// the original text.
func TestSetScopeRewritesOnlyAllowedIPs(t *testing.T) {
	orig := scopeParse(t, scopeConf)
	text := string(orig.Marshal())
	if ScopeOf(orig) != ScopeAll || !RoutesAllIPv4(orig) {
		t.Fatalf("ScopeOf(orig) = %q", ScopeOf(orig))
	}
	onlyAllowedIPsDiffer := func(a, b string) {
		t.Helper()
		la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
		if len(la) != len(lb) {
			t.Fatalf("line count changed:\n%s\n---\n%s", a, b)
		}
		for i := range la {
			if la[i] != lb[i] && !strings.HasPrefix(lb[i], "AllowedIPs = ") {
				t.Errorf("line %d changed: %q -> %q", i+1, la[i], lb[i])
			}
		}
	}

	c := orig.Clone()
	if err := SetScope(c, ScopePrivate, nil); err != nil {
		t.Fatal(err)
	}
	private := string(c.Marshal())
	onlyAllowedIPsDiffer(text, private)
	want := "AllowedIPs = " + joinPrefixes(PublicIPv4()) + ", 192.168.88.1/32, ::/0\n"
	// 192.168.88.1/32 sorts after 192.0.0.0/9 ... 208.0.0.0/4 is later:
	// compare as sets of routes instead of the line's order.
	gotRoutes := slices.Clone(c.Peers[0].AllowedIPs)
	wantRoutes := prefixes(t, strings.TrimPrefix(strings.TrimSpace(want), "AllowedIPs = "))
	slices.SortFunc(gotRoutes, comparePrefix)
	slices.SortFunc(wantRoutes, comparePrefix)
	if !slices.Equal(gotRoutes, wantRoutes) {
		t.Errorf("private AllowedIPs = %v, want %v", gotRoutes, wantRoutes)
	}
	if s := ScopeOf(c); s != ScopePrivate {
		t.Errorf("ScopeOf(private) = %q", s)
	}
	if RoutesAllIPv4(c) {
		t.Error("RoutesAllIPv4 of the private scope")
	}

	r := orig.Clone()
	if err := SetScope(r, ScopeRouter, RouterSuggestion(r)); err != nil {
		t.Fatal(err)
	}
	onlyAllowedIPsDiffer(text, string(r.Marshal()))
	if got := joinPrefixes(r.Peers[0].AllowedIPs); got != "10.8.0.0/24, 192.168.88.0/24, fd00:8::/64" {
		t.Errorf("router AllowedIPs = %s", got)
	}
	if s := ScopeOf(r); s != ScopeCustom {
		t.Errorf("ScopeOf(router) = %q", s)
	}

	if err := SetScope(c, ScopeAll, nil); err != nil {
		t.Fatal(err)
	}
	if back := string(c.Marshal()); back != text {
		t.Errorf("private then all:\n%s\nwant\n%s", back, text)
	}

	for _, bad := range [][]netip.Prefix{nil, prefixes(t, "0.0.0.0/0")} {
		if err := SetScope(orig.Clone(), ScopeRouter, bad); err == nil {
			t.Errorf("SetScope(router, %v) took it", bad)
		}
	}
	two := scopeParse(t, text+"\n[Peer]\nPublicKey = HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=\nAllowedIPs = 10.9.0.0/24\n")
	two.Peers[0].AllowedIPs = prefixes(t, "10.8.0.0/24")
	if err := SetScope(two, ScopePrivate, nil); err != ErrNoScopePeer {
		t.Errorf("two split peers: %v, want ErrNoScopePeer", err)
	}
}
