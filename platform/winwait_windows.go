package platform

import (
	"errors"

	"golang.org/x/sys/windows"
	"golang.zx2c4.com/wireguard/windows/tunnel/winipcfg"
)

var _ winIPInterfaces = winIPHelper{}

// ipInterfaceExists asks GetIpInterfaceEntry for the adapter's IP
// interface of one family; ERROR_NOT_FOUND means Windows has not created
// it yet (or the family is turned off on the adapter).
func (winIPHelper) ipInterfaceExists(luid uint64, fam int) (bool, error) {
	_, err := winipcfg.LUID(luid).IPInterface(winAddressFamily(fam))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, windows.ERROR_NOT_FOUND), errors.Is(err, windows.ERROR_FILE_NOT_FOUND):
		return false, nil
	}
	return false, err
}

// watchIPInterfaces registers with NotifyIpInterfaceChange through
// winipcfg, whose Unregister waits for callbacks under way, so added is
// not called after stop returns.
func (winIPHelper) watchIPInterfaces(added func(luid uint64, fam int)) (func(), error) {
	cb, err := winipcfg.RegisterInterfaceChangeCallback(func(t winipcfg.MibNotificationType, row *winipcfg.MibIPInterfaceRow) {
		if t != winipcfg.MibAddInstance || row == nil {
			return
		}
		fam := 4
		if row.Family == windows.AF_INET6 {
			fam = 6
		}
		added(uint64(row.InterfaceLUID), fam)
	})
	if err != nil {
		return nil, err
	}
	return func() { cb.Unregister() }, nil
}
