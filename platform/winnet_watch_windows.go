package platform

import (
	"fmt"

	"golang.zx2c4.com/wireguard/windows/tunnel/winipcfg"
)

// registerWinChanges implements winWatch with winipcfg's callbacks
// (NotifyRouteChange2, NotifyIpInterfaceChange and
// NotifyUnicastIpAddressChange underneath). winipcfg calls each one in a
// goroutine of its own; the fields are copied out at once.
func registerWinChanges(notify func(winChange)) (func(), error) {
	var undo []func() error
	unregister := func() {
		for _, u := range undo {
			u() // best effort: the only error is an unknown handle
		}
	}
	rc, err := winipcfg.RegisterRouteChangeCallback(func(t winipcfg.MibNotificationType, r *winipcfg.MibIPforwardRow2) {
		if r == nil {
			notify(winChange{Kind: winChangeKind(t)})
			return
		}
		notify(winChange{Kind: winChangeKind(t), LUID: uint64(r.InterfaceLUID), Dst: r.DestinationPrefix.Prefix()})
	})
	if err != nil {
		return nil, fmt.Errorf("route changes: %w", err)
	}
	undo = append(undo, rc.Unregister)
	ic, err := winipcfg.RegisterInterfaceChangeCallback(func(t winipcfg.MibNotificationType, i *winipcfg.MibIPInterfaceRow) {
		c := winChange{Kind: winChangeKind(t)}
		if i != nil {
			c.LUID = uint64(i.InterfaceLUID)
		}
		notify(c)
	})
	if err != nil {
		unregister()
		return nil, fmt.Errorf("interface changes: %w", err)
	}
	undo = append(undo, ic.Unregister)
	ac, err := winipcfg.RegisterUnicastAddressChangeCallback(func(t winipcfg.MibNotificationType, a *winipcfg.MibUnicastIPAddressRow) {
		c := winChange{Kind: winChangeKind(t)}
		if a != nil {
			c.LUID = uint64(a.InterfaceLUID)
		}
		notify(c)
	})
	if err != nil {
		unregister()
		return nil, fmt.Errorf("address changes: %w", err)
	}
	undo = append(undo, ac.Unregister)
	return unregister, nil
}

// The kinds of winnet_watch.go must be winipcfg's; each line fails to
// compile when one differs.
var _ = [...]int{
	[1]int{}[int(winParameterChange)-int(winipcfg.MibParameterNotification)],
	[1]int{}[int(winAddInstance)-int(winipcfg.MibAddInstance)],
	[1]int{}[int(winDeleteInstance)-int(winipcfg.MibDeleteInstance)],
	[1]int{}[int(winInitialNotice)-int(winipcfg.MibInitialNotification)],
}
