package platform

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The parsers and the simulated Mac against what real Macs print: the
// files under testdata/macos-real (see its README.md), quoted in public
// issues or recorded by .github/workflows/macos.yml on GitHub's Mac
// runners.

// macRealSample is one recorded output.
type macRealSample struct {
	path           string // relative to testdata/macos-real
	capture, phase string
	name           string // the file name without .txt
	source         string
	out            []byte // the output after the header
}

// readMacRealSamples reads every sample; a file without a source is an
// error.
func readMacRealSamples(t *testing.T) []macRealSample {
	t.Helper()
	root := filepath.Join("testdata", "macos-real")
	files, err := filepath.Glob(filepath.Join(root, "*", "*", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no samples in testdata/macos-real")
	}
	var samples []macRealSample
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		s := macRealSample{path: rel, capture: parts[0], phase: parts[1], name: strings.TrimSuffix(parts[2], ".txt")}
		for bytes.HasPrefix(data, []byte("# ")) {
			line, rest, _ := bytes.Cut(data, []byte("\n"))
			if src, ok := bytes.CutPrefix(line, []byte("# source: ")); ok {
				s.source = string(src)
			}
			data = rest
		}
		s.out = data
		if !strings.HasPrefix(s.source, "https://") {
			t.Errorf("%s: no '# source: https://...' header line", rel)
		}
		if len(bytes.TrimSpace(s.out)) == 0 {
			t.Errorf("%s: no output after the header", rel)
		}
		samples = append(samples, s)
	}
	return samples
}

// macRealFiles returns the samples whose file name starts with prefix.
func macRealFiles(t *testing.T, prefix string) []macRealSample {
	var out []macRealSample
	for _, s := range readMacRealSamples(t) {
		if strings.HasPrefix(s.name, prefix) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s*.txt sample", prefix)
	}
	return out
}

func macRealSampleAt(t *testing.T, path string) []byte {
	t.Helper()
	for _, s := range readMacRealSamples(t) {
		if filepath.ToSlash(s.path) == path {
			return s.out
		}
	}
	t.Fatalf("no sample %s", path)
	return nil
}

func TestRealSamplesHaveSources(t *testing.T) {
	readMacRealSamples(t)
}

func TestRealRouteGet(t *testing.T) {
	for _, s := range macRealFiles(t, "route-get-") {
		if bytes.Contains(s.out, []byte("not in table")) {
			// route(8) says so on standard error and exits 1: the
			// runner's error must read as "no such route".
			err := macCommandError("route", []string{"-n", "get", "-inet6", "default"}, errors.New("exit status 1"), s.out)
			if !isMacNotInTable(err) {
				t.Errorf("%s: %v is not taken for a missing route", s.path, err)
			}
			continue
		}
		info, err := parseMacRouteGet(s.out)
		if err != nil || info.Interface == "" {
			t.Errorf("%s: %+v, %v", s.path, info, err)
		}
	}
	for path, want := range map[string]macRouteInfo{
		"issue-dylanaraps-neofetch-2361/quoted/route-get-default.txt": {Gateway: netip.MustParseAddr("10.62.96.1"), Interface: "en0"},
		"issue-dylanaraps-neofetch-2361/quoted/route-get-0.0.0.1.txt": {Gateway: netip.MustParseAddr("192.168.12.1"), Interface: "utun3"},
	} {
		got, err := parseMacRouteGet(macRealSampleAt(t, path))
		if err != nil || got != want {
			t.Errorf("%s: %+v, %v; want %+v", path, got, err, want)
		}
	}
}

// splitMacIfconfig splits the output of a bare ifconfig into the blocks
// `ifconfig NAME` prints: a block starts with an unindented "name: flags=".
func splitMacIfconfig(out []byte) map[string][]byte {
	blocks := map[string][]byte{}
	var name string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if line != "" && line[0] != '\t' && line[0] != ' ' {
			name, _, _ = strings.Cut(line, ":")
		}
		blocks[name] = append(blocks[name], line+"\n"...)
	}
	return blocks
}

