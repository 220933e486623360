package tunnel

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/wgdesk/wgdesk/config"
)

// ConnectedNet is a subnet directly connected to one of the machine's
// interfaces: the LAN of the café, of home, of the office.
type ConnectedNet struct {
	Prefix    netip.Prefix // masked
	Interface string       // the OS interface it is on
}

// LANOverlap is a route of a tunnel that overlaps a directly connected
// subnet: while the tunnel is up, one of the two cannot be reached in
// the overlapping part.
type LANOverlap struct {
	Route netip.Prefix // the tunnel's route (an AllowedIPs network, masked)
	LAN   ConnectedNet
}

// Shadowed is the part both claim, the smaller of the two networks.
func (o LANOverlap) Shadowed() netip.Prefix {
	if o.Route.Bits() >= o.LAN.Prefix.Bits() {
		return o.Route
	}
	return o.LAN.Prefix
}

// Sentence says in words what will not be reachable, naming both
// networks. The kernel prefers the longer prefix; on a tie which one wins
// depends on the order the routes were made, so the sentence says so.
func (o LANOverlap) Sentence() string {
	r, lan, on := o.Route.String(), o.LAN.Prefix.String(), o.LAN.Interface
	switch {
	case o.Route.Bits() > o.LAN.Prefix.Bits():
		return "the tunnel's " + r + " lies inside the LAN " + lan + " on " + on +
			": while the tunnel is up, hosts of that LAN in " + r + " cannot be reached"
	case o.Route.Bits() < o.LAN.Prefix.Bits():
		return "the tunnel's " + r + " contains the LAN " + lan + " on " + on +
			": hosts in " + lan + " behind the tunnel cannot be reached, the LAN's are"
	default:
		return "the tunnel's " + r + " is also the LAN on " + on +
			": the same addresses are on both sides, and only one side of " + r + " can be reached"
	}
}

// TunnelRoutes are the networks a config sends into the tunnel: every
// peer's AllowedIPs, masked and without duplicates, in address order;
// none when Table is off.
func TunnelRoutes(cfg *config.Config) []netip.Prefix {
	if cfg == nil || strings.EqualFold(strings.TrimSpace(cfg.Interface.Table), "off") {
		return nil
	}
	var out []netip.Prefix
	for _, p := range cfg.Peers {
		for _, a := range p.AllowedIPs {
			if a = a.Masked(); a.IsValid() {
				out = append(out, a)
			}
		}
	}
	slices.SortFunc(out, comparePrefixes)
	return slices.Compact(out)
}

// LANOverlaps returns the routes that overlap a directly connected subnet,
// in the order of routes then lans. Default routes (/0, and the /1 halves
// some configs use instead) are left out: the LAN's own, longer route
// keeps it reachable, which is what a full tunnel means to do. lans on
// the tunnel's own interface, loopback and link-local subnets should not
// be passed in (the caller knows which interface is the tunnel's).
//
// It is the one check behind the collision warning at import and
// activation and the doctor's "lan" check.
func LANOverlaps(routes []netip.Prefix, lans []ConnectedNet) []LANOverlap {
	var out []LANOverlap
	for _, r := range routes {
		r = r.Masked()
		if !r.IsValid() || r.Bits() <= 1 {
			continue
		}
		for _, lan := range lans {
			l := lan.Prefix.Masked()
			if !l.IsValid() || l.Addr().Is4() != r.Addr().Is4() || !r.Overlaps(l) {
				continue
			}
			out = append(out, LANOverlap{Route: r, LAN: ConnectedNet{Prefix: l, Interface: lan.Interface}})
		}
	}
	return out
}
