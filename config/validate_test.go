package config

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// Validate checks configs built in code, as an editor makes them.
func TestValidate(t *testing.T) {
	good := func() *Config {
		return &Config{
			Interface: Interface{PrivateKey: testKey(1), Addresses: []netip.Prefix{netip.MustParsePrefix("fd00::2/64")}},
			Peers: []Peer{
				{PublicKey: testKey(2).PublicKey(), Endpoint: Endpoint{"vpn.example.com", 51820}},
				{PublicKey: testKey(3).PublicKey()},
			},
		}
	}
	if err := good().Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	tests := []struct {
		name   string
		change func(c *Config)
		key    string
		msg    string
	}{
		{"no private key", func(c *Config) { c.Interface.PrivateKey = Key{} }, "PrivateKey", "missing PrivateKey"},
		{"no public key", func(c *Config) { c.Peers[1].PublicKey = Key{} }, "PublicKey", "[Peer] number 2"},
		{"duplicate public key", func(c *Config) { c.Peers[1].PublicKey = c.Peers[0].PublicKey }, "PublicKey", "in [Peer] number 1"},
		{"zero address", func(c *Config) { c.Interface.Addresses = append(c.Interface.Addresses, netip.Prefix{}) }, "Address", "invalid Address"},
		{"zero dns", func(c *Config) { c.Interface.DNS = []netip.Addr{{}} }, "DNS", "invalid DNS server"},
		{"bad search domain", func(c *Config) { c.Interface.DNSSearch = []string{"a b"} }, "DNS", "search domain"},
		{"mtu too small", func(c *Config) { c.Interface.MTU = 100 }, "MTU", "below 576"},
		{"mtu too small for ipv6", func(c *Config) { c.Interface.MTU = 1200 }, "MTU", "IPv6"},
		{"bad table", func(c *Config) { c.Interface.Table = "a b" }, "Table", "invalid Table"},
		{"multi-line script", func(c *Config) { c.Interface.PostUp = []string{"echo a\necho b"} }, "PostUp", "PostUp command"},
		{"script with spaces", func(c *Config) { c.Interface.PreDown = []string{" echo"} }, "PreDown", "PreDown command"},
		{"empty script", func(c *Config) { c.Interface.PreUp = []string{""} }, "PreUp", "PreUp command"},
		{"zero allowed ip", func(c *Config) { c.Peers[0].AllowedIPs = []netip.Prefix{{}} }, "AllowedIPs", "invalid AllowedIPs"},
		{"endpoint without port", func(c *Config) { c.Peers[0].Endpoint.Port = 0 }, "Endpoint", "port"},
		{"endpoint without host", func(c *Config) { c.Peers[0].Endpoint.Host = "" }, "Endpoint", "host"},
		{"endpoint bad host", func(c *Config) { c.Peers[0].Endpoint.Host = "a b" }, "Endpoint", "host name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good()
			tt.change(c)
			err := c.Validate()
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Validate = %v, want a *ParseError", err)
			}
			if pe.Line != 0 || pe.Key != tt.key || !strings.Contains(pe.Msg, tt.msg) || pe.Hint == "" {
				t.Errorf("got %+v, want key %s and message with %q", pe, tt.key, tt.msg)
			}
			checkErrorForm(t, pe)
		})
	}
}
