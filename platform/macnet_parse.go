package platform

// Parsers for the text that macOS's ifconfig(8), route(8) and
// networksetup(8) print. They are plain functions of the output so that
// the Linux test suite runs them on samples (testdata/macnet-*.txt).

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// macRouteInfo is what `route -n get` says about the route to a
// destination.
type macRouteInfo struct {
	// Gateway is the next hop; invalid when the route points at an
	// interface (a "link#N" gateway or none at all).
	Gateway   netip.Addr
	Interface string
}

// parseMacRouteGet reads the "key: value" lines of `route -n get`:
//
//	   route to: default
//	destination: default
//	       mask: default
//	    gateway: 192.168.1.1
//	  interface: en0
//	      flags: <UP,GATEWAY,DONE,STATIC,PRCLONING,GLOBAL>
func parseMacRouteGet(out []byte) (macRouteInfo, error) {
	var info macRouteInfo
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.TrimSpace(key) {
		case "gateway":
			// An interface route shows "link#14"; IPv6 next hops are
			// usually link-local with a zone ("fe80::1%en0"), which
			// route(8) takes back as it printed it.
			if a, err := netip.ParseAddr(value); err == nil {
				info.Gateway = a
			}
		case "interface":
			info.Interface = value
		}
	}
	if info.Interface == "" {
		return macRouteInfo{}, errors.New("route -n get: no interface in the output")
	}
	return info, nil
}

// macIfconfig is what `ifconfig NAME` says about an interface.
type macIfconfig struct {
	Up    bool
	MTU   int
	Addrs []netip.Addr // without zones
}

func (c macIfconfig) hasAddr(a netip.Addr) bool {
	for _, h := range c.Addrs {
		if h == a.WithZone("") {
			return true
		}
	}
	return false
}

// parseMacIfconfig reads the output of `ifconfig NAME`:
//
//	utun5: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1420
//		inet 10.0.0.2 --> 10.0.0.2 netmask 0xffffffff
//		inet6 fd00::2 prefixlen 64
func parseMacIfconfig(out []byte) (macIfconfig, error) {
	var c macIfconfig
	sc := bufio.NewScanner(bytes.NewReader(out))
	first := true
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if first {
			first = false
			for i, w := range f {
				if strings.HasPrefix(w, "flags=") {
					_, flags, _ := strings.Cut(w, "<")
					flags = strings.TrimSuffix(flags, ">")
					for _, fl := range strings.Split(flags, ",") {
						c.Up = c.Up || fl == "UP"
					}
				}
				if w == "mtu" && i+1 < len(f) {
					n, err := strconv.Atoi(f[i+1])
					if err != nil {
						return macIfconfig{}, fmt.Errorf("ifconfig: bad mtu %q", f[i+1])
					}
					c.MTU = n
				}
			}
			continue
		}
		if (f[0] == "inet" || f[0] == "inet6") && len(f) > 1 {
			a, err := netip.ParseAddr(f[1])
			if err != nil {
				return macIfconfig{}, fmt.Errorf("ifconfig: bad address %q", f[1])
			}
			c.Addrs = append(c.Addrs, a.WithZone(""))
		}
	}
	if first {
		return macIfconfig{}, errors.New("ifconfig: empty output")
	}
	return c, nil
}

// parseMacServices reads `networksetup -listallnetworkservices`: a header
// line, then one service per line, disabled ones marked with a leading
// asterisk. Disabled services are kept, as wg-quick does, so that enabling
// one while the tunnel is up does not leak DNS.
func parseMacServices(out []byte) ([]string, error) {
	var services []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "An asterisk"):
		case strings.HasPrefix(line, "**"):
			return nil, fmt.Errorf("networksetup: %s", line)
		default:
			services = append(services, strings.TrimPrefix(line, "*"))
		}
	}
	return services, nil
}

// parseMacDNSList reads `networksetup -getdnsservers` or
// `-getsearchdomains`: one value per line, or a sentence such as "There
// aren't any DNS Servers set on Wi-Fi." when the service has none of its
// own (DHCP's then apply). isAddr asks for IP addresses.
func parseMacDNSList(out []byte, isAddr bool) ([]string, error) {
	var vals []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if strings.Contains(line, "aren't any") {
			return nil, nil
		}
		if strings.Contains(line, " ") || strings.HasPrefix(line, "**") {
			return nil, fmt.Errorf("networksetup: unexpected output %q", line)
		}
		if isAddr {
			if _, err := netip.ParseAddr(line); err != nil {
				return nil, fmt.Errorf("networksetup: not an address: %q", line)
			}
		}
		vals = append(vals, line)
	}
	return vals, nil
}

// checkNetworksetup catches failures networksetup reports on standard
// output with exit status 0 ("** Error: The parameters were not valid.",
// "Foo is not a recognized network service.").
func checkNetworksetup(out []byte) error {
	s := strings.TrimSpace(string(out))
	if strings.Contains(s, "Error") || strings.Contains(s, "not a recognized network service") {
		return fmt.Errorf("networksetup: %s", s)
	}
	return nil
}
