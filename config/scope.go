package config

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
)

// Scope is how much of a full tunnel's traffic its peer carries: the
// answer to the question the app asks after importing a config that
// routes 0.0.0.0/0.
type Scope string

const (
	// ScopeAll keeps everything in the tunnel (0.0.0.0/0).
	ScopeAll Scope = "all"
	// ScopeRouter routes only the networks behind the router, which the
	// user names (RouterSuggestion proposes some).
	ScopeRouter Scope = "router"
	// ScopePrivate routes everything but the private ranges, so that the
	// LAN of wherever the laptop is stays reachable: the "Exclude private
	// IPs" of the official Android and macOS clients.
	ScopePrivate Scope = "private"
	// ScopeCustom is what ScopeOf says of AllowedIPs that are none of the
	// above.
	ScopeCustom Scope = "custom"
)

// ParseScope reads "all", "router" or "private".
func ParseScope(s string) (Scope, error) {
	switch sc := Scope(s); sc {
	case ScopeAll, ScopeRouter, ScopePrivate:
		return sc, nil
	}
	return "", fmt.Errorf("scope %q: want all, router or private", s)
}

var (
	ipv4All = netip.MustParsePrefix("0.0.0.0/0")
	ipv6All = netip.MustParsePrefix("::/0")
)

// PrivateRanges are what ScopePrivate keeps out of the tunnel, the set
// the official Android (PeerProxy IPV4_PUBLIC_NETWORKS) and Apple
// (TunnelViewModel) clients exclude: the three RFC 1918 ranges and
// 224.0.0.0/3 (multicast and the reserved class E), which never belongs
// in a tunnel. Link-local 169.254.0.0/16 and loopback stay in their
// list, and so in ours; IPv6 is left as the config has it.
var PrivateRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("224.0.0.0/3"),
}

// PublicIPv4 is 0.0.0.0/0 without PrivateRanges: the AllowedIPs of
// ScopePrivate before the DNS servers are added back.
func PublicIPv4() []netip.Prefix {
	return SubtractPrefixes([]netip.Prefix{ipv4All}, PrivateRanges)
}

// SubtractPrefixes returns the addresses of from that are in none of
// remove, as prefixes that cover them exactly and do not overlap, each as
// wide as it can be within its prefix of from, sorted (IPv4 first, then
// by address). Prefixes of the two families never meet. The
// inputs may overlap; they are masked first.
func SubtractPrefixes(from, remove []netip.Prefix) []netip.Prefix {
	rm := make([]netip.Prefix, 0, len(remove))
	for _, r := range remove {
		if r.IsValid() {
			rm = append(rm, r.Masked())
		}
	}
	var out []netip.Prefix
	var walk func(p netip.Prefix)
	walk = func(p netip.Prefix) {
		touched := false
		for _, r := range rm {
			if r.Addr().BitLen() != p.Addr().BitLen() || !r.Overlaps(p) {
				continue
			}
			if r.Bits() <= p.Bits() { // r covers p
				return
			}
			touched = true
		}
		if !touched {
			out = append(out, p)
			return
		}
		// Some r lies strictly inside p: split p in two halves.
		lo, hi := halves(p)
		walk(lo)
		walk(hi)
	}
	for _, p := range normalize(from) {
		walk(p)
	}
	return normalize(out)
}

// halves splits p (not a single address) into its two halves.
func halves(p netip.Prefix) (lo, hi netip.Prefix) {
	bits := p.Bits() + 1
	lo = netip.PrefixFrom(p.Addr(), bits)
	b := p.Addr().AsSlice()
	i := p.Bits()
	b[i/8] |= 0x80 >> (i % 8)
	a, _ := netip.AddrFromSlice(b)
	return lo, netip.PrefixFrom(a, bits)
}

// normalize masks ps, drops invalid and duplicate prefixes and those
// inside another of ps, and sorts the rest.
func normalize(ps []netip.Prefix) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(ps))
	for _, p := range ps {
		if p.IsValid() {
			out = append(out, p.Masked())
		}
	}
	slices.SortFunc(out, comparePrefix)
	out = slices.Compact(out)
	// Sorted by address then width, a prefix that contains the next one
	// comes first; keep only the outermost.
	kept := out[:0]
	for _, p := range out {
		if n := len(kept); n > 0 && kept[n-1].Overlaps(p) && kept[n-1].Bits() <= p.Bits() {
			continue
		}
		kept = append(kept, p)
	}
	return kept
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

