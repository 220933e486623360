package config

import "net/netip"

// LocalSubnet is a network this machine is directly connected to (an
// on-link route of an uplink), as platform.ConnectedSubnets reads it.
// It lives here, below platform and tunnel, so that both can use it: the
// service compares a tunnel's routes with these subnets at import and
// activation (tunnel.CollisionWarnings), the doctor too.
type LocalSubnet struct {
	Prefix    netip.Prefix
	Interface string // the uplink's name; "" when the OS does not say
}
