package platform

import (
	"errors"
	"net/netip"

	"github.com/wgdesk/wgdesk/config"
)

// SubnetReader is a Network that can list the subnets this machine is
// directly connected to, for the subnet collision warning
// (config.Collisions).
type SubnetReader interface {
	// ConnectedSubnets returns the on-link subnets of the uplinks: not of
	// loopback, not of the tunnels this Network manages; no default,
	// host, multicast or loopback routes. Safe for concurrent use.
	ConnectedSubnets() ([]config.LocalSubnet, error)
}

// ConnectedSubnetsOf returns n's connected subnets, or an error wrapping
// errors.ErrUnsupported when n cannot list them (a Network of tests).
func ConnectedSubnetsOf(n Network) ([]config.LocalSubnet, error) {
	if r, ok := n.(SubnetReader); ok {
		return r.ConnectedSubnets()
	}
	return nil, errors.ErrUnsupported
}

// isSubnetRoute reports whether an on-link route to p is a subnet worth
// comparing: not a default or host route, not multicast or loopback.
func isSubnetRoute(p netip.Prefix) bool {
	a := p.Addr()
	return p.IsValid() && p.Bits() != 0 && p.Bits() != a.BitLen() && !a.IsMulticast() && !a.IsLoopback()
}
