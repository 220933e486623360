package platform

// The kill switch of Windows, without the Windows calls: which tunnels get
// the firewall, what it permits and blocks (winFirewallPlan, rendered as
// sorted text for golden tests), and when winNetwork turns it on and off.
// wfpfilters.go turns the plans into WFP filters (golden-tested as
// testdata/wfp_*.golden, the exact filters), and wfp_windows.go puts them
// in force through the winFirewall seam that winfirewall_test.go fakes.
//
// The filters are our own, not the firewall package of WireGuard for
// Windows (golang.zx2c4.com/wireguard/windows/tunnel/firewall), which an
// earlier version used. That package keeps one session in a package
// variable (one firewall per process), and its sublayer of maximum weight
// ends in a block-all filter whose block is final: a permit in a sublayer
// of ours could never undo it
// (https://learn.microsoft.com/en-us/windows/win32/fwp/filter-arbitration),
// so Allow LAN could not be added beside it. What follows from our design:
//   - One dynamic WFP session per process holds one sublayer of maximum
//     weight with the filters of every kill-switched tunnel together, so
//     several tunnels can have the kill switch at once: each tunnel's
//     interface is permitted, DNS goes to the servers of any of them, and
//     the LAN only when every one of them allows it. A change (a tunnel
//     more or less, new LAN subnets after a network change) replaces the
//     filters in one transaction: no gap, and a failed change leaves the
//     old filters in force.
//   - The service's own traffic (the encrypted UDP to the endpoints) is
//     permitted by the app ID of its exe AND its service SID. The app ID
//     alone would admit the GUI and the CLI too, the same exe. So the
//     service must run with SERVICE_SID_TYPE_UNRESTRICTED (set by `wgdesk
//     service install`); a `wgdesk service` typed in a console has no
//     service SID, and the kill switch fails there with
//     ERROR_NO_SUCH_GROUP and a sentence saying what to do
//     (winNoServiceSIDHint).
//   - The session is dynamic (FWPM_SESSION_FLAG_DYNAMIC): "objects added
//     during the session are automatically deleted when the session ends",
//     including when the process exits or is killed
//     (https://learn.microsoft.com/en-us/windows/win32/api/fwpmtypes/ns-fwpmtypes-fwpm_session0).
//     A crash therefore leaves no filter behind, and Recover has nothing to
//     undo; the journal records the firewall all the same, so that the next
//     start logs that the kill switch of the crashed run ended with it. The
//     other side of it: a killed service leaves the network open, unlike
//     the Linux nftables table that issue #11 plans.
//   - Allow LAN permits the subnets on-link on the uplinks (the routes
//     without a next hop on the interfaces other than our tunnels), read
//     again at every
//     Apply: after a network change (winNetwork is a Watcher) the tunnel
//     is applied again and the filters follow the new subnets.
//   - None of this has run on a real Windows here: Wine 8 has no filtering
//     engine. The filters are golden-tested and checked by a model of WFP's
//     arbitration (wfpfilters_test.go); the marshalling is checked for
//     layout under Wine (wfp_windows_test.go).

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
)

// winFirewall is the seam between winNetwork and the Windows Filtering
// Platform.
type winFirewall interface {
	// set puts exactly plans in force, the kill switches of all tunnels
	// that have one, replacing what was in force in one step; on failure
	// what was in force stays. No plans: the firewall is off (that cannot
	// fail).
	set(plans []winFirewallPlan) error
}

// winAllowLAN says whether the Windows firewall can keep the LAN reachable
// under the kill switch.
const winAllowLAN = true

// winFirewallLimit is what the service log says about the kill switch at
// start (FirewallSupport.Limit).
const winFirewallLimit = "Windows Filtering Platform filters that end with the service process: stopping or killing the service leaves the network open; with several kill-switched tunnels the LAN stays blocked unless each of them allows it"

// winNoServiceSIDHint explains the firewall's refusal in a process that
// the service manager did not start (`wgdesk service` typed in a console):
// it has no service SID for the filter that lets its own traffic out.
const winNoServiceSIDHint = "the kill switch needs wgdesk running as the Windows service (install it with `wgdesk service install`), or turn the kill switch off for this tunnel (`wgdesk set NAME killswitch=off`)"

// winFirewallPlan is the kill switch of one full tunnel: everything outside
// the tunnel is blocked except what is listed.
type winFirewallPlan struct {
	Interface string
	LUID      uint64
	// FullIPv4 and FullIPv6: the tunnel routes 0.0.0.0/0, ::/0. A family
	// that is not routed into the tunnel is blocked outside it all the
	// same: nothing of it may leak past the tunnel.
	FullIPv4, FullIPv6 bool
	// DNS are the only servers port 53 may reach, inside the tunnel too;
	// none: DNS goes only where the tunnel takes it.
	DNS []netip.Addr
	// Endpoints are reached by the service's own traffic.
	Endpoints []netip.AddrPort
	// AllowLAN permits LAN, the directly connected subnets of the uplinks,
	// and mDNS.
	AllowLAN bool
	LAN      []netip.Prefix
}

