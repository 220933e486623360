package platform

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fakeMac simulates the parts of a Mac that the macOS back end drives:
// interfaces with flags, MTU and addresses, the routing table, and the
// network services' DNS settings. It parses every command line it gets,
// answers the queries from its state in the format of the real tools (see
// the samples in testdata/macnet-*.txt), fails as the real tools do
// ("File exists", "not in table"), and can inject failures or die like a
// killed process.
type fakeMac struct {
	t        *testing.T
	ifaces   map[string]*fakeMacIface
	routes   map[netip.Prefix]fakeMacRoute
	services []string // in listing order; disabled ones start with "*"
	dns      map[string]*macServiceDNS

	// log holds the mutating commands that took effect, in order.
	log []string
	// fail, when set, may fail a mutating command before it takes effect.
	fail func(cmdline string) error
	// killAt makes the killAt-th mutating command (1-based) and every
	// command after it fail, as if the process had been killed there.
	killAt int
	dead   bool
	// onKill runs when the process "dies", before the failing command
	// returns: the test freezes the journal there, since a killed process
	// writes nothing more.
	onKill func()
	// quietError, when set, may make a networksetup -set command print
	// an error and do nothing, with exit status 0, as networksetup does.
	quietError func(args []string) string
	// pf is the packet filter (pfctl, fakepf_test.go).
	pf *fakePF
}

type fakeMacIface struct {
	up    bool
	p2p   bool
	mtu   int
	addrs []netip.Prefix
}

type fakeMacRoute struct {
	gateway netip.Addr
	iface   string
}

// newFakeMac returns a Mac on Wi-Fi (en0, 192.168.1.23/24 behind
// 192.168.1.1, IPv6 via fe80::1) with a fresh utun5 that the tunnel engine
// has just created, and three network services whose DNS differ.
func newFakeMac(t *testing.T) *fakeMac {
	f := &fakeMac{
		t: t,
		ifaces: map[string]*fakeMacIface{
			"lo0":   {up: true, mtu: 16384, addrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8")}},
			"en0":   {up: true, mtu: 1500, addrs: []netip.Prefix{netip.MustParsePrefix("192.168.1.23/24"), netip.MustParsePrefix("2001:db8:1:2::23/64")}},
			"utun5": {p2p: true, mtu: 1500},
		},
		routes: map[netip.Prefix]fakeMacRoute{
			netip.MustParsePrefix("0.0.0.0/0"):         {gateway: netip.MustParseAddr("192.168.1.1"), iface: "en0"},
			netip.MustParsePrefix("192.168.1.0/24"):    {iface: "en0"},
			netip.MustParsePrefix("127.0.0.0/8"):       {iface: "lo0"},
			netip.MustParsePrefix("::/0"):              {gateway: netip.MustParseAddr("fe80::1%en0"), iface: "en0"},
			netip.MustParsePrefix("2001:db8:1:2::/64"): {iface: "en0"},
		},
		services: []string{"USB 10/100/1000 LAN", "Wi-Fi", "*Thunderbolt Bridge"},
		dns: map[string]*macServiceDNS{
			"USB 10/100/1000 LAN": {Servers: []string{"192.168.1.53", "2001:db8:1::53"}, Search: []string{"lan.example", "example.com"}},
			"Wi-Fi":               {},
			"Thunderbolt Bridge":  {Search: []string{"bridge.example"}},
		},
		pf: newFakePF(),
	}
	return f
}

// state renders the simulated Mac as sorted lines.
func (f *fakeMac) state() string {
	var l []string
	for name, i := range f.ifaces {
		up := "down"
		if i.up {
			up = "up"
		}
		l = append(l, fmt.Sprintf("iface %s %s mtu %d", name, up, i.mtu))
		for _, a := range i.addrs {
			l = append(l, fmt.Sprintf("addr %s %s", name, a))
		}
	}
	for p, r := range f.routes {
		if r.gateway.IsValid() {
			l = append(l, fmt.Sprintf("route %s gateway %s", p, r.gateway))
		} else {
			l = append(l, fmt.Sprintf("route %s interface %s", p, r.iface))
		}
	}
	for name, d := range f.dns {
		l = append(l, fmt.Sprintf("dns %q servers %s search %s", name, orDash(d.Servers), orDash(d.Search)))
	}
	l = append(l, f.pf.state()...)
	slices.Sort(l)
	return strings.Join(l, "\n") + "\n"
}

func orDash(v []string) string {
	if len(v) == 0 {
		return "-"
	}
	return strings.Join(v, ",")
}

// removeInterface deletes an interface with its addresses and routes, as
// macOS does when the process that opened a utun exits.
func (f *fakeMac) removeInterface(name string) {
	delete(f.ifaces, name)
	for p, r := range f.routes {
		if r.iface == name {
			delete(f.routes, p)
		}
	}
}

func (f *fakeMac) commandLog() string { return strings.Join(f.log, "\n") + "\n" }

func macMutating(name string, args []string) bool {
	switch name {
	case "ifconfig":
		return len(args) > 1
	case "route":
		return !slices.Contains(args, "get")
	case "networksetup":
		return len(args) > 0 && strings.HasPrefix(args[0], "-set")
	case "pfctl":
		return !slices.Contains(args, "-s")
	}
	return false
}

func (f *fakeMac) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	if name == "pfctl" {
		f.t.Errorf("fake mac: pfctl run without the pfctl seam: %q", args)
	}
	return f.exec(ctx, nil, name, args)
}

