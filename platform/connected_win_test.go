package platform

import (
	"context"
	"net/netip"
	"testing"
)

// On Windows the connected subnets are the on-link rows of the IP
// helper's table, without those of our tunnel (whose split routes are
// on-link too) and without gateway routes.
func TestWinConnectedSubnetsForWarnings(t *testing.T) {
	n, _, _ := newTestWin(t)
	s := Settings{
		Addresses: prefixes("10.66.0.2/32"),
		Routes:    prefixes("10.66.0.0/24", "192.168.1.0/25"),
	}
	if err := n.Apply(context.Background(), "home", s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Apply(context.Background(), "home", Settings{}) })
	got, err := ConnectedSubnetsOf(n)
	if err != nil {
		t.Fatal(err)
	}
	var ps []netip.Prefix
	for _, l := range got {
		ps = append(ps, l.Prefix)
	}
	if want := prefixes("10.9.0.0/16", "192.168.1.0/24"); len(ps) != 2 || ps[0] != want[0] || ps[1] != want[1] {
		t.Errorf("ConnectedSubnets = %v, want %v", ps, want)
	}
}
