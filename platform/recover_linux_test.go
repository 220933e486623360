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

// TestLinuxRecoverAfterReboot: the service died, the machine rebooted and
// wg-quick brought up a tunnel of the same name at boot, with the same
// rules and routes. The journal from before the reboot names all of them,
// but they are wg-quick's now: Recover leaves them, the link and the
// uplink's DNS alone, and drops the journal.
func TestLinuxRecoverAfterReboot(t *testing.T) {
	f := newLinuxFixture(t)
	p, err := NewPlan(tunName, fullSettings())
	if err != nil {
		t.Fatal(err)
	}
	tun, err := f.ns.h.LinkByName(tunName)
	if err != nil {
		t.Fatal(err)
	}
	uplink, err := f.ns.h.LinkByName("up0")
	if err != nil {
		t.Fatal(err)
	}
	// What wg-quick made at boot.
	for _, r := range p.Rules {
		if err := f.ns.h.RuleAdd(nlRule(r)); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, r := range p.Rules {
			f.ns.h.RuleDel(nlRule(r))
		}
	})
	if err := f.ns.h.LinkSetUp(tun); err != nil {
		t.Fatal(err)
	}
	defaultRoute := Route{Prefix: prefixes("0.0.0.0/0")[0], Table: p.PolicyTable}
	if err := f.ns.h.RouteAdd(f.net.nlRoute(tun, defaultRoute)); err != nil {
		t.Fatal(err)
	}
	stale := &journalEntry{
		Interface: tunName,
		Addresses: p.Addresses,
		Routes:    p.Routes,
		Rules:     p.Rules,
		DNS:       &dnsRecord{Mode: dnsResolved, IfIndex: uplink.Attrs().Index},
		BootID:    "2b3a2f4e-0000-4000-8000-earlier-boot",
	}
	if err := newJournal(f.stateDir).save(stale); err != nil {
		t.Fatal(err)
	}
	api := &fakeResolved{}
	f.net = f.newNetwork(t, linuxSeams{resolved: func() (resolvedAPI, error) { return api, nil }})
	if err := f.net.Recover(context.Background()); err != nil {
		t.Fatalf("recover: %v", err)
	}
	f.wantState(t, fmt.Sprintf("mtu wgt0 %d", 1500),
		"route wgt0 0.0.0.0/0 table 51820",
		"rule ipv4 pref 32764 lookup main suppress_prefixlength 0",
		"rule ipv4 pref 32765 not fwmark 51820 lookup 51820",
		"rule ipv6 pref 32764 lookup main suppress_prefixlength 0",
		"rule ipv6 pref 32765 not fwmark 51820 lookup 51820")
	if len(api.calls) != 0 {
		t.Errorf("resolved called after a reboot: %v", api.calls)
	}
	if !strings.Contains(f.logs.String(), "earlier boot") {
		t.Errorf("the stale journal was not logged:\n%s", f.logs)
	}
	f.wantJournalEmpty(t)
	f.wantResolvConf(t, origResolv)
}
