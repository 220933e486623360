package platform

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func isNotFound(err error) bool {
	var lnf netlink.LinkNotFoundError
	return errors.As(err, &lnf) || errors.Is(err, unix.ENODEV)
}

// gone reports errors that mean "already absent" when deleting.
func gone(err error) bool {
	return errors.Is(err, unix.ESRCH) || errors.Is(err, unix.ENOENT) ||
		errors.Is(err, unix.EADDRNOTAVAIL) || errors.Is(err, unix.ENODEV)
}

func ipNet(p netip.Prefix) *net.IPNet {
	a := p.Addr().Unmap()
	return &net.IPNet{IP: a.AsSlice(), Mask: net.CIDRMask(p.Bits(), a.BitLen())}
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones), true
}

func nlFamily(fam int) int {
	if fam == 6 {
		return netlink.FAMILY_V6
	}
	return netlink.FAMILY_V4
}

// setLink sets the MTU (chosen automatically when the plan says 0) and
// brings the link up.
func (n *linuxNetwork) setLink(link netlink.Link, p Plan) error {
	mtu := p.MTU
	if mtu == 0 {
		mtu = n.autoMTU(link, p)
	}
	if link.Attrs().MTU != mtu {
		if err := n.seams.nl.LinkSetMTU(link, mtu); err != nil {
			return fmt.Errorf("set mtu %d: %w", mtu, err)
		}
	}
	if err := n.seams.nl.LinkSetUp(link); err != nil {
		return fmt.Errorf("set up: %w", err)
	}
	return nil
}

// autoMTU asks the kernel for the route to each endpoint (with the tunnel's
// fwmark, so that our own policy rules do not send it into the tunnel) and
// for the main table's default route, and applies AutoMTU.
func (n *linuxNetwork) autoMTU(link netlink.Link, p Plan) int {
	var mtus []int
	for _, ep := range p.Endpoints {
		routes, err := n.seams.nl.RouteGetWithOptions(ep.Addr().Unmap().AsSlice(), &netlink.RouteGetOptions{Mark: p.PolicyTable})
		if err != nil {
			continue
		}
		for _, r := range routes {
			if r.LinkIndex != link.Attrs().Index {
				mtus = append(mtus, n.routeMTU(r))
			}
		}
	}
	def := 0
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		routes, err := n.seams.nl.RouteListFiltered(fam, &netlink.Route{Table: MainTable}, netlink.RT_FILTER_TABLE)
		if err != nil {
			continue
		}
		for _, r := range routes {
			if pfx, ok := prefixOf(r.Dst); (r.Dst == nil || ok && pfx.Bits() == 0) && r.LinkIndex != link.Attrs().Index {
				if m := n.routeMTU(r); m > 0 && def == 0 {
					def = m
				}
			}
		}
		if def != 0 {
			break
		}
	}
	mtu := AutoMTU(mtus, def)
	n.logf("automatic mtu for %s: %d (endpoint routes %v, default route %d)", p.Interface, mtu, mtus, def)
	return mtu
}

func (n *linuxNetwork) routeMTU(r netlink.Route) int {
	if r.MTU > 0 {
		return r.MTU
	}
	if l, err := n.seams.nl.LinkByIndex(r.LinkIndex); err == nil {
		return l.Attrs().MTU
	}
	return 0
}

func (n *linuxNetwork) addAddrs(link netlink.Link, want []netip.Prefix) error {
	have, err := n.seams.nl.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return fmt.Errorf("list addresses: %w", err)
	}
next:
	for _, p := range want {
		for _, a := range have {
			if got, ok := prefixOf(a.IPNet); ok && got == p {
				continue next
			}
		}
		if err := n.seams.nl.AddrAdd(link, &netlink.Addr{IPNet: ipNet(p)}); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("add %s: %w", p, err)
		}
	}
	return nil
}

func (n *linuxNetwork) removeAddrs(link netlink.Link, extra []netip.Prefix) error {
	for _, p := range extra {
		if err := n.seams.nl.AddrDel(link, &netlink.Addr{IPNet: ipNet(p)}); err != nil && !gone(err) {
			return fmt.Errorf("delete %s: %w", p, err)
		}
	}
	return nil
}

func (n *linuxNetwork) nlRoute(link netlink.Link, r Route) *netlink.Route {
	nr := &netlink.Route{
		LinkIndex: link.Attrs().Index,
		Dst:       ipNet(r.Prefix),
		Table:     int(r.Table),
		Protocol:  unix.RTPROT_BOOT,
	}
	if r.Prefix.Addr().Is4() {
		nr.Scope = netlink.SCOPE_LINK // as `ip route add ... dev wg0` does
	}
	return nr
}

