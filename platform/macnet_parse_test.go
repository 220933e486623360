package platform

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The samples in testdata/macnet-*.txt are written from the documented
// output formats of macOS 13-15's tools, not captured on a live Mac.

func readMacSample(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseMacRouteGet(t *testing.T) {
	for _, tc := range []struct {
		file string
		want macRouteInfo
	}{
		{"macnet-route-get-default.txt", macRouteInfo{Gateway: netip.MustParseAddr("192.168.1.1"), Interface: "en0"}},
		{"macnet-route-get-default-inet6.txt", macRouteInfo{Gateway: netip.MustParseAddr("fe80::1%en0"), Interface: "en0"}},
		{"macnet-route-get-default-ppp.txt", macRouteInfo{Interface: "ppp0"}},
	} {
		got, err := parseMacRouteGet(readMacSample(t, tc.file))
		if err != nil || got != tc.want {
			t.Errorf("%s: got %+v, %v; want %+v", tc.file, got, err, tc.want)
		}
	}
	if _, err := parseMacRouteGet([]byte("route: writing to routing socket: not in table\n")); err == nil {
		t.Error("output without an interface accepted")
	}
	// An interface route's gateway is a link, not an address.
	got, err := parseMacRouteGet([]byte("destination: 10.0.0.0\n    gateway: link#18\n  interface: utun3\n"))
	if err != nil || got.Gateway.IsValid() || got.Interface != "utun3" {
		t.Errorf("link gateway: %+v, %v", got, err)
	}
}

func TestParseMacIfconfig(t *testing.T) {
	en0, err := parseMacIfconfig(readMacSample(t, "macnet-ifconfig-en0.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !en0.Up || en0.MTU != 1500 || !en0.hasAddr(netip.MustParseAddr("192.168.1.23")) ||
		!en0.hasAddr(netip.MustParseAddr("fe80::1c2b:3d4e:5f60:7182")) || len(en0.Addrs) != 3 {
		t.Errorf("en0: %+v", en0)
	}
	utun, err := parseMacIfconfig(readMacSample(t, "macnet-ifconfig-utun.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := macIfconfig{Up: true, MTU: 1420, Addrs: []netip.Addr{
		netip.MustParseAddr("10.66.0.2"), netip.MustParseAddr("fe80::a8bb:ccff:fedd:eeff"), netip.MustParseAddr("fd66::2"),
	}}
	if !reflect.DeepEqual(utun, want) {
		t.Errorf("utun: %+v, want %+v", utun, want)
	}
	fresh, err := parseMacIfconfig(readMacSample(t, "macnet-ifconfig-utun-new.txt"))
	if err != nil || fresh.Up || fresh.MTU != 1500 || len(fresh.Addrs) != 0 {
		t.Errorf("new utun: %+v, %v", fresh, err)
	}
	for _, bad := range []string{"", "utun5: flags=8051<UP> mtu lots\n", "utun5: flags=8051<UP> mtu 1420\n\tinet 10.0.0.300 --> x\n"} {
		if _, err := parseMacIfconfig([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestParseMacServices(t *testing.T) {
	got, err := parseMacServices(readMacSample(t, "macnet-listallnetworkservices.txt"))
	want := []string{"USB 10/100/1000 LAN", "Wi-Fi", "Thunderbolt Bridge", "iPhone USB"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
	if _, err := parseMacServices([]byte("** Error: Unable to get the list of services.\n")); err == nil {
		t.Error("error output accepted")
	}
}

func TestParseMacDNSList(t *testing.T) {
	for _, tc := range []struct {
		file   string
		isAddr bool
		want   []string
	}{
		{"macnet-getdnsservers-none.txt", true, nil},
		{"macnet-getsearchdomains-none.txt", false, nil},
		{"macnet-getdnsservers-two.txt", true, []string{"192.168.1.1", "2001:db8:1::1"}},
	} {
		got, err := parseMacDNSList(readMacSample(t, tc.file), tc.isAddr)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q, %v; want %q", tc.file, got, err, tc.want)
		}
	}
	got, err := parseMacDNSList([]byte("corp.example\nexample.com\n"), false)
	if err != nil || !slices.Equal(got, []string{"corp.example", "example.com"}) {
		t.Errorf("search domains: %q, %v", got, err)
	}
	for _, bad := range []string{
		"Wi-Fi is not a recognized network service.\n** Error: The parameters were not valid.\n",
		"not-an-address\n",
	} {
		if _, err := parseMacDNSList([]byte(bad), true); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestCheckNetworksetup(t *testing.T) {
	if err := checkNetworksetup(nil); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"** Error: The parameters were not valid.", "Foo is not a recognized network service."} {
		if err := checkNetworksetup([]byte(bad)); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestMacJournalRoundTrip(t *testing.T) {
	j := newJournal(t.TempDir())
	e := &macEntry{
		Interface: "utun5",
		Addresses: prefixes("10.66.0.2/32", "fd66::2/64"),
		Routes:    prefixes("0.0.0.0/1", "128.0.0.0/1"),
		Bypass: []macBypass{
			{Dest: netip.MustParseAddr("203.0.113.7"), Gateway: netip.MustParseAddr("192.168.1.1")},
			{Dest: netip.MustParseAddr("2001:db8::7"), Gateway: netip.MustParseAddr("fe80::1%en0")},
			{Dest: netip.MustParseAddr("198.51.100.9"), Via: "ppp0"},
		},
		DNS: &macDNSRecord{
			Servers:  []netip.Addr{netip.MustParseAddr("10.66.0.1")},
			Services: []macServiceDNS{{Name: "Wi-Fi"}, {Name: "USB 10/100/1000 LAN", Servers: []string{"192.168.1.53"}, Search: []string{"lan.example"}}},
		},
	}
	if err := j.saveMac(e); err != nil {
		t.Fatal(err)
	}
	p, _ := j.path("utun5")
	// The mode on Unix only, as in TestJournalRoundTrip.
	if st, err := os.Stat(p); err != nil || (runtime.GOOS != "windows" && st.Mode().Perm() != 0o600) {
		t.Fatalf("journal file: %v, %v", st, err)
	}
	got, err := j.loadMac()
	if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], e) {
		t.Fatalf("loaded %+v, %v; want %+v", got, err, e)
	}
	if err := j.saveMac(&macEntry{Interface: "utun5"}); err != nil {
		t.Fatal(err)
	}
	if got, err := j.loadMac(); err != nil || len(got) != 0 {
		t.Fatalf("after clearing: %v, %v", got, err)
	}
	if err := j.saveMac(&macEntry{Interface: "../x", Routes: prefixes("10.0.0.0/8")}); err == nil {
		t.Error("bad interface name accepted")
	}
}
