package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func sampleConfig(t *testing.T) *Config {
	t.Helper()
	c, _ := parseOK(t, "[Interface]\nPrivateKey = "+testKey(1).String()+"\nAddress = 10.0.0.2/24\nDNS = 1.1.1.1, example.com\n"+
		"PostUp = echo up\nPreUp = a\nPreDown = b\nPostDown = c\n"+
		"[Peer]\nPublicKey = "+testKey(2).PublicKey().String()+"\nPresharedKey = "+testKey(3).String()+"\nAllowedIPs = 0.0.0.0/0\n"+
		"[Peer]\nPublicKey = "+testKey(4).PublicKey().String()+"\nPresharedKey = "+testKey(5).String()+"\nAllowedIPs = 10.9.0.0/16\n")
	return c
}

func TestRedact(t *testing.T) {
	c := sampleConfig(t)
	r := c.Redact()
	if !r.Interface.PrivateKey.IsZero() {
		t.Error("private key kept")
	}
	for i, p := range r.Peers {
		if !p.PresharedKey.IsZero() {
			t.Errorf("peer %d preshared key kept", i)
		}
		if p.PublicKey != c.Peers[i].PublicKey {
			t.Errorf("peer %d public key lost", i)
		}
	}
	text := string(r.Marshal())
	for _, secret := range []Key{testKey(1), testKey(3), testKey(5)} {
		if strings.Contains(text, secret.String()) {
			t.Errorf("redacted text holds a secret")
		}
	}
	// The original is untouched.
	if c.Interface.PrivateKey != testKey(1) || c.Peers[0].PresharedKey != testKey(3) || c.Peers[1].PresharedKey != testKey(5) {
		t.Error("Redact changed the original")
	}
	// What may be shown of the secrets survives: the public key and that
	// a preshared key is in use.
	if r.Interface.PublicKey() != testKey(1).PublicKey() {
		t.Error("the interface public key is lost by Redact")
	}
	for i, p := range r.Peers {
		if !p.HasPresharedKey() {
			t.Errorf("peer %d: that a preshared key is set is lost by Redact", i)
		}
	}
	if r.Redact().Interface.PublicKey() != testKey(1).PublicKey() || !r.Redact().Peers[0].HasPresharedKey() {
		t.Error("redacting twice loses the public key or the preshared flag")
	}
	// Everything but the secrets is kept.
	r.Interface.PrivateKey = c.Interface.PrivateKey
	r.Peers[0].PresharedKey, r.Peers[1].PresharedKey = c.Peers[0].PresharedKey, c.Peers[1].PresharedKey
	if string(r.Marshal()) != string(c.Marshal()) {
		t.Errorf("Redact changed more than the secrets:\n%s\n%s", r.Marshal(), c.Marshal())
	}
	if plain := sampleConfig(t); plain.Peers[0].HasPresharedKey() != true || (Peer{}).HasPresharedKey() {
		t.Error("HasPresharedKey wrong on an unredacted config")
	}
	var nilConfig *Config
	if nilConfig.Redact() != nil || nilConfig.Clone() != nil {
		t.Error("nil config not kept nil")
	}
}

func TestCloneIsDeep(t *testing.T) {
	c := sampleConfig(t)
	d := c.Clone()
	if !reflect.DeepEqual(c, d) {
		t.Fatalf("clone differs")
	}
	d.Interface.Addresses[0] = netip.MustParsePrefix("192.0.2.1/32")
	d.Interface.DNS[0] = netip.MustParseAddr("192.0.2.53")
	d.Interface.DNSSearch[0] = "changed.example"
	d.Interface.PostUp[0] = "rm -rf /"
	d.Interface.PreUp[0], d.Interface.PreDown[0], d.Interface.PostDown[0] = "x", "y", "z"
	d.Peers[0].AllowedIPs[0] = netip.MustParsePrefix("192.0.2.0/24")
	d.Peers[1].PublicKey = Key{}
	d.Peers = append(d.Peers, Peer{})
	if !reflect.DeepEqual(c, sampleConfig(t)) {
		t.Errorf("changing the clone changed the original: %+v", c)
	}
}