// newWinFirewallPlan returns the kill switch plan for Settings s on the
// tunnel ifname (LUID luid) whose resolved routes are routes, and false
// when there is none to make: the kill switch is off, or the tunnel is not
// a full one (no default route, or Table off, which leaves routes empty).
// lan is read only with Allow LAN: the uplinks' routing tables.
func newWinFirewallPlan(ifname string, luid uint64, s Settings, routes []netip.Prefix, lan func() ([]winRoute, error)) (winFirewallPlan, bool, error) {
	p := winFirewallPlan{Interface: ifname, LUID: luid, AllowLAN: s.AllowLAN}
	for _, r := range routes {
		if r.Bits() == 0 {
			if r.Addr().Is4() {
				p.FullIPv4 = true
			} else {
				p.FullIPv6 = true
			}
		}
	}
	if !s.KillSwitch || (!p.FullIPv4 && !p.FullIPv6) {
		return winFirewallPlan{}, false, nil
	}
	p.DNS = uniqueSorted(s.DNS, netip.Addr.Unmap, netip.Addr.Compare)
	p.Endpoints = slices.Clone(s.Endpoints)
	slices.SortFunc(p.Endpoints, netip.AddrPort.Compare)
	p.Endpoints = slices.Compact(p.Endpoints)
	if p.AllowLAN {
		rs, err := lan()
		if err != nil {
			return winFirewallPlan{}, false, err
		}
		p.LAN = winConnectedSubnets(rs, luid)
	}
	return p, true, nil
}

// winConnectedSubnets are the on-link routes of the interfaces other than
// the tunnel: the subnets a printer or a file share can be on. Host routes
// (the machine's own addresses, broadcast), multicast and loopback are
// not subnets to permit.
func winConnectedSubnets(rs []winRoute, tunnel uint64) []netip.Prefix {
	var out []netip.Prefix
	for _, r := range rs {
		a := r.Prefix.Addr()
		if r.LUID == tunnel || r.NextHop.IsValid() && !r.NextHop.IsUnspecified() ||
			r.Prefix.Bits() == 0 || r.Prefix.Bits() == a.BitLen() ||
			a.IsMulticast() || a.IsLoopback() {
			continue
		}
		out = append(out, r.Prefix.Masked())
	}
	return uniqueSorted(out, func(p netip.Prefix) netip.Prefix { return p }, comparePrefix)
}

// equal reports whether p and o put the same filters in place.
func (p winFirewallPlan) equal(o winFirewallPlan) bool {
	return p.Interface == o.Interface && p.LUID == o.LUID && p.FullIPv4 == o.FullIPv4 &&
		p.FullIPv6 == o.FullIPv6 && slices.Equal(p.DNS, o.DNS) && slices.Equal(p.Endpoints, o.Endpoints) &&
		p.AllowLAN == o.AllowLAN && slices.Equal(p.LAN, o.LAN)
}

// Lines renders the plan as sorted text, one filter (or group of alike
// filters) a line, for the golden files and the log.
func (p winFirewallPlan) Lines() []string {
	var l []string
	tun := fmt.Sprintf("%s (luid %d)", p.Interface, p.LUID)
	l = append(l,
		"block everything else, ipv4 and ipv6, inbound and outbound",
		"permit loopback",
		"permit tunnel "+tun+": everything but dns to other servers",
		"permit dhcpv4 udp 68 -> 67 and back, any interface",
		"permit dhcpv6 udp 546 -> 547 and back, any interface",
		"permit ndp icmpv6 router and neighbor solicitation, advertisement and redirect, any interface",
	)
	eps := make([]string, 0, len(p.Endpoints))
	for _, e := range p.Endpoints {
		eps = append(eps, e.String())
	}
	l = append(l, "permit service: all traffic of the wgdesk service process (app id and service sid), its encrypted udp to "+orNoneText(eps))
	if len(p.DNS) == 0 {
		l = append(l, "dns: the config names no servers; queries pass only inside the tunnel")
	} else {
		l = append(l, "block dns udp/tcp 53 to every other server, inside the tunnel too")
		for _, d := range p.DNS {
			l = append(l, fmt.Sprintf("permit dns udp/tcp 53 to %s", d))
		}
	}
	switch {
	case p.FullIPv4 && !p.FullIPv6:
		l = append(l, "block ipv6 outside the tunnel: only 0.0.0.0/0 is routed into it")
	case p.FullIPv6 && !p.FullIPv4:
		l = append(l, "block ipv4 outside the tunnel: only ::/0 is routed into it")
	}
	if p.AllowLAN {
		for _, n := range p.LAN {
			l = append(l, "permit lan "+n.String()+" (allow lan)")
		}
		l = append(l, "permit lan mdns udp 5353 to 224.0.0.251 and ff02::fb (allow lan)")
	}
	slices.Sort(l)
	return l
}