// RouterSuggestion proposes the networks behind the router for
// ScopeRouter: the networks around the config's DNS servers and
// interface addresses that are private (RFC 1918, 100.64.0.0/10,
// fc00::/7). An address's own prefix is taken when it is between /8 and
// /24 (the tunnel's subnet as the config states it), else the /24 (IPv6:
// /64) around it. Public DNS servers (1.1.1.1) say nothing about the
// router and are left out.
func RouterSuggestion(c *Config) []netip.Prefix {
	var out []netip.Prefix
	around := func(a netip.Addr) netip.Prefix {
		bits := 24
		if a.Is6() {
			bits = 64
		}
		p, _ := a.Prefix(bits)
		return p
	}
	for _, p := range c.Interface.Addresses {
		a := p.Addr().Unmap()
		if !routerSide(a) {
			continue
		}
		if a.Is4() && p.Bits() >= 8 && p.Bits() <= 24 || a.Is6() && p.Bits() >= 8 && p.Bits() <= 64 {
			out = append(out, p.Masked())
			continue
		}
		out = append(out, around(a))
	}
	for _, a := range c.Interface.DNS {
		if a = a.Unmap(); routerSide(a) {
			out = append(out, around(a))
		}
	}
	return normalize(out)
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

func routerSide(a netip.Addr) bool {
	return a.IsPrivate() || cgnat.Contains(a)
}

// ErrNoScopePeer is returned by SetScope for a config with several peers
// of which none routes 0.0.0.0/0 or ::/0: there is no peer to narrow.
var ErrNoScopePeer = errors.New("no peer routes all traffic")

// scopePeer is the peer whose AllowedIPs a scope rewrites: the one that
// routes a default route, else the only one.
func scopePeer(c *Config) (int, error) {
	for i, p := range c.Peers {
		for _, a := range p.AllowedIPs {
			if a.Bits() == 0 {
				return i, nil
			}
		}
	}
	if len(c.Peers) == 1 {
		return 0, nil
	}
	return -1, ErrNoScopePeer
}

// privateAllowedIPs is ScopePrivate's IPv4 list for c: PublicIPv4 and the
// IPv4 DNS servers that fall in PrivateRanges (the router's resolver,
// 192.168.88.1, must stay reachable through the tunnel), as the official
// clients add them back.
func privateAllowedIPs(c *Config) []netip.Prefix {
	out := PublicIPv4()
	for _, a := range c.Interface.DNS {
		if a = a.Unmap(); a.Is4() {
			out = append(out, netip.PrefixFrom(a, 32))
		}
	}
	return normalize(out)
}

// SetScope rewrites the AllowedIPs of c's full-tunnel peer (the one with
// a default route, or the only peer) for s; nothing else of c changes.
// ScopeAll and ScopePrivate change only the IPv4 routes (IPv6 routes stay
// as the config has them, as in the official clients); ScopeRouter
// replaces every route with networks, which must not be empty.
func SetScope(c *Config, s Scope, networks []netip.Prefix) error {
	i, err := scopePeer(c)
	if err != nil {
		return err
	}
	p := &c.Peers[i]
	var v6 []netip.Prefix
	for _, a := range p.AllowedIPs {
		if a.Addr().Is6() && !a.Addr().Is4In6() {
			v6 = append(v6, a)
		}
	}
	switch s {
	case ScopeAll:
		p.AllowedIPs = append([]netip.Prefix{ipv4All}, v6...)
	case ScopePrivate:
		p.AllowedIPs = append(privateAllowedIPs(c), v6...)
	case ScopeRouter:
		ns := normalize(networks)
		if len(ns) == 0 {
			return errors.New("name at least one network of the router, such as 192.168.88.0/24")
		}
		for _, n := range ns {
			if n.Bits() == 0 {
				return fmt.Errorf("%s is all traffic, not a network of the router", n)
			}
		}
		p.AllowedIPs = ns
	default:
		return fmt.Errorf("scope %q: want all, router or private", s)
	}
	return nil
}

// ScopeOf says which scope c's AllowedIPs are: ScopeAll when its peer
// routes 0.0.0.0/0, ScopePrivate when the IPv4 routes are those SetScope
// writes for it, ScopeCustom otherwise (also for ScopeRouter's lists,
// which are the user's), "" when no peer qualifies.
func ScopeOf(c *Config) Scope {
	i, err := scopePeer(c)
	if err != nil {
		return ""
	}
	var v4 []netip.Prefix
	for _, a := range c.Peers[i].AllowedIPs {
		if a == ipv4All {
			return ScopeAll
		}
		if a.Addr().Is4() {
			v4 = append(v4, a)
		}
	}
	if slices.Equal(normalize(v4), privateAllowedIPs(c)) {
		return ScopePrivate
	}
	return ScopeCustom
}

// RoutesAllIPv4 reports whether a peer of c routes 0.0.0.0/0: the configs
// the app asks about the scope after importing.
func RoutesAllIPv4(c *Config) bool {
	for _, p := range c.Peers {
		if slices.Contains(p.AllowedIPs, ipv4All) {
			return true
		}
	}
	return false
}