// pfctl implements macPFRunner.
func (f *fakeMac) pfctl(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	return f.exec(ctx, stdin, "pfctl", args)
}

func (f *fakeMac) exec(ctx context.Context, stdin []byte, name string, args []string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	line := name + " " + strings.Join(args, " ")
	fail := func(msg string) ([]byte, error) {
		return nil, macCommandError(name, args, errors.New("exit status 1"), []byte(msg))
	}
	if f.dead {
		return nil, macCommandError(name, args, errors.New("signal: killed"), nil)
	}
	if macMutating(name, args) {
		if f.killAt > 0 && len(f.log)+1 >= f.killAt {
			f.dead = true
			if f.onKill != nil {
				f.onKill()
			}
			return nil, macCommandError(name, args, errors.New("signal: killed"), nil)
		}
		if f.fail != nil {
			if err := f.fail(line); err != nil {
				return nil, macCommandError(name, args, err, nil)
			}
		}
	}
	var out string
	var msg string
	switch name {
	case "ifconfig":
		out, msg = f.ifconfig(args)
	case "route":
		out, msg = f.route(args)
	case "networksetup":
		out, msg = f.networksetup(args)
	case "netstat":
		out, msg = f.netstat(args)
	case "pfctl":
		out, msg = f.pf.run(f, stdin, args)
	default:
		f.t.Errorf("fake mac: unexpected command %q", line)
		return fail("command not found")
	}
	if msg != "" {
		return fail(msg)
	}
	if macMutating(name, args) {
		f.log = append(f.log, line)
	}
	return []byte(out), nil
}

func (f *fakeMac) bad(format string, args ...any) (string, string) {
	f.t.Errorf("fake mac: "+format, args...)
	return "", "usage"
}

func (f *fakeMac) ifconfig(args []string) (out, msg string) {
	if len(args) == 0 {
		return f.bad("ifconfig without arguments")
	}
	i := f.ifaces[args[0]]
	if i == nil {
		return "", "ifconfig: interface " + args[0] + " does not exist"
	}
	a := args[1:]
	switch {
	case len(a) == 0:
		return f.showInterface(args[0], i), ""
	case len(a) == 2 && a[0] == "mtu":
		n, err := strconv.Atoi(a[1])
		if err != nil || n < 576 || n > 16384 {
			return "", "ifconfig: ioctl (set mtu): Invalid argument"
		}
		i.mtu = n
	case len(a) == 1 && a[0] == "up":
		i.up = true
	case len(a) == 4 && a[0] == "inet" && a[3] == "alias":
		p, err := netip.ParsePrefix(a[1])
		if err != nil || !p.Addr().Is4() || a[2] != p.Addr().String() {
			return f.bad("ifconfig inet wants A/len A alias, got %q", a)
		}
		f.setAddr(i, p)
	case len(a) == 5 && a[0] == "inet6" && a[2] == "prefixlen" && a[4] == "alias":
		addr, err := netip.ParseAddr(a[1])
		bits, err2 := strconv.Atoi(a[3])
		if err != nil || err2 != nil || !addr.Is6() {
			return f.bad("ifconfig inet6 wants A prefixlen N alias, got %q", a)
		}
		f.setAddr(i, netip.PrefixFrom(addr, bits))
	case len(a) == 3 && (a[0] == "inet" || a[0] == "inet6") && a[2] == "-alias":
		addr, err := netip.ParseAddr(a[1])
		if err != nil || addr.Is4() != (a[0] == "inet") {
			return f.bad("ifconfig -alias: bad address %q", a)
		}
		n := len(i.addrs)
		i.addrs = slices.DeleteFunc(i.addrs, func(p netip.Prefix) bool { return p.Addr() == addr })
		if len(i.addrs) == n {
			return "", "ifconfig: ioctl (SIOCDIFADDR): Can't assign requested address"
		}
	default:
		return f.bad("unknown ifconfig %q", args)
	}
	return "", ""
}

