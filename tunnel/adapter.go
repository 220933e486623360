package tunnel

import (
	"golang.zx2c4.com/wireguard/tun"

	"github.com/wgdesk/wgdesk/platform"
)

// luidDevice is a TUN device that knows its Windows adapter's NET_LUID,
// as wireguard-go's *tun.NativeTun does on Windows.
type luidDevice interface {
	LUID() uint64
}

// bindAdapter tells a Network that identifies interfaces by the device's
// ID (platform.AdapterBinder: Windows) which adapter ifname is, right
// after the device was created. The Network then finds the adapter by
// LUID even when someone renames it, and its first Apply waits until
// Windows has finished creating the adapter's IP interfaces. Other
// Networks and devices are left alone.
func bindAdapter(n platform.Network, t tun.Device, ifname string) {
	b, ok := n.(platform.AdapterBinder)
	if !ok {
		return
	}
	if d, ok := t.(luidDevice); ok {
		b.BindAdapter(ifname, d.LUID())
	}
}
