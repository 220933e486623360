package platform

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// aliasedFakeWin is the fake IP helper that also names adapters, as the
// real one does.
type aliasedFakeWin struct{ *fakeWin }

func (a aliasedFakeWin) interfaceAlias(luid uint64) (string, error) { return a.name(luid), nil }

// On Windows the connected subnets are the on-link rows of the IP
// helper's table, without those of our tunnel (whose split routes are
// on-link too) and without gateway routes, named by adapter alias.
func TestWinConnectedSubnetsForWarnings(t *testing.T) {
	f := newFakeWin(t)
	n := newWinNetwork(Options{StateDir: t.TempDir(), Logger: Logger{Verbosef: t.Logf, Errorf: t.Logf}}, aliasedFakeWin{f})
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
	var b strings.Builder
	for _, l := range got {
		fmt.Fprintf(&b, "%s %s\n", l.Prefix, l.Interface)
	}
	if want := "10.9.0.0/16 Wi-Fi\n192.168.1.0/24 Ethernet\n"; b.String() != want {
		t.Errorf("ConnectedSubnets:\n%s\nwant\n%s", b.String(), want)
	}
	// Without names (a helper that cannot say) the subnets still come.
	plain, err := newWinNetwork(Options{StateDir: t.TempDir()}, newFakeWin(t)).ConnectedSubnets()
	if err != nil || len(plain) != 2 || plain[0].Interface != "" {
		t.Errorf("unnamed: %v, %v", plain, err)
	}
}
