package platform

import (
	"golang.zx2c4.com/wireguard/windows/tunnel/winipcfg"
)

// interfaceAlias names an adapter as Windows shows it ("Wi-Fi",
// "Ethernet 2"), for the subnet collision warning (connected_win.go).
func (winIPHelper) interfaceAlias(luid uint64) (string, error) {
	row, err := winipcfg.LUID(luid).Interface()
	if err != nil {
		return "", mapWinErr(err)
	}
	return row.Alias(), nil
}
