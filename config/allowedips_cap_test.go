package config

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// manyPrefixes returns n distinct IPv4 /32s.
func manyPrefixes(first, n int) []netip.Prefix {
	out := make([]netip.Prefix, n)
	for i := range out {
		v := first + i
		out[i] = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(v >> 16), byte(v >> 8), byte(v)}), 32)
	}
	return out
}

func TestAllowedIPsCap(t *testing.T) {
	cfg := &Config{
		Interface: Interface{PrivateKey: testKey(1)},
		Peers: []Peer{
			{PublicKey: testKey(2).PublicKey(), AllowedIPs: manyPrefixes(0, MaxAllowedIPs-10)},
			{PublicKey: testKey(3).PublicKey(), AllowedIPs: manyPrefixes(MaxAllowedIPs, 10)},
		},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("%d AllowedIPs: %v", MaxAllowedIPs, err)
	}
	// One more, in either peer, is refused, with the peer and a hint.
	cfg.Peers[1].AllowedIPs = append(cfg.Peers[1].AllowedIPs, netip.MustParsePrefix("192.168.0.0/16"))
	err := cfg.Validate()
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Key != "AllowedIPs" || !strings.Contains(pe.Msg, fmt.Sprint(MaxAllowedIPs)) || !strings.Contains(pe.Hint, "merge") {
		t.Fatalf("%d AllowedIPs: %v, want a ParseError about AllowedIPs naming the limit", MaxAllowedIPs+1, err)
	}

	// Text under the size limit can hold more, as near duplicates.
	var b strings.Builder
	fmt.Fprintf(&b, "[Interface]\nPrivateKey = %s\n\n[Peer]\nPublicKey = %s\nAllowedIPs = ", testKey(1), testKey(2).PublicKey())
	for i := range MaxAllowedIPs + 1 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("1.0.0.0/8")
	}
	b.WriteByte('\n')
	if b.Len() > MaxTextSize {
		t.Fatalf("the test text is %d bytes, over the %d limit", b.Len(), MaxTextSize)
	}
	_, _, err = Parse([]byte(b.String()))
	if !errors.As(err, &pe) || pe.Key != "AllowedIPs" || pe.Line != 4 {
		t.Fatalf("parse of %d AllowedIPs: %v, want a ParseError about AllowedIPs on line 4", MaxAllowedIPs+1, err)
	}
}
