package platform

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

// TestLinuxRecoverResolvedStaleIndex is a journal left by a service that
// died before a reboot: it names systemd-resolved's link index of the
// tunnel, which after the reboot belongs to another link. Recover must not
// revert that link's DNS (the uplink's, from DHCP), and must still revert
// the tunnel's when the index does name it.
func TestLinuxRecoverResolvedStaleIndex(t *testing.T) {
	f := newLinuxFixture(t)
	tun, err := f.ns.h.LinkByName(tunName)
	if err != nil {
		t.Fatal(err)
	}
	uplink, err := f.ns.h.LinkByName("up0")
	if err != nil {
		t.Fatal(err)
	}
	// A veth with the tunnel's old name: the name alone is not enough.
	if err := f.ns.h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "wgold0"}, PeerName: "wgold1"}); err != nil {
		t.Fatal(err)
	}
	impostor, err := f.ns.h.LinkByName("wgold0")
	if err != nil {
		t.Fatal(err)
	}
	j := newJournal(f.stateDir)
	for _, e := range []*journalEntry{
		{Interface: "wgstale", DNS: &dnsRecord{Mode: dnsResolved, IfIndex: uplink.Attrs().Index}},
		{Interface: "wgold0", DNS: &dnsRecord{Mode: dnsResolved, IfIndex: impostor.Attrs().Index}},
		{Interface: "wggone", DNS: &dnsRecord{Mode: dnsResolved, IfIndex: 99999}},
		{Interface: tunName, DNS: &dnsRecord{Mode: dnsResolved, IfIndex: tun.Attrs().Index}},
	} {
		if err := j.save(e); err != nil {
			t.Fatal(err)
		}
	}
	api := &fakeResolved{}
	n, err := newLinux(Options{
		StateDir: f.stateDir,
		DNSMode:  dnsResolved,
		Logger:   Logger{Verbosef: func(format string, args ...any) { fmt.Fprintf(f.logs, format+"\n", args...) }},
	}, linuxSeams{nl: f.ns.h, sysctl: f.ns.sysctl, resolved: func() (resolvedAPI, error) { return api, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Recover(context.Background()); err != nil {
		t.Fatalf("recover: %v", err)
	}
	if got, want := strings.Join(api.calls, "\n"), fmt.Sprintf("RevertLink %d", tun.Attrs().Index); got != want {
		t.Errorf("resolved calls:\n%s\nwant:\n%s", got, want)
	}
	for _, name := range []string{"wgstale", "wgold0"} {
		if !strings.Contains(f.logs.String(), "not reverting dns of link") || !strings.Contains(f.logs.String(), name) {
			t.Errorf("skipping %s not logged:\n%s", name, f.logs)
		}
	}
	f.wantJournalEmpty(t)
}