func TestRealIfconfig(t *testing.T) {
	parsed := map[string]macIfconfig{}
	for _, s := range macRealFiles(t, "ifconfig") {
		blocks := map[string][]byte{strings.TrimPrefix(s.name, "ifconfig-"): s.out}
		if s.name == "ifconfig" {
			blocks = splitMacIfconfig(s.out)
		}
		for name, out := range blocks {
			c, err := parseMacIfconfig(out)
			if err != nil || c.MTU == 0 {
				t.Errorf("%s: %s: %+v, %v", s.path, name, c, err)
			}
			if !bytes.HasPrefix(out, []byte(name+": flags=")) {
				t.Errorf("%s: the block of %s starts %q", s.path, name, out[:min(len(out), 20)])
			}
			parsed[s.capture+"/"+name] = c
		}
	}
	addrs := func(s ...string) []netip.Addr {
		var a []netip.Addr
		for _, x := range s {
			a = append(a, netip.MustParseAddr(x))
		}
		return a
	}
	for key, want := range map[string]macIfconfig{
		// A WireGuard utun: options and nd6 lines, a link-local address
		// with its zone and a trailing space.
		"issue-defguard-client-780/utun4": {Up: true, MTU: 1420, Addrs: addrs("192.168.48.66", "fe80::aede:48ff:fe00:1122", "2001:1ab9:f002:3::42")},
		"issue-machyve-xhyve-84/utun0":    {Up: true, MTU: 1500, Addrs: addrs("10.33.127.240")},
		"issue-machyve-xhyve-84/utun9":    {Up: true, MTU: 1406, Addrs: addrs("10.25.134.54")},
		"issue-opnsense-core-6295/lo0":    {Up: true, MTU: 16384, Addrs: addrs("127.0.0.1", "::1", "fe80::1")},
		"issue-opnsense-core-6295/gif0":   {MTU: 1280},
		"issue-opnsense-core-6295/stf0":   {MTU: 1280},
		"issue-opnsense-core-6295/en0":    {Up: true, MTU: 1500, Addrs: addrs("fe80::147e:873d:b222:8d70", "10.60.1.50", "fdf5:e60e:37b2:98cc:5428:e987:3ece:60a8")},
		"issue-opnsense-core-6295/awdl0":  {MTU: 1484},
		"issue-opnsense-core-6295/utun0":  {Up: true, MTU: 1380, Addrs: addrs("fe80::b0eb:f8c2:2b65:7954")},
	} {
		if got, ok := parsed[key]; !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v (found %v), want %+v", key, got, ok, want)
		}
	}
}

func TestRealNetworksetup(t *testing.T) {
	for _, s := range macRealFiles(t, "networksetup-") {
		var err error
		switch {
		case s.name == "networksetup-listallnetworkservices":
			var services []string
			services, err = parseMacServices(s.out)
			if len(services) == 0 || slices.ContainsFunc(services, func(v string) bool { return strings.Contains(v, "asterisk") }) {
				t.Errorf("%s: services %q", s.path, services)
			}
		case strings.HasPrefix(s.name, "networksetup-getdnsservers-"):
			_, err = parseMacDNSList(s.out, true)
		case strings.HasPrefix(s.name, "networksetup-getsearchdomains-"):
			_, err = parseMacDNSList(s.out, false)
		default:
			t.Errorf("%s: unknown networksetup sample", s.path)
		}
		if err != nil {
			t.Errorf("%s: %v", s.path, err)
		}
		if err := checkNetworksetup(s.out); err != nil {
			t.Errorf("%s: taken for an error: %v", s.path, err)
		}
	}
	services, err := parseMacServices(macRealSampleAt(t, "issue-felixhageloh-uebersicht-widgets-97/quoted/networksetup-listallnetworkservices.txt"))
	want := []string{"Thunderbolt Ethernet", "Wi-Fi", "Thunderbolt Bridge", "VPN (PPTP)", "Witopia KC IPsec", "Bluetooth DUN", "Bluetooth PAN"}
	if err != nil || !slices.Equal(services, want) {
		t.Errorf("services %q, %v; want %q", services, err, want)
	}
	// "There aren't any DNS Servers set on Wi-Fi. ", with a trailing space.
	none, err := parseMacDNSList(macRealSampleAt(t, "issue-mageddo-dns-proxy-server-335/quoted/networksetup-getdnsservers-Wi-Fi.txt"), true)
	if err != nil || none != nil {
		t.Errorf("no servers: %q, %v", none, err)
	}
	two, err := parseMacDNSList(macRealSampleAt(t, "issue-mageddo-dns-proxy-server-335/quoted-2/networksetup-getdnsservers-Wi-Fi.txt"), true)
	if err != nil || !slices.Equal(two, []string{"8.8.8.8", "8.8.4.4"}) {
		t.Errorf("two servers: %q, %v", two, err)
	}
}

