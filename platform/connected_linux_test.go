package platform

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/wgdesk/wgdesk/config"
)

func localText(ls []config.LocalSubnet) string {
	var b strings.Builder
	for _, l := range ls {
		if l.Prefix.Addr().IsLinkLocalUnicast() {
			continue // fe80::/64 on every link, whatever the kernel decides
		}
		fmt.Fprintf(&b, "%s %s\n", l.Prefix, l.Interface)
	}
	return b.String()
}

// The connected subnets are the uplinks' on-link routes: not the routes
// a split tunnel adds on its interface (they look on-link too), not
// loopback, not gateway routes, each with its link's name.
func TestLinuxConnectedSubnets(t *testing.T) {
	f := newLinuxFixture(t)
	h := f.ns.h
	// A second uplink, the café's Wi-Fi (a veth pair: no dummy module
	// on every kernel).
	if err := h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "lan0"}, PeerName: "lan1"}); err != nil {
		t.Fatal(err)
	}
	lan, err := h.LinkByName("lan0")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"192.168.88.7/16", "fd00:88::7/64"} {
		if err := h.AddrAdd(lan, &netlink.Addr{IPNet: ipNet(netip.MustParsePrefix(a))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.LinkSetUp(lan); err != nil {
		t.Fatal(err)
	}
	f.apply(t, splitSettings())
	t.Cleanup(func() { f.apply(t, Settings{}) })

	got, err := ConnectedSubnetsOf(f.net)
	if err != nil {
		t.Fatal(err)
	}
	want := "192.168.0.0/16 lan0\n198.51.100.0/24 up0\nfd00:88::/64 lan0\n"
	if s := localText(got); s != want {
		t.Errorf("ConnectedSubnets:\n%s\nwant\n%s", s, want)
	}

	// The package function, run in the namespace, knows no tunnel names
	// and leaves TUN links out by their type.
	var all []config.LocalSubnet
	if err := f.ns.inNS(func() (err error) { all, err = ConnectedSubnets(); return err }); err != nil {
		t.Fatal(err)
	}
	if s := localText(all); s != want {
		t.Errorf("ConnectedSubnets in the namespace:\n%s\nwant\n%s", s, want)
	}

	// Allow LAN reads the same subnets.
	f.net.mu.Lock()
	prefixesOnly, err := f.net.connectedSubnetsLocked(nil)
	f.net.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	var fromGot []netip.Prefix
	for _, l := range got {
		fromGot = append(fromGot, l.Prefix)
	}
	if fromGot = slices.Compact(fromGot); !slices.Equal(prefixesOnly, fromGot) {
		t.Errorf("Allow LAN's subnets %v, the warning's %v", prefixesOnly, got)
	}
}
