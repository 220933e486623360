package tunnel

// interfaceName picks the TUN name for a tunnel; see shortFreeName.
func interfaceName(tunnel string, taken func(string) bool) string {
	return shortFreeName(tunnel, taken)
}
