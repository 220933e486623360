package config

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// LocalSubnet is a network this machine is directly connected to (an
// on-link route of an uplink), as platform.ConnectedSubnets reads it.
type LocalSubnet struct {
	Prefix    netip.Prefix
	Interface string // the uplink's name; "" when the OS does not say
}

// Collision is a route of a tunnel that overlaps a directly connected
// subnet: RouterOS's default 192.168.88.0/24 at home and at the café.
type Collision struct {
	Tunnel string // the tunnel's name, for the message
	Route  netip.Prefix
	Local  LocalSubnet
}

// Collisions lists the routes of c (Routes: AllowedIPs and the interface
// addresses' subnets) that overlap a subnet of local, in the order of
// Routes, then local. Default routes (/0, and the /1 halves some configs
// write instead) are left out: the on-link routes are more specific, so
// a full tunnel leaves the LAN alone by design. With Table = off no
// AllowedIPs become routes; the addresses' subnets still do. The
// connection doctor and the service's import and activation warnings
// both use it.
func Collisions(name string, c *Config, local []LocalSubnet) []Collision {
	var out []Collision
	noRoutes := strings.EqualFold(strings.TrimSpace(c.Interface.Table), "off")
	for _, r := range Routes(c) {
		if r.Bits() <= 1 {
			continue
		}
		if noRoutes && !isAddressSubnet(c, r) {
			continue
		}
		for _, l := range local {
			if lp := l.Prefix.Masked(); lp.IsValid() && lp.Overlaps(r) {
				out = append(out, Collision{Tunnel: name, Route: r, Local: LocalSubnet{Prefix: lp, Interface: l.Interface}})
			}
		}
	}
	return slices.CompactFunc(out, func(a, b Collision) bool { return a == b })
}

func isAddressSubnet(c *Config, r netip.Prefix) bool {
	for _, a := range c.Interface.Addresses {
		if a.Masked() == r {
			return true
		}
	}
	return false
}

// String says what collides and what will not be reachable, as one
// sentence for people (logs, CLI, app).
func (c Collision) String() string {
	where := "a network this computer is on"
	if c.Local.Interface != "" {
		where = "the network of " + c.Local.Interface
	}
	name := "the tunnel"
	if c.Tunnel != "" {
		name = "tunnel " + c.Tunnel
	}
	r, l := c.Route, c.Local.Prefix
	switch {
	case r == l:
		return fmt.Sprintf("%s routes %s, which is also %s here: the same addresses on both sides, so while the tunnel is up either the hosts of this local network or those behind the router in %s will not be reachable; renumber one of the two networks",
			name, r, where, r)
	case r.Bits() > l.Bits():
		return fmt.Sprintf("%s routes %s, which is inside %s here (%s): while the tunnel is up, the local hosts in %s will not be reachable, their traffic goes into the tunnel",
			name, r, where, l, r)
	default:
		return fmt.Sprintf("%s routes %s, which contains %s here (%s): the hosts behind the router in %s will not be reachable through the tunnel, that range stays on the local network",
			name, r, where, l, l)
	}
}
