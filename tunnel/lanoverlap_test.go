package tunnel

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/config"
)

func TestLANOverlaps(t *testing.T) {
	p := netip.MustParsePrefix
	lans := []ConnectedNet{
		{Prefix: p("192.168.88.0/24"), Interface: "wlan0"},
		{Prefix: p("10.0.0.0/16"), Interface: "eth0"},
		{Prefix: p("fd00:1::/64"), Interface: "eth0"},
	}
	routes := []netip.Prefix{
		p("0.0.0.0/0"), p("0.0.0.0/1"), p("128.0.0.0/1"), p("::/0"), // full tunnels leave the LAN alone
		p("192.168.88.0/24"), // RouterOS's default LAN at home and at the café
		p("10.0.5.0/24"),     // inside the office LAN
		p("10.0.0.0/8"),      // contains it
		p("172.16.0.0/12"),   // no overlap
		p("fd00::/16"),
	}
	got := LANOverlaps(routes, lans)
	var lines []string
	for _, o := range got {
		lines = append(lines, o.Route.String()+" "+o.LAN.Prefix.String()+" "+o.LAN.Interface+" "+o.Shadowed().String())
	}
	want := []string{
		"192.168.88.0/24 192.168.88.0/24 wlan0 192.168.88.0/24",
		"10.0.5.0/24 10.0.0.0/16 eth0 10.0.5.0/24",
		"10.0.0.0/8 10.0.0.0/16 eth0 10.0.0.0/16",
		"fd00::/16 fd00:1::/64 eth0 fd00:1::/64",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("overlaps:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for i, frag := range []string{"only one side of 192.168.88.0/24", "hosts of that LAN in 10.0.5.0/24 cannot be reached", "hosts in 10.0.0.0/16 behind the tunnel cannot be reached"} {
		if s := got[i].Sentence(); !strings.Contains(s, frag) {
			t.Errorf("sentence %d %q lacks %q", i, s, frag)
		}
	}
}

func TestTunnelRoutes(t *testing.T) {
	cfg := &config.Config{Peers: []config.Peer{
		{AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.1.2.3/24"), netip.MustParsePrefix("10.66.0.0/24")}},
		{AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.1.2.0/24")}},
	}}
	if got := TunnelRoutes(cfg); len(got) != 2 || got[0].String() != "10.1.2.0/24" || got[1].String() != "10.66.0.0/24" {
		t.Fatalf("routes %v", got)
	}
	cfg.Interface.Table = "off"
	if got := TunnelRoutes(cfg); got != nil {
		t.Fatalf("Table off routes %v", got)
	}
}
