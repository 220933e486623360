package platform

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/godbus/dbus/v5"
)

// dbusResolved talks to systemd-resolved over a private system bus
// connection.
type dbusResolved struct {
	conn *dbus.Conn
	obj  dbus.BusObject
}

const resolvedManager = "org.freedesktop.resolve1.Manager"

func dialResolved() (resolvedAPI, error) {
	conn, err := dbus.ConnectSystemBus()
	if err != nil {
		return nil, fmt.Errorf("connect system bus: %w", err)
	}
	var has bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.freedesktop.resolve1").Store(&has); err != nil {
		conn.Close()
		return nil, fmt.Errorf("ask for systemd-resolved: %w", err)
	}
	if !has {
		conn.Close()
		return nil, fmt.Errorf("systemd-resolved is not running")
	}
	return &dbusResolved{conn: conn, obj: conn.Object("org.freedesktop.resolve1", "/org/freedesktop/resolve1")}, nil
}

func (r *dbusResolved) call(ctx context.Context, method string, args ...any) error {
	return r.obj.CallWithContext(ctx, resolvedManager+"."+method, 0, args...).Err
}

// linkDNS is the (iay) struct of SetLinkDNS: address family and bytes.
type linkDNS struct {
	Family  int32
	Address []byte
}

// linkDomain is the (sb) struct of SetLinkDomains.
type linkDomain struct {
	Domain      string
	RoutingOnly bool
}

func (r *dbusResolved) SetLinkDNS(ctx context.Context, ifindex int, servers []netip.Addr) error {
	arg := []linkDNS{}
	for _, s := range servers {
		fam := int32(2) // AF_INET
		if !s.Unmap().Is4() {
			fam = 10 // AF_INET6
		}
		arg = append(arg, linkDNS{Family: fam, Address: s.Unmap().AsSlice()})
	}
	return r.call(ctx, "SetLinkDNS", int32(ifindex), arg)
}

func (r *dbusResolved) SetLinkDomains(ctx context.Context, ifindex int, domains []resolvedDomain) error {
	arg := []linkDomain{}
	for _, d := range domains {
		arg = append(arg, linkDomain(d))
	}
	return r.call(ctx, "SetLinkDomains", int32(ifindex), arg)
}

func (r *dbusResolved) SetLinkDefaultRoute(ctx context.Context, ifindex int, enable bool) error {
	return r.call(ctx, "SetLinkDefaultRoute", int32(ifindex), enable)
}

func (r *dbusResolved) RevertLink(ctx context.Context, ifindex int) error {
	return r.call(ctx, "RevertLink", int32(ifindex))
}

func (r *dbusResolved) Close() error { return r.conn.Close() }
