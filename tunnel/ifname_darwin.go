package tunnel

// interfaceName returns "utun": macOS names its TUN interfaces utunN itself
// and tun.CreateTUN("utun", mtu) takes the next free one; the engine reads
// the real name back from the device.
func interfaceName(tunnel string, taken func(string) bool) string {
	return "utun"
}
