package tunnel

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// netlinkRoutes looks routes up through netlink: a default route is one
// of the main table (where DHCP, NetworkManager and systemd-networkd put
// the uplink's), a route to an address is what the kernel would choose
// for it (RTM_GETROUTE), policy rules included.
type netlinkRoutes struct{}

// NewRouteChecker returns the system's route lookup: netlink on Linux.
func NewRouteChecker() RouteChecker { return netlinkRoutes{} }

func (netlinkRoutes) DefaultRoute() (bool, error) {
	var errs []error
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		routes, err := netlink.RouteListFiltered(fam, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
		if err != nil {
			errs = append(errs, fmt.Errorf("list routes: %w", err))
			continue
		}
		for _, r := range routes {
			if usable(r) && (r.Dst == nil || isZeroPrefix(r.Dst.Mask)) {
				return true, nil
			}
		}
	}
	return false, errors.Join(errs...)
}

func (netlinkRoutes) RouteTo(dst netip.Addr) (bool, error) {
	routes, err := netlink.RouteGet(dst.AsSlice())
	switch {
	// No route, or one that carries nothing: the kernel answers a
	// lookup that ends in a blackhole route with EINVAL and in a
	// prohibit route with EACCES.
	case errors.Is(err, unix.ENETUNREACH), errors.Is(err, unix.EHOSTUNREACH),
		errors.Is(err, unix.EINVAL), errors.Is(err, unix.EACCES):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("route to %s: %w", dst, err)
	}
	for _, r := range routes {
		if usable(r) {
			return true, nil
		}
	}
	return false, nil
}

// usable: a route that carries packets (not blackhole, unreachable or
// prohibit).
func usable(r netlink.Route) bool {
	return r.Type == 0 || r.Type == unix.RTN_UNICAST || r.Type == unix.RTN_LOCAL
}

func isZeroPrefix(mask []byte) bool {
	for _, b := range mask {
		if b != 0 {
			return false
		}
	}
	return true
}
