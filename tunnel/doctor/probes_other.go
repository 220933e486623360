//go:build !linux

package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/wgdesk/wgdesk/platform"
)

// OSProbes are the probes of this system. Outside Linux only name
// lookups and n's connected subnets exist yet; every other probe returns
// errors.ErrUnsupported, and the checks that need it say they were
// skipped.
func OSProbes(n platform.Network) Probes { return otherProbes{subnets: subnets{n}} }

type otherProbes struct{ subnets }

func (otherProbes) Resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

func (otherProbes) RouteTo(ctx context.Context, dst netip.Addr, mark uint32) (Route, error) {
	return Route{}, fmt.Errorf("route to %s: %w", dst, errors.ErrUnsupported)
}

func (otherProbes) Ping(ctx context.Context, ifname string, src, dst netip.Addr, size int, timeout time.Duration) error {
	return fmt.Errorf("ping %s: %w", dst, errors.ErrUnsupported)
}

func (otherProbes) DNS(ctx context.Context, ifname string, src, server netip.Addr, timeout time.Duration) (int, error) {
	return 0, fmt.Errorf("query %s: %w", server, errors.ErrUnsupported)
}

func (otherProbes) MTU(ctx context.Context, ifname string) (int, error) {
	return 0, fmt.Errorf("mtu of %s: %w", ifname, errors.ErrUnsupported)
}