// setAddr adds or updates an address, as SIOCAIFADDR does.
func (f *fakeMac) setAddr(i *fakeMacIface, p netip.Prefix) {
	i.addrs = slices.DeleteFunc(i.addrs, func(x netip.Prefix) bool { return x.Addr() == p.Addr() })
	i.addrs = append(i.addrs, p)
	i.up = true // assigning an address brings a BSD interface up
}

func (f *fakeMac) showInterface(name string, i *fakeMacIface) string {
	var flags []string
	if i.up {
		flags = append(flags, "UP")
	}
	if i.p2p {
		flags = append(flags, "POINTOPOINT")
	}
	if i.up {
		flags = append(flags, "RUNNING")
	}
	flags = append(flags, "MULTICAST")
	var b strings.Builder
	fmt.Fprintf(&b, "%s: flags=8051<%s> mtu %d\n", name, strings.Join(flags, ","), i.mtu)
	for _, a := range i.addrs {
		if a.Addr().Is4() {
			m := uint32(0xffffffff) << (32 - a.Bits())
			if a.Bits() == 0 {
				m = 0
			}
			if i.p2p {
				fmt.Fprintf(&b, "\tinet %s --> %s netmask 0x%08x\n", a.Addr(), a.Addr(), m)
			} else {
				fmt.Fprintf(&b, "\tinet %s netmask 0x%08x broadcast 192.168.1.255\n", a.Addr(), m)
			}
		} else {
			fmt.Fprintf(&b, "\tinet6 %s prefixlen %d\n", a.Addr(), a.Bits())
		}
	}
	return b.String()
}

func (f *fakeMac) route(args []string) (out, msg string) {
	var a []string
	for _, x := range args {
		if x != "-n" && x != "-q" {
			a = append(a, x)
		}
	}
	if len(a) < 3 || (a[1] != "-inet" && a[1] != "-inet6") {
		return f.bad("route wants VERB -inet|-inet6 DEST, got %q", args)
	}
	if !slices.Contains(args, "-n") {
		return f.bad("route without -n would resolve names: %q", args)
	}
	v4 := a[1] == "-inet"
	var dest netip.Prefix
	if a[2] == "default" {
		dest = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		if v4 {
			dest = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		}
	} else if p, err := netip.ParsePrefix(a[2]); err == nil {
		dest = p
	} else if ad, err := netip.ParseAddr(a[2]); err == nil {
		dest = netip.PrefixFrom(ad, ad.BitLen())
	} else {
		return f.bad("route: bad destination %q", a[2])
	}
	if dest.Addr().Is4() != v4 {
		return f.bad("route: family %s with destination %s", a[1], dest)
	}
	var hop fakeMacRoute
	if len(a) == 5 {
		switch a[3] {
		case "-interface":
			hop.iface = a[4]
		case "-gateway":
			gw, err := netip.ParseAddr(a[4])
			if err != nil {
				return f.bad("route: bad gateway %q", a[4])
			}
			hop.gateway = gw
		default:
			return f.bad("route: unknown next hop %q", a[3])
		}
	} else if len(a) != 3 {
		return f.bad("route: unexpected arguments %q", args)
	}
	switch a[0] {
	case "get":
		if len(a) != 3 {
			return f.bad("route get with a next hop: %q", args)
		}
		p, r, ok := f.lookup(dest, a[2] == "default")
		if !ok {
			return "", "route: writing to routing socket: not in table"
		}
		return f.showRoute(a[2], p, r), ""
	case "add":
		if hop == (fakeMacRoute{}) {
			return f.bad("route add without a next hop: %q", args)
		}
		if _, ok := f.routes[dest]; ok {
			return "", fmt.Sprintf("route: writing to routing socket: File exists\nadd net %s: gateway %s: File exists", dest, a[4])
		}
		if hop.iface != "" && f.ifaces[hop.iface] == nil {
			return "", "route: bad interface name " + hop.iface
		}
		if hop.gateway.IsValid() {
			// The kernel resolves the gateway to the interface it is on.
			_, via, ok := f.lookup(netip.PrefixFrom(hop.gateway.WithZone(""), hop.gateway.BitLen()), false)
			if hop.gateway.Zone() != "" {
				via, ok = fakeMacRoute{iface: hop.gateway.Zone()}, true
			}
			if !ok {
				return "", "route: writing to routing socket: Network is unreachable"
			}
			hop.iface = via.iface
		}
		f.routes[dest] = hop
	case "delete":
		r, ok := f.routes[dest]
		if !ok || (hop.iface != "" && r.iface != hop.iface && !r.gateway.IsValid()) ||
			(hop.gateway.IsValid() && r.gateway != hop.gateway) {
			return "", fmt.Sprintf("route: writing to routing socket: not in table\ndelete net %s: not in table", dest)
		}
		delete(f.routes, dest)
	default:
		return f.bad("route: unknown verb %q", a[0])
	}
	return "", ""
}