func (p winFirewallPlan) String() string { return strings.Join(p.Lines(), "\n") }

func orNoneText(xs []string) string {
	if len(xs) == 0 {
		return "(no endpoint)"
	}
	return strings.Join(xs, ", ")
}

// Firewall implements Firewaller: the kill switch where the firewall seam
// is set (the Windows build).
func (n *winNetwork) Firewall() FirewallSupport {
	if n.fw == nil {
		return FirewallSupport{}
	}
	return FirewallSupport{KillSwitch: true, AllowLAN: winAllowLAN, Limit: winFirewallLimit}
}

// planFirewall adds the kill switch to t, the target of Apply on ifname:
// nothing without a firewall seam or without a plan. With Allow LAN it
// reads the routing tables for the connected subnets. n.mu is held.
func (n *winNetwork) planFirewall(t *winTarget, s Settings, luid uint64, table func(int) ([]winRoute, error)) error {
	if n.fw == nil || !s.KillSwitch {
		return nil
	}
	lan := func() ([]winRoute, error) {
		r4, err := table(4)
		if err != nil {
			return nil, err
		}
		r6, err := table(6)
		if err != nil {
			return nil, err
		}
		// The on-link routes of our other tunnels are no LAN: a
		// split tunnel's AllowedIPs would pass as subnets.
		return slices.DeleteFunc(slices.Concat(r4, r6), func(r winRoute) bool {
			return r.LUID != luid && n.self.hasID(r.LUID)
		}), nil
	}
	p, ok, err := newWinFirewallPlan(t.Interface, luid, s, t.Routes, lan)
	if err != nil || !ok {
		return err
	}
	if p.AllowLAN && !winAllowLAN {
		return fmt.Errorf("kill switch on %s: allow lan is not available on windows (turn it off, or turn the kill switch off): %w", t.Interface, errors.ErrUnsupported)
	}
	t.firewall = &p
	t.Firewall = true
	return nil
}

// firewallPlans returns the plans of n.fwOn with ifname's replaced by p
// (nil: removed), sorted by interface.
func (n *winNetwork) firewallPlans(ifname string, p *winFirewallPlan) map[string]winFirewallPlan {
	next := maps.Clone(n.fwOn)
	if next == nil {
		next = map[string]winFirewallPlan{}
	}
	if p == nil {
		delete(next, ifname)
	} else {
		next[ifname] = *p
	}
	return next
}

func sortedPlans(m map[string]winFirewallPlan) []winFirewallPlan {
	var out []winFirewallPlan
	for _, name := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[name])
	}
	return out
}

// firewallOn puts to's kill switch in force, if it has one, before any
// address or route: nothing leaks while the tunnel comes up. A changed
// plan replaces the old one in one step (wfp_windows.go), with no gap.
// n.mu is held.
func (n *winNetwork) firewallOn(to *winTarget, have *winEntry) error {
	p := to.firewall
	if p == nil {
		return nil
	}
	if cur, ok := n.fwOn[to.Interface]; ok && cur.equal(*p) {
		return nil
	}
	next := n.firewallPlans(to.Interface, p)
	have.Firewall = true // ours from the moment we ask
	if err := n.fw.set(sortedPlans(next)); err != nil {
		return fmt.Errorf("turn the kill switch on for %s: %w", to.Interface, err)
	}
	n.fwOn = next
	n.logf("kill switch on for %s:\n  %s", to.Interface, strings.Join(p.Lines(), "\n  "))
	return nil
}

// firewallOff removes the kill switch of to.Interface when to has none,
// after everything else: nothing leaks while the tunnel goes down. The
// other tunnels' kill switches stay. A firewall recorded in the journal of
// an earlier run ended with its process; only the record is cleared. n.mu
// is held.
func (n *winNetwork) firewallOff(to *winTarget, have *winEntry) {
	if !have.Firewall || to.firewall != nil {
		return
	}
	if _, ok := n.fwOn[to.Interface]; n.fw != nil && ok {
		next := n.firewallPlans(to.Interface, nil)
		if err := n.fw.set(sortedPlans(next)); err != nil {
			// The old filters stay in force, with this tunnel's
			// permits for an interface that is going away; the
			// next change replaces them all.
			n.logf("kill switch off for %s: %v; its filters stay until the next change", to.Interface, err)
		} else {
			n.logf("kill switch off for %s", to.Interface)
		}
		n.fwOn = next
	}
	have.Firewall = false
}

// rollbackTarget is what a failed Apply from prev to want rolls back to:
// prev, but without the kill switch when want took the tunnel down. The
// user asked for the network back, and the tunnel is going away whatever
// is left over (which stays in the journal); a firewall kept on for an
// adapter that is gone would cut the machine off with no tunnel up.
func rollbackTarget(prev, want *winTarget) *winTarget {
	if want.up || prev.firewall == nil {
		return prev
	}
	t := *prev
	t.winEntry = *prev.winEntry.clone()
	t.firewall, t.Firewall = nil, false
	return &t
}
