package platform

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/wgdesk/wgdesk/config"
)

// ConnectedSubnets reads the routing table with netstat -rn, IPv4 and
// IPv6: the cloning routes to a link (gateway link#N, flag C, not G or
// H) of interfaces other than loopback and utun (ours and other VPNs').
func (n *macNetwork) ConnectedSubnets() ([]config.LocalSubnet, error) {
	var out []config.LocalSubnet
	for _, fam := range []string{"inet", "inet6"} {
		b, err := n.run.run(context.Background(), "netstat", "-rn", "-f", fam)
		if err != nil {
			return nil, fmt.Errorf("read the %s routing table: %w", fam, err)
		}
		out = append(out, parseMacConnected(string(b))...)
	}
	slices.SortFunc(out, func(a, b config.LocalSubnet) int {
		if c := comparePrefix(a.Prefix, b.Prefix); c != 0 {
			return c
		}
		return strings.Compare(a.Interface, b.Interface)
	})
	return slices.Compact(out), nil
}

// parseMacConnected picks the connected subnets out of netstat -rn
// output (macOS 12 to 15 print the same columns: Destination, Gateway,
// Flags, Netif, Expire).
func parseMacConnected(out string) []config.LocalSubnet {
	var subnets []config.LocalSubnet
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[1], "link#") {
			continue
		}
		flags, netif := f[2], f[3]
		if !strings.Contains(flags, "C") || strings.ContainsAny(flags, "GH") ||
			strings.HasPrefix(netif, "lo") || strings.HasPrefix(netif, "utun") {
			continue
		}
		p, ok := parseNetstatDest(f[0])
		if !ok || !isSubnetRoute(p) {
			continue
		}
		subnets = append(subnets, config.LocalSubnet{Prefix: p.Masked(), Interface: netif})
	}
	return subnets
}

// parseNetstatDest reads netstat's destinations: IPv4 with the trailing
// zero octets left out ("192.168.1" is 192.168.1.0/24, "10" is 10/8,
// "224.0.0/4" keeps its length), IPv6 with a /length and maybe a %scope.
func parseNetstatDest(s string) (netip.Prefix, bool) {
	dest, bitsText, hasBits := strings.Cut(s, "/")
	if i := strings.IndexByte(dest, '%'); i >= 0 {
		dest = dest[:i]
	}
	if strings.Contains(dest, ":") {
		if !hasBits {
			return netip.Prefix{}, false // a host
		}
		a, err := netip.ParseAddr(dest)
		bits, berr := strconv.Atoi(bitsText)
		if err != nil || berr != nil {
			return netip.Prefix{}, false
		}
		p, err := a.Prefix(bits)
		return p, err == nil
	}
	octets := strings.Split(dest, ".")
	if len(octets) == 0 || len(octets) > 4 {
		return netip.Prefix{}, false
	}
	bits := 8 * len(octets)
	for len(octets) < 4 {
		octets = append(octets, "0")
	}
	a, err := netip.ParseAddr(strings.Join(octets, "."))
	if err != nil {
		return netip.Prefix{}, false
	}
	if hasBits {
		if bits, err = strconv.Atoi(bitsText); err != nil {
			return netip.Prefix{}, false
		}
	}
	p, err := a.Prefix(bits)
	return p, err == nil
}