// lookup is the kernel's longest-prefix match; with exact it finds only
// dest itself (route get default).
func (f *fakeMac) lookup(dest netip.Prefix, exact bool) (netip.Prefix, fakeMacRoute, bool) {
	if exact {
		r, ok := f.routes[dest]
		return dest, r, ok
	}
	best, found := netip.Prefix{}, false
	for p := range f.routes {
		if p.Addr().Is4() == dest.Addr().Is4() && p.Contains(dest.Addr()) && (!found || p.Bits() > best.Bits()) {
			best, found = p, true
		}
	}
	return best, f.routes[best], found
}

func (f *fakeMac) showRoute(asked string, p netip.Prefix, r fakeMacRoute) string {
	var b strings.Builder
	dest, mask := p.Addr().String(), ""
	if p.Bits() == 0 {
		dest, mask = "default", "default"
		if !p.Addr().Is4() {
			dest = "::"
		}
	} else if p.Bits() < p.Addr().BitLen() {
		mask = strconv.Itoa(p.Bits())
	}
	if asked == "default" && !p.Addr().Is4() {
		asked = "::"
	}
	fmt.Fprintf(&b, "   route to: %s\ndestination: %s\n", asked, dest)
	if mask != "" {
		fmt.Fprintf(&b, "       mask: %s\n", mask)
	}
	flags := "<UP,DONE,STATIC>"
	if r.gateway.IsValid() {
		fmt.Fprintf(&b, "    gateway: %s\n", r.gateway)
		flags = "<UP,GATEWAY,DONE,STATIC,PRCLONING,GLOBAL>"
	}
	fmt.Fprintf(&b, "  interface: %s\n      flags: %s\n", r.iface, flags)
	mtu := 0
	if i := f.ifaces[r.iface]; i != nil {
		mtu = i.mtu
	}
	fmt.Fprintf(&b, " recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire\n")
	fmt.Fprintf(&b, "       0         0         0         0         0         0%10d         0\n", mtu)
	return b.String()
}

func (f *fakeMac) networksetup(args []string) (out, msg string) {
	if len(args) == 1 && args[0] == "-listallnetworkservices" {
		return "An asterisk (*) denotes that a network service is disabled.\n" + strings.Join(f.services, "\n") + "\n", ""
	}
	if len(args) < 2 {
		return f.bad("networksetup %q", args)
	}
	d := f.dns[args[1]]
	if d == nil {
		// networksetup says so on standard output and exits 0.
		return args[1] + " is not a recognized network service.\n** Error: The parameters were not valid.\n", ""
	}
	if f.quietError != nil && strings.HasPrefix(args[0], "-set") {
		if msg := f.quietError(args); msg != "" {
			return msg, ""
		}
	}
	vals := args[2:]
	if len(vals) == 1 && vals[0] == "Empty" {
		vals = nil
	}
	switch args[0] {
	case "-getdnsservers", "-getsearchdomains":
		if len(args) != 2 {
			return f.bad("networksetup %q", args)
		}
		have, what := d.Servers, "DNS Servers"
		if args[0] == "-getsearchdomains" {
			have, what = d.Search, "Search Domains"
		}
		if len(have) == 0 {
			return fmt.Sprintf("There aren't any %s set on %s.\n", what, args[1]), ""
		}
		return strings.Join(have, "\n") + "\n", ""
	case "-setdnsservers":
		if len(args) < 3 {
			return f.bad("networksetup %q", args)
		}
		for _, v := range vals {
			if _, err := netip.ParseAddr(v); err != nil {
				return fmt.Sprintf("%s is not a valid IP address.\n** Error: The parameters were not valid.\n", v), ""
			}
		}
		d.Servers = slices.Clone(vals)
	case "-setsearchdomains":
		if len(args) < 3 {
			return f.bad("networksetup %q", args)
		}
		d.Search = slices.Clone(vals)
	default:
		return f.bad("networksetup %q", args)
	}
	return "", ""
}
