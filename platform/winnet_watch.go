package platform

// The Windows change monitor's logic, without the IP Helper callbacks
// (which live in winnet_watch_windows.go): which notifications mean that
// the uplink may have changed.

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
)

// winChangeKind is the MIB_NOTIFICATION_TYPE of a notification.
type winChangeKind int

// The values of MIB_NOTIFICATION_TYPE (netioapi.h).
const (
	winParameterChange winChangeKind = 0
	winAddInstance     winChangeKind = 1
	winDeleteInstance  winChangeKind = 2
	winInitialNotice   winChangeKind = 3
)

// winChange is one route, interface or address notification. Dst is valid
// only for a route.
type winChange struct {
	Kind winChangeKind
	LUID uint64
	Dst  netip.Prefix
}

// counts reports whether c may mean that the uplink changed. Not counted:
// the initial notification (sent once at registration, not a change),
// anything on our own adapters, and the endpoints' host routes we add
// (a /32 or /128 to an endpoint).
func (c winChange) counts(self *ownedSet) bool {
	if c.Kind == winInitialNotice {
		return false
	}
	if self.hasID(c.LUID) {
		return false
	}
	if c.Dst.IsValid() && c.Dst.IsSingleIP() && self.hasDest(c.Dst.Addr()) {
		return false
	}
	return true
}

// winHostDests are the destinations of the host routes in both lists.
func winHostDests(a, b []winHostRoute) []netip.Addr {
	var out []netip.Addr
	for _, l := range [][]winHostRoute{a, b} {
		for _, h := range l {
			out = append(out, h.Prefix.Addr().Unmap())
		}
	}
	return out
}

var _ Watcher = (*winNetwork)(nil)

// winWatch is the seam to the IP Helper API's change notifications:
// register calls notify for every route, IP interface and unicast address
// change, until the returned function unregisters it.
type winWatch func(notify func(winChange)) (unregister func(), err error)

// Watch implements Watcher with the IP Helper API's notifications of
// route, IP interface and unicast address changes. It returns nil when ctx
// ends, after unregistering; a notification still on its way then is
// dropped.
func (n *winNetwork) Watch(ctx context.Context, changed func()) error {
	if n.register == nil {
		return fmt.Errorf("watch routes: %w", errors.ErrUnsupported)
	}
	on := &onceNotifier{changed: changed}
	unregister, err := n.register(func(c winChange) {
		if c.counts(&n.self) {
			on.notify()
		}
	})
	if err != nil {
		return fmt.Errorf("register for network changes: %w", err)
	}
	<-ctx.Done()
	unregister()
	on.stop()
	return nil
}