// The connected subnets that real routing tables give: other VPNs'
// routes, interface-scoped defaults, host routes with "!" and link-layer
// gateways are left out.
func TestRealNetstat(t *testing.T) {
	got := map[string]string{}
	for _, s := range macRealFiles(t, "netstat-nr-") {
		var b strings.Builder
		for _, l := range parseMacConnected(string(s.out)) {
			b.WriteString(l.Prefix.String() + " " + l.Interface + "\n")
		}
		got[filepath.ToSlash(s.path)] = b.String()
	}
	for path, want := range map[string]string{
		"issue-sshuttle-sshuttle-864/quoted/netstat-nr-inet.txt":         "169.254.0.0/16 en0\n",
		"issue-windscribe-desktop-app-133/quoted/netstat-nr-inet.txt":    "10.100.0.0/24 en0\n10.100.0.0/24 en1\n",
		"issue-wireguard-wireguard-tools-8/quoted/netstat-nr-inet.txt":   "",
		"issue-gravitational-teleport-66851/quoted/netstat-nr-inet6.txt": "fe80::/64 en0\n",
		// IPv6 from a router's prefix delegation: the /64s on the link,
		// not the /60 and /48 behind the router.
		"issue-eycorsican-leaf-129/quoted/netstat-nr-inet6.txt": "240e:3b7:691:e2e0::/64 en0\nfd81:1dbd:fa00::/64 en0\n",
	} {
		if g, ok := got[path]; !ok || g != want {
			t.Errorf("%s: connected subnets\n%s(found %v), want\n%s", path, g, ok, want)
		}
	}
}

// The simulated Mac, put in the state of a real one, prints what the
// real one printed, or at least what the parsers read the same way.
func TestRealFakeMacAgrees(t *testing.T) {
	ctx := context.Background()
	f := newFakeMac(t)
	// The neofetch machine: Wi-Fi behind 10.62.96.1 and a VPN on utun3
	// with 0/1 (and, presumably, 128.0/1) via 192.168.12.1.
	f.ifaces["utun3"] = &fakeMacIface{up: true, p2p: true, mtu: 1500}
	f.routes[netip.MustParsePrefix("0.0.0.0/0")] = fakeMacRoute{gateway: netip.MustParseAddr("10.62.96.1"), iface: "en0"}
	f.routes[netip.MustParsePrefix("0.0.0.0/1")] = fakeMacRoute{gateway: netip.MustParseAddr("192.168.12.1"), iface: "utun3"}
	// route -n get default looks the default route itself up, not the
	// longer 0/1 that holds 0.0.0.0: what the real one said, each
	// "key: value" line byte for byte. (The fake's metrics line is one
	// space short before the mtu column; nothing reads it.)
	out, err := f.run(ctx, "route", "-n", "get", "-inet", "default")
	want := macRealSampleAt(t, "issue-dylanaraps-neofetch-2361/quoted/route-get-default.txt")
	if err != nil || !sameMacRouteGet(out, want) {
		t.Errorf("fake route -n get default: %v\n%s\nreal:\n%s", err, out, want)
	}
	// An address inside 0/1: the real route(8) names the destination
	// "default" with mask 128.0.0.0, the fake 0.0.0.0 with mask 1; the
	// parser reads neither, and the gateway and interface agree.
	out, err = f.run(ctx, "route", "-n", "get", "-inet", "0.0.0.1")
	fake, ferr := parseMacRouteGet(out)
	real, rerr := parseMacRouteGet(macRealSampleAt(t, "issue-dylanaraps-neofetch-2361/quoted/route-get-0.0.0.1.txt"))
	if err != nil || ferr != nil || rerr != nil || fake != real {
		t.Errorf("route -n get 0.0.0.1: fake %+v (%v, %v), real %+v (%v)", fake, err, ferr, real, rerr)
	}

	// The DefGuard utun: the real one also has an IPv6 link-local
	// address, which the fake does not assign; the rest agrees.
	f.ifaces["utun4"] = &fakeMacIface{up: true, p2p: true, mtu: 1420, addrs: []netip.Prefix{
		netip.MustParsePrefix("192.168.48.66/32"), netip.MustParsePrefix("2001:1ab9:f002:3::42/128"),
	}}
	out, err = f.run(ctx, "ifconfig", "utun4")
	fakeIf, ferr := parseMacIfconfig(out)
	realIf, rerr := parseMacIfconfig(macRealSampleAt(t, "issue-defguard-client-780/quoted/ifconfig-utun4.txt"))
	realIf.Addrs = slices.DeleteFunc(realIf.Addrs, netip.Addr.IsLinkLocalUnicast)
	if err != nil || ferr != nil || rerr != nil || !reflect.DeepEqual(fakeIf, realIf) {
		t.Errorf("ifconfig utun4: fake %+v (%v, %v), real without link-local %+v (%v)", fakeIf, err, ferr, realIf, rerr)
	}

	// networksetup on the mageddo machine.
	f.services = []string{"USB 10/100/1000 LAN", "Wi-Fi", "Thunderbolt Bridge"}
	f.dns = map[string]*macServiceDNS{"USB 10/100/1000 LAN": {}, "Wi-Fi": {}, "Thunderbolt Bridge": {}}
	out, err = f.run(ctx, "networksetup", "-listallnetworkservices")
	if want := macRealSampleAt(t, "issue-mageddo-dns-proxy-server-335/quoted/networksetup-listallnetworkservices.txt"); err != nil || string(out) != string(want) {
		t.Errorf("fake networksetup -listallnetworkservices: %v\n%s\nreal:\n%s", err, out, want)
	}
	// The real sentence ends in a space, the fake's does not; both read
	// as no servers.
	out, err = f.run(ctx, "networksetup", "-getdnsservers", "Wi-Fi")
	fakeDNS, ferr := parseMacDNSList(out, true)
	if err != nil || ferr != nil || fakeDNS != nil {
		t.Errorf("fake -getdnsservers Wi-Fi without servers: %q (%v, %v)", fakeDNS, err, ferr)
	}
	if _, err := f.run(ctx, "networksetup", "-setdnsservers", "Wi-Fi", "8.8.8.8", "8.8.4.4"); err != nil {
		t.Fatal(err)
	}
	out, err = f.run(ctx, "networksetup", "-getdnsservers", "Wi-Fi")
	if want := macRealSampleAt(t, "issue-mageddo-dns-proxy-server-335/quoted-2/networksetup-getdnsservers-Wi-Fi.txt"); err != nil || string(out) != string(want) {
		t.Errorf("fake -getdnsservers Wi-Fi: %v\n%s\nreal:\n%s", err, out, want)
	}
}

