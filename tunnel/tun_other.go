//go:build !windows

package tunnel

import "golang.zx2c4.com/wireguard/tun"

// createTUN makes the TUN interface with wireguard-go, which keeps its
// Linux offloads; the tunnel's name matters only on Windows
// (tun_windows.go).
func createTUN(tunnelName, ifname string, mtu int) (tun.Device, error) {
	return tun.CreateTUN(ifname, mtu)
}
