package config

import (
	"net/netip"
	"strings"
	"testing"
)

func TestMarshalCanonical(t *testing.T) {
	c := &Config{
		Interface: Interface{
			PrivateKey: testKey(1),
			ListenPort: 51820,
			FwMark:     51820,
			Addresses:  []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24"), netip.MustParsePrefix("fd00::2/64")},
			DNS:        []netip.Addr{netip.MustParseAddr("10.0.0.1")},
			DNSSearch:  []string{"example.com"},
			MTU:        1420,
			Table:      "off",
			PreUp:      []string{"echo 1"},
			PostUp:     []string{"echo 2 # hash", "echo 3; echo 4"},
			PreDown:    []string{"echo 5"},
			PostDown:   []string{"echo 6"},
			SaveConfig: true,
		},
		Peers: []Peer{
			{
				PublicKey:           testKey(2).PublicKey(),
				PresharedKey:        testKey(3),
				AllowedIPs:          []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")},
				Endpoint:            Endpoint{Host: "2001:db8::1", Port: 13231},
				PersistentKeepalive: 25,
			},
			{PublicKey: testKey(4).PublicKey()},
		},
	}
	want := "[Interface]\n" +
		"PrivateKey = " + testKey(1).String() + "\n" +
		"ListenPort = 51820\n" +
		"FwMark = 0xca6c\n" +
		"Address = 10.0.0.2/24, fd00::2/64\n" +
		"DNS = 10.0.0.1, example.com\n" +
		"MTU = 1420\n" +
		"Table = off\n" +
		"PreUp = echo 1\n" +
		"PostUp = echo 2 # hash\n" +
		"PostUp = echo 3; echo 4\n" +
		"PreDown = echo 5\n" +
		"PostDown = echo 6\n" +
		"SaveConfig = true\n" +
		"\n[Peer]\n" +
		"PublicKey = " + testKey(2).PublicKey().String() + "\n" +
		"PresharedKey = " + testKey(3).String() + "\n" +
		"AllowedIPs = 0.0.0.0/0, ::/0\n" +
		"Endpoint = [2001:db8::1]:13231\n" +
		"PersistentKeepalive = 25\n" +
		"\n[Peer]\n" +
		"PublicKey = " + testKey(4).PublicKey().String() + "\n"
	if got := string(c.Marshal()); got != want {
		t.Errorf("Marshal:\n%s\nwant:\n%s", got, want)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	assertRoundTrip(t, c)
}

func TestMarshalOmitsZeroValues(t *testing.T) {
	c := &Config{Interface: Interface{PrivateKey: testKey(1)}, Peers: []Peer{{PublicKey: testKey(2).PublicKey()}}}
	got := string(c.Marshal())
	want := "[Interface]\nPrivateKey = " + testKey(1).String() + "\n\n[Peer]\nPublicKey = " + testKey(2).PublicKey().String() + "\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if strings.Contains(got, "\r") {
		t.Error("CR in output")
	}
	// A redacted config has no secrets to write at all.
	r := string(c.Redact().Marshal())
	if strings.Contains(r, "PrivateKey") || strings.Contains(r, testKey(1).String()) {
		t.Errorf("redacted output holds the private key: %q", r)
	}
}
