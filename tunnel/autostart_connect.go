package tunnel

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
)

// connectRoutes looks routes up the way every OS can without a
// privileged API: connecting a UDP socket sends nothing but makes the
// system choose a route for the destination, and fails with "network
// unreachable" when there is none (Windows' WSAENETUNREACH, macOS'
// ENETUNREACH). A default route is a route to a documentation address
// (RFC 5737, RFC 3849), which no system routes by itself.
type connectRoutes struct {
	// dial connects a UDP socket to raddr; the socket is only closed.
	dial func(network string, raddr *net.UDPAddr) (io.Closer, error)
}

func newConnectRoutes() connectRoutes {
	return connectRoutes{dial: func(network string, raddr *net.UDPAddr) (io.Closer, error) {
		c, err := net.DialUDP(network, nil, raddr)
		if err != nil {
			return nil, err
		}
		return c, nil
	}}
}

var defaultProbes = []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")}

func (c connectRoutes) DefaultRoute() (bool, error) {
	var errs []error
	for _, a := range defaultProbes {
		ok, err := c.RouteTo(a)
		if ok {
			return true, nil
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return false, errors.Join(errs...)
}

func (c connectRoutes) RouteTo(dst netip.Addr) (bool, error) {
	network := "udp4"
	if dst.Is6() {
		network = "udp6"
	}
	conn, err := c.dial(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, 9)))
	if err == nil {
		conn.Close()
		return true, nil
	}
	if unreachable(err) {
		return false, nil
	}
	return false, fmt.Errorf("route to %s: %w", dst, err)
}

// unreachable reports whether err says there is no route (or no
// address of the family): the errors are the OS's (unreachableErrs).
func unreachable(err error) bool {
	for _, u := range unreachableErrs {
		if errors.Is(err, u) {
			return true
		}
	}
	return false
}