// linkRoutes lists the routes through link in every table.
func (n *linuxNetwork) linkRoutes(link netlink.Link) (map[Route]bool, error) {
	have := map[Route]bool{}
	filter := &netlink.Route{LinkIndex: link.Attrs().Index, Table: unix.RT_TABLE_UNSPEC}
	routes, err := n.seams.nl.RouteListFiltered(netlink.FAMILY_ALL, filter, netlink.RT_FILTER_OIF|netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	for _, r := range routes {
		pfx, ok := prefixOf(r.Dst)
		if r.Dst == nil {
			// Older kernels and netlink versions give no Dst for a
			// default route.
			pfx, ok = netip.PrefixFrom(netip.IPv4Unspecified(), 0), true
			if r.Family == netlink.FAMILY_V6 {
				pfx = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
			}
		}
		if ok {
			have[Route{Prefix: pfx, Table: uint32(r.Table)}] = true
		}
	}
	return have, nil
}

func (n *linuxNetwork) addRoutes(link netlink.Link, want []Route) error {
	have, err := n.linkRoutes(link)
	if err != nil {
		return err
	}
	for _, r := range want {
		if have[r] {
			continue
		}
		if err := n.seams.nl.RouteAdd(n.nlRoute(link, r)); err != nil {
			return fmt.Errorf("add %s: %w", r, err)
		}
	}
	return nil
}

func (n *linuxNetwork) removeRoutes(link netlink.Link, extra []Route) error {
	for _, r := range extra {
		if err := n.seams.nl.RouteDel(n.nlRoute(link, r)); err != nil && !gone(err) {
			return fmt.Errorf("delete %s: %w", r, err)
		}
	}
	return nil
}

func nlRule(r Rule) *netlink.Rule {
	nr := netlink.NewRule()
	nr.Family = nlFamily(r.Family)
	nr.Priority = r.Priority
	nr.Table = int(r.Table)
	nr.SuppressPrefixlen = r.SuppressPrefixlen
	if r.NotFwMark != 0 {
		nr.Mark = r.NotFwMark
		mask := uint32(0xffffffff)
		nr.Mask = &mask
		nr.Invert = true
	}
	return nr
}

func ruleMatches(have netlink.Rule, r Rule) bool {
	if have.Priority != r.Priority || have.Table != int(r.Table) || have.SuppressPrefixlen != r.SuppressPrefixlen {
		return false
	}
	if r.NotFwMark != 0 {
		return have.Invert && have.Mark == r.NotFwMark
	}
	return !have.Invert && have.Mark == 0 && have.Src == nil && have.Dst == nil && have.IifName == "" && have.OifName == ""
}

// addRules adds the rules of want that are missing. owned are the rules
// the interface owns (it added them); it returns what it owns afterwards:
// those still wanted and those it added. A wanted rule that exists and is
// not owned belongs to someone else (wg-quick, a person) and is left out,
// so that the interface's removal never deletes it. save is called with
// the owned rules before each add, so the journal names a rule before it
// exists; an add that fails with EEXIST (a rule made in between) drops the
// claim again.
func (n *linuxNetwork) addRules(want, owned []Rule, save func([]Rule) error) ([]Rule, error) {
	var kept []Rule
	for _, r := range owned {
		if slices.Contains(want, r) {
			kept = append(kept, r)
		}
	}
	owned = kept
	for _, r := range want {
		have, err := n.seams.nl.RuleList(nlFamily(r.Family))
		if err != nil {
			return owned, fmt.Errorf("list rules: %w", err)
		}
		found := false
		for _, h := range have {
			found = found || ruleMatches(h, r)
		}
		if found {
			if !slices.Contains(owned, r) {
				n.logf("rule %s exists already (another tunnel or tool made it); not claiming it", r)
			}
			continue
		}
		if !slices.Contains(owned, r) {
			owned = append(owned, r)
			if err := save(owned); err != nil {
				return owned, fmt.Errorf("journal: %w", err)
			}
		}
		err = n.seams.nl.RuleAdd(nlRule(r))
		if errors.Is(err, unix.EEXIST) {
			n.logf("rule %s was made by someone else meanwhile; leaving it to them", r)
			owned = slices.DeleteFunc(owned, func(o Rule) bool { return o == r })
			if err := save(owned); err != nil {
				return owned, fmt.Errorf("journal: %w", err)
			}
			continue
		}
		if err != nil {
			return owned, fmt.Errorf("add %s: %w", r, err)
		}
	}
	return owned, nil
}

// removeRulesLocked deletes rules that ifname owns and no longer wants. A
// rule that another interface's settings need as well (two full tunnels
// share the suppress rule) is handed to that interface instead: it goes
// into its journal and stays (see saveJournalLocked for undo).
func (n *linuxNetwork) removeRulesLocked(ifname string, extra []Rule, undo bool) error {
next:
	for _, r := range extra {
		for other, want := range n.wantRules {
			heir := n.owned[other]
			if other == ifname || heir == nil || !slices.Contains(want, r) {
				continue
			}
			if !slices.Contains(heir.Rules, r) {
				heir.Rules = append(slices.Clone(heir.Rules), r)
				if err := n.saveJournalLocked(heir, undo); err != nil {
					return fmt.Errorf("hand %s to %s: %w", r, other, err)
				}
			}
			n.logf("rule %s stays for %s", r, other)
			continue next
		}
		if err := n.seams.nl.RuleDel(nlRule(r)); err != nil && !gone(err) {
			return fmt.Errorf("delete %s: %w", r, err)
		}
	}
	return nil
}
