package tunnel

import (
	"regexp"
	"strconv"
	"strings"
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

// adapterName is the naming rule for Windows, whose adapter names (aliases)
// may be long but are compared without case: the tunnel's own name when no
// adapter and none of our tunnels has it in any case, else wgdesk-NAME,
// then wgdesk-NAME-2, wgdesk-NAME-3, ... . A tunnel called "Ethernet" or
// "wi-fi" must never get the name of a real adapter, since the platform
// finds the interface it configures by that name.
//
// aliases are the adapters the OS has; listErr, when not nil, says the
// list could not be read, and then the tunnel's own name is never used.
// taken reports names in use by the OS or by another of our tunnels.
func adapterName(tunnel string, taken func(string) bool, aliases []string, listErr error) string {
	inUse := func(n string) bool {
		for _, a := range aliases {
			if strings.EqualFold(a, n) {
				return true
			}
		}
		return taken(n)
	}
	if listErr == nil && !inUse(tunnel) {
		return tunnel
	}
	base := "wgdesk-" + tunnel
	if !inUse(base) {
		return base
	}
	for i := 2; ; i++ {
		if n := base + "-" + strconv.Itoa(i); !inUse(n) {
			return n
		}
	}
}