// sameMacRouteGet compares two outputs of route -n get: the "key: value"
// lines exactly, the metrics table by its words.
func sameMacRouteGet(a, b []byte) bool {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	if len(la) != len(lb) {
		return false
	}
	for i := range la {
		if strings.Contains(la[i], ":") || strings.Contains(lb[i], ":") {
			if la[i] != lb[i] {
				return false
			}
		} else if !slices.Equal(strings.Fields(la[i]), strings.Fields(lb[i])) {
			return false
		}
	}
	return true
}

// A workflow run's capture (gh-*): after down, the routes and DNS are
// what they were before; while a full tunnel is up, the two halves go
// into a utun and route -n get default still names the uplink.
func TestRealWorkflowCaptures(t *testing.T) {
	byCapture := map[string]map[string]map[string][]byte{} // capture → phase → name → output
	for _, s := range readMacRealSamples(t) {
		if !strings.HasPrefix(s.capture, "gh-") {
			continue
		}
		if byCapture[s.capture] == nil {
			byCapture[s.capture] = map[string]map[string][]byte{}
		}
		if byCapture[s.capture][s.phase] == nil {
			byCapture[s.capture][s.phase] = map[string][]byte{}
		}
		byCapture[s.capture][s.phase][s.name] = s.out
	}
	if len(byCapture) == 0 {
		t.Skip("no workflow capture in testdata/macos-real yet (see its README.md)")
	}
	// restorable is what down must restore: the connected subnets and
	// every service's DNS servers.
	restorable := func(files map[string][]byte) string {
		var l []string
		for name, out := range files {
			switch {
			case strings.HasPrefix(name, "netstat-nr-"):
				for _, c := range parseMacConnected(string(out)) {
					l = append(l, "connected "+c.Prefix.String()+" "+c.Interface)
				}
			case strings.HasPrefix(name, "networksetup-getdnsservers-"):
				servers, err := parseMacDNSList(out, true)
				if err != nil {
					t.Errorf("%s: %v", name, err)
				}
				l = append(l, "dns "+name+" "+strings.Join(servers, ","))
			}
		}
		slices.Sort(l)
		return strings.Join(l, "\n")
	}
	for capture, phases := range byCapture {
		before, ok := phases["before"]
		if !ok {
			t.Errorf("%s: no before phase", capture)
			continue
		}
		for _, down := range []string{"split-down", "full-down"} {
			if files, ok := phases[down]; ok && restorable(files) != restorable(before) {
				t.Errorf("%s: %s differs from before:\n%s\n---\n%s", capture, down, restorable(files), restorable(before))
			}
		}
		up, ok := phases["full-up"]
		if !ok {
			continue
		}
		info, err := parseMacRouteGet(up["route-get-default"])
		uplink, err2 := parseMacRouteGet(before["route-get-default"])
		if err != nil || err2 != nil || info != uplink {
			t.Errorf("%s: route -n get default with a full tunnel up: %+v (%v), before %+v (%v)", capture, info, err, uplink, err2)
		}
		halves := 0
		for _, line := range strings.Split(string(up["netstat-nr-inet"]), "\n") {
			f := strings.Fields(line)
			if len(f) >= 4 && (f[0] == "0/1" || f[0] == "128.0/1") && strings.HasPrefix(f[3], "utun") {
				halves++
			}
		}
		if halves != 2 {
			t.Errorf("%s: full-up has %d of the routes 0/1 and 128.0/1 on a utun, want 2", capture, halves)
		}
	}
}
