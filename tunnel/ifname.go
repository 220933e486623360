package tunnel

import (
	"regexp"
	"strconv"
)

// linuxIfname is what Linux (and wg-quick) accept as an interface name:
// IFNAMSIZ is 16 bytes with the terminating NUL.
var linuxIfname = regexp.MustCompile(`^[a-zA-Z0-9_=+.-]{1,15}$`)

// shortFreeName is the naming rule for systems with 15-character interface
// names: the tunnel's own name when it is a valid interface name and free
// (so `ip link` shows "home" for tunnel "home"), else the first free name
// of wgd0, wgd1, ... . taken reports names in use by the OS or by another
// of our tunnels.
func shortFreeName(tunnel string, taken func(string) bool) string {
	if linuxIfname.MatchString(tunnel) && tunnel != "." && tunnel != ".." && !taken(tunnel) {
		return tunnel
	}
	for i := 0; ; i++ {
		if n := "wgd" + strconv.Itoa(i); !taken(n) {
			return n
		}
	}
}
