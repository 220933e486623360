package doctor

import (
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/config"
)

const homeConf = `[Interface]
PrivateKey = AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=
Address = 192.168.100.2/24
DNS = 192.168.100.1

[Peer]
PublicKey = ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4Q=
AllowedIPs = 192.168.100.0/24, 192.168.88.0/24
Endpoint = router.example.net:13231
`

func TestPingTarget(t *testing.T) {
	for _, tc := range []struct{ conf, target, src string }{
		{homeConf, "192.168.100.1", "192.168.100.2"},
		// No DNS: the first host of the first network.
		{strings.Replace(homeConf, "DNS = 192.168.100.1\n", "", 1), "192.168.100.1", "192.168.100.2"},
		// A full tunnel with a /32 address and no DNS: nothing to ping.
		{"[Interface]\nPrivateKey = AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\nAddress = 10.0.0.2/32\n[Peer]\nPublicKey = ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4Q=\nAllowedIPs = 0.0.0.0/0\nEndpoint = 1.2.3.4:51820\n", "invalid IP", "invalid IP"},
		// A full tunnel with a /24 address: the router's address.
		{"[Interface]\nPrivateKey = AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\nAddress = 10.0.0.2/24\n[Peer]\nPublicKey = ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4Q=\nAllowedIPs = 0.0.0.0/0\nEndpoint = 1.2.3.4:51820\n", "10.0.0.1", "10.0.0.2"},
	} {
		cfg, _, err := config.Parse([]byte(tc.conf))
		if err != nil {
			t.Fatal(err)
		}
		target, src := pingTarget(cfg)
		if target.String() != tc.target || src.String() != tc.src {
			t.Errorf("target %s from %s, want %s from %s\n%s", target, src, tc.target, tc.src, tc.conf)
		}
	}
}

func TestFwmark(t *testing.T) {
	for conf, want := range map[string]uint32{
		"AllowedIPs = 0.0.0.0/0":                  51820,
		"AllowedIPs = 10.0.0.0/8":                 0,
		"AllowedIPs = 0.0.0.0/0\n#\n":             51820,
		"AllowedIPs = ::/0, 10.0.0.0/8":           51820,
		"AllowedIPs = 10.0.0.0/8, 192.168.0.0/16": 0,
	} {
		cfg, _, err := config.Parse([]byte("[Interface]\nPrivateKey = AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\n[Peer]\nPublicKey = ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4Q=\n" + conf + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		if got := fwmark(cfg); got != want {
			t.Errorf("%q: fwmark %d, want %d", conf, got, want)
		}
	}
	cfg, _, _ := config.Parse([]byte("[Interface]\nPrivateKey = AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\nFwMark = 1234\n[Peer]\nPublicKey = ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4Q=\nAllowedIPs = 10.0.0.0/8\n"))
	if got := fwmark(cfg); got != 1234 {
		t.Errorf("FwMark 1234: %d", got)
	}
}

func TestDNSMessage(t *testing.T) {
	q, id := rootNSQuery()
	if len(q) != 17 || q[12] != 0 || q[14] != 2 {
		t.Fatalf("query % x", q)
	}
	reply := append([]byte(nil), q...)
	reply[2] |= 0x80
	reply[3] = 0x83 // recursion available, NXDOMAIN
	if rcode, ok := parseReply(reply, id); !ok || rcode != 3 {
		t.Fatalf("rcode %d ok %v", rcode, ok)
	}
	if _, ok := parseReply(q, id); ok {
		t.Fatal("a query taken for a reply")
	}
	if _, ok := parseReply(reply, id+1); ok {
		t.Fatal("a reply to another id accepted")
	}
}
