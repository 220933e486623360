package platform

// The Windows back end, without the Windows calls: winNetwork decides what
// to add and remove and in which order, journals it, rolls back a failed
// Apply and undoes leftovers in Recover. It talks to the OS only through
// winOps, which winops_windows.go implements with winipcfg (the IP Helper
// API) and winnet_test.go fakes, so that this logic is tested on every OS.
//
// Windows has one routing table and no policy rules, so a full tunnel is
// made as wireguard-windows makes it: the default route goes into the
// tunnel interface, whose metric is set to 0. To keep the peers' own UDP
// packets out of the tunnel, each endpoint that a tunnel route covers gets a
// host route (/32 or /128) through the interface and next hop of the best
// route outside the tunnel, computed again at every Apply.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
)

// Errors a winOps implementation wraps so that the logic can tell "already
// there" and "already gone" from real failures.
var (
	errWinNotFound = errors.New("not found")
	errWinExists   = errors.New("already exists")
)

// winOps is the seam between winNetwork and the IP Helper API. Families
// are 4 or 6. LUIDs are the interfaces' NET_LUID values.
type winOps interface {
	// interfaceLUID returns the LUID of the interface with this alias
	// (the name the Wintun adapter was created with), or an error wrapping
	// errWinNotFound.
	interfaceLUID(alias string) (uint64, error)
	// addAddress and addRoute wrap errWinExists when the object exists;
	// deleteAddress and deleteRoute wrap errWinNotFound when it does not.
	addAddress(luid uint64, p netip.Prefix) error
	deleteAddress(luid uint64, p netip.Prefix) error
	addRoute(luid uint64, dst netip.Prefix, nextHop netip.Addr) error
	deleteRoute(luid uint64, dst netip.Prefix, nextHop netip.Addr) error
	// setInterface sets the interface's IP settings for one family: the
	// MTU (0: leave it) and, with lowMetric, interface metric 0 so that its
	// default route and DNS servers win over the uplink's. It wraps
	// errWinNotFound when the family is disabled on the interface.
	setInterface(luid uint64, family int, mtu int, lowMetric bool) error
	// setDNS replaces the interface's servers of one family and its search
	// domains; flushDNS removes them.
	setDNS(luid uint64, family int, servers []netip.Addr, search []string) error
	flushDNS(luid uint64, family int) error
	// routes returns the routing table of a family, only routes on
	// interfaces that are connected, each with its route metric plus its
	// interface metric and its interface's MTU.
	routes(family int) ([]winRoute, error)
}

// winRoute is one row of the OS routing table.
type winRoute struct {
	Prefix  netip.Prefix
	LUID    uint64
	NextHop netip.Addr
	Metric  uint64 // route metric plus interface metric, as Windows compares them
	MTU     int    // the interface's MTU for this family
}

// winHostRoute is a route we add outside the tunnel so that an endpoint stays
// reachable through the uplink.
type winHostRoute struct {
	Prefix  netip.Prefix `json:"prefix"`
	LUID    uint64       `json:"luid"`
	NextHop netip.Addr   `json:"next_hop"`
}

func (h winHostRoute) String() string {
	return fmt.Sprintf("%s via %s luid %d", h.Prefix, h.NextHop, h.LUID)
}

// winEntry is the journal of one interface on Windows: everything we added
// and must undo. Unlike journalEntry it holds routes on other interfaces
// (the endpoints' host routes), with the LUID and next hop needed to delete
// them after a crash. Addresses, routes and DNS on the tunnel interface die
// with the Wintun adapter; they are recorded for the case it outlives us.
type winEntry struct {
	Interface  string         `json:"interface"`
	Addresses  []netip.Prefix `json:"addresses,omitempty"`
	Routes     []netip.Prefix `json:"routes,omitempty"`
	HostRoutes []winHostRoute `json:"host_routes,omitempty"`
	DNS        bool           `json:"dns,omitempty"`
	// Firewall: the kill switch (winfirewall.go). It dies with our process;
	// recorded so that the next start can say so.
	Firewall bool `json:"firewall,omitempty"`
}

func (e *winEntry) isEmpty() bool {
	return len(e.Addresses) == 0 && len(e.Routes) == 0 && len(e.HostRoutes) == 0 && !e.DNS && !e.Firewall
}

func (e *winEntry) clone() *winEntry {
	return &winEntry{
		Interface:  e.Interface,
		Addresses:  slices.Clone(e.Addresses),
		Routes:     slices.Clone(e.Routes),
		HostRoutes: slices.Clone(e.HostRoutes),
		DNS:        e.DNS,
		Firewall:   e.Firewall,
	}
}

// union owns everything in e and in o: what to journal before moving from
// one to the other.
func (e *winEntry) union(o *winEntry) *winEntry {
	u := e.clone()
	u.Addresses = appendMissing(u.Addresses, o.Addresses)
	u.Routes = appendMissing(u.Routes, o.Routes)
	u.HostRoutes = appendMissing(u.HostRoutes, o.HostRoutes)
	u.DNS = e.DNS || o.DNS
	u.Firewall = e.Firewall || o.Firewall
	u.sort()
	return u
}

func (e *winEntry) sort() {
	slices.SortFunc(e.Addresses, comparePrefix)
	slices.SortFunc(e.Routes, comparePrefix)
	slices.SortFunc(e.HostRoutes, func(a, b winHostRoute) int {
		return cmp.Or(comparePrefix(a.Prefix, b.Prefix), cmp.Compare(a.LUID, b.LUID), a.NextHop.Compare(b.NextHop))
	})
}

// winTarget is the state Apply moves an interface to: what will be owned,
// plus the settings that are set rather than added.
type winTarget struct {
	winEntry
	up        bool
	mtu       int          // resolved: never 0 when up
	lowMetric map[int]bool // family -> full tunnel of that family
	dns       DNSPlan
	firewall  *winFirewallPlan // the kill switch; nil: none
}

// winNetwork is the Network of Windows.
type winNetwork struct {
	opts    Options
	ops     winOps
	journal journal

	mu  sync.Mutex // serialises all changes and guards cur
	cur map[string]*winTarget

	// self is what the change callbacks ignore (winnet_watch.go): our
	// adapters and the endpoints' host routes. register subscribes to
	// the notifications (nil: Watch is not available).
	self     ownedSet
	register winWatch

	// adapters are the LUIDs the engine bound to interface names, and
	// the wait for a new adapter's IP interfaces (winwait.go).
	adapters winAdapters

	// fw enforces the kill switch (winfirewall.go; nil: none on this
	// build). fwOn are the plans in force, by interface; guarded by mu.
	fw   winFirewall
	fwOn map[string]winFirewallPlan
}

func newWinNetwork(opts Options, ops winOps) *winNetwork {
	return &winNetwork{opts: opts, ops: ops, journal: newJournal(opts.StateDir), cur: map[string]*winTarget{}}
}

func (n *winNetwork) logf(format string, args ...any) {
	n.opts.Logger.Verbose("platform: "+format, args...)
}

// applyOnce is one attempt of Apply (winwait.go): it moves ifname to s,
// or rolls back to the state before.
func (n *winNetwork) applyOnce(ctx context.Context, ifname string, s Settings) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	prev := n.cur[ifname]
	if prev == nil {
		prev = &winTarget{winEntry: winEntry{Interface: ifname}}
	}
	luid, found, err := n.lookup(ifname)
	if err != nil {
		return err
	}
	want, err := n.target(ifname, s, luid, found, &prev.winEntry)
	if err != nil {
		return err // nothing was changed
	}
	n.self.note(ifname, luid, winHostDests(prev.HostRoutes, want.HostRoutes))
	have, err := n.move(ctx, &prev.winEntry, want, luid, found)
	if err == nil {
		want.winEntry = *have // without endpoint routes that were not ours
		n.remember(ifname, want)
		return nil
	}
	// Roll back to the previous state, so that a failed Apply leaves
	// nothing half made. Whatever cannot be undone stays in the journal
	// for the next Apply or Recover.
	to := rollbackTarget(prev, want)
	back, rerr := n.move(context.WithoutCancel(ctx), have, to, luid, found)
	restored := *to
	restored.winEntry = *back
	n.remember(ifname, &restored)
	if rerr != nil {
		return errors.Join(err, fmt.Errorf("roll back %s: %w", ifname, rerr))
	}
	return err
}

func (n *winNetwork) remember(ifname string, t *winTarget) {
	if t.isEmpty() && !t.up {
		delete(n.cur, ifname)
		n.self.forget(ifname)
		return
	}
	n.cur[ifname] = t
}

// lookup finds the tunnel interface: by the LUID the engine bound, else by
// its alias; found is false when it does not exist (any more). n.mu is
// held.
func (n *winNetwork) lookup(ifname string) (luid uint64, found bool, err error) {
	if luid, ok := n.boundLocked(ifname); ok {
		return luid, true, nil
	}
	luid, err = n.ops.interfaceLUID(ifname)
	switch {
	case err == nil:
		return luid, true, nil
	case errors.Is(err, errWinNotFound):
		return 0, false, nil
	default:
		return 0, false, fmt.Errorf("find interface %s: %w", ifname, err)
	}
}

// parseWinTable accepts the Table values that mean something on Windows.
func parseWinTable(t string) (off bool, err error) {
	switch strings.ToLower(strings.TrimSpace(t)) {
	case "", "auto", "main":
		return false, nil
	case "off":
		return true, nil
	}
	return false, fmt.Errorf("table %q: windows has a single routing table, numbered tables do not exist; use auto or off", t)
}

// target computes the state s asks for, reading the routing table for the
// endpoints' host routes and the automatic MTU. prev tells which host
// routes are ours, so that they are not mistaken for the uplink.
func (n *winNetwork) target(ifname string, s Settings, luid uint64, found bool, prev *winEntry) (*winTarget, error) {
	if _, err := parseWinTable(s.Table); err != nil {
		return nil, fmt.Errorf("plan %s: %w", ifname, err)
	}
	p, err := NewPlan(ifname, s)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", ifname, err)
	}
	t := &winTarget{winEntry: winEntry{Interface: ifname}, up: p.Up, dns: p.DNS, lowMetric: map[int]bool{}}
	if !p.Up {
		return t, nil
	}
	if !found {
		return nil, fmt.Errorf("find interface %s: %w", ifname, errWinNotFound)
	}
	t.Addresses = slices.Clone(p.Addresses)
	for _, r := range p.Routes { // none with Table off
		t.Routes = append(t.Routes, r.Prefix)
		if r.Prefix.Bits() == 0 {
			t.lowMetric[family(r.Prefix.Addr())] = true
		}
	}
	t.DNS = !p.DNS.IsZero()

	tables := map[int][]winRoute{}
	table := func(fam int) ([]winRoute, error) {
		if rs, ok := tables[fam]; ok {
			return rs, nil
		}
		rs, err := n.ops.routes(fam)
		if err != nil {
			return nil, fmt.Errorf("read ipv%d routing table: %w", fam, err)
		}
		tables[fam] = rs
		return rs, nil
	}

	var endpointMTUs []int
	for _, ep := range p.Endpoints {
		a := ep.Addr().Unmap()
		rs, err := table(family(a))
		if err != nil {
			return nil, err
		}
		best, ok := winBestRoute(rs, a, luid, prev.HostRoutes)
		if !ok {
			n.logf("no route outside %s to endpoint %s", ifname, a)
			continue
		}
		endpointMTUs = append(endpointMTUs, best.MTU)
		if !slices.ContainsFunc(t.Routes, func(r netip.Prefix) bool { return r.Contains(a) }) {
			continue // the tunnel does not capture it
		}
		h := winHostRoute{Prefix: netip.PrefixFrom(a, a.BitLen()), LUID: best.LUID, NextHop: best.NextHop}
		if !slices.Contains(t.HostRoutes, h) {
			t.HostRoutes = append(t.HostRoutes, h)
		}
	}
	t.mtu = p.MTU
	if t.mtu == 0 {
		defaultMTU := 0
		if rs, err := table(4); err != nil {
			return nil, err
		} else if best, ok := winBestRoute(rs, netip.IPv4Unspecified(), luid, prev.HostRoutes); ok {
			defaultMTU = best.MTU
		}
		t.mtu = AutoMTU(endpointMTUs, defaultMTU)
	}
	if err := n.planFirewall(t, s, luid, table); err != nil {
		return nil, err
	}
	t.sort()
	return t, nil
}

// winBestRoute picks the route Windows would use for dst if the tunnel did not
// exist: the longest matching prefix, then the lowest metric, skipping the
// tunnel interface and our own host routes (which would otherwise pin an
// endpoint to an uplink that is no longer the best).
func winBestRoute(rs []winRoute, dst netip.Addr, tunnel uint64, own []winHostRoute) (winRoute, bool) {
	var best winRoute
	ok := false
	for _, r := range rs {
		if !r.Prefix.Contains(dst) || r.LUID == tunnel {
			continue
		}
		if slices.Contains(own, winHostRoute{Prefix: r.Prefix, LUID: r.LUID, NextHop: r.NextHop}) {
			continue
		}
		if ok {
			if c := cmp.Or(
				cmp.Compare(best.Prefix.Bits(), r.Prefix.Bits()), // longer first
				cmp.Compare(r.Metric, best.Metric),
				cmp.Compare(r.LUID, best.LUID),
			); c >= 0 {
				continue
			}
		}
		best, ok = r, true
	}
	return best, ok
}

// move changes the OS state owned in from into to, and returns what is
// owned afterwards; on error that is a superset of what may exist. The
// journal holds the union of both before the first change.
func (n *winNetwork) move(ctx context.Context, from *winEntry, to *winTarget, luid uint64, found bool) (*winEntry, error) {
	have, err := n.steps(ctx, from, to, luid, found)
	if err != nil {
		// Narrow the journal from the union to what may still exist.
		have.sort()
		if jerr := n.saveJournal(have); jerr != nil {
			err = errors.Join(err, fmt.Errorf("journal %s: %w", to.Interface, jerr))
		}
	}
	return have, err
}

// steps does the work of move, stopping at the first failed addition.
func (n *winNetwork) steps(ctx context.Context, from *winEntry, to *winTarget, luid uint64, found bool) (*winEntry, error) {
	ifname := to.Interface
	have := from.clone()
	if err := n.saveJournal(from.union(&to.winEntry)); err != nil {
		return have, fmt.Errorf("journal %s: %w", ifname, err)
	}
	if err := ctx.Err(); err != nil {
		return have, err
	}
	if !found && to.up {
		return have, fmt.Errorf("find interface %s: %w", ifname, errWinNotFound)
	}

	// Removals, DNS first. What lived on a vanished tunnel interface went
	// with it; host routes live on the uplinks and are deleted by LUID.
	// A failed removal does not stop the others: the object stays owned
	// and the move ends after the removals.
	var errs []error
	if have.DNS && !to.DNS {
		ok := true
		for _, fam := range []int{4, 6} {
			if !found {
				break
			}
			if err := winTolerate(n.ops.flushDNS(luid, fam), errWinNotFound); err != nil {
				errs = append(errs, fmt.Errorf("remove ipv%d dns from %s: %w", fam, ifname, err))
				ok = false
			}
		}
		have.DNS = !ok
	}
	for _, h := range notIn(have.HostRoutes, to.HostRoutes) {
		if err := winTolerate(n.ops.deleteRoute(h.LUID, h.Prefix, h.NextHop), errWinNotFound); err != nil {
			errs = append(errs, fmt.Errorf("remove endpoint route %s: %w", h, err))
			continue
		}
		have.HostRoutes = winRemove(have.HostRoutes, h)
	}
	for _, r := range notIn(have.Routes, to.Routes) {
		if found {
			if err := winTolerate(n.ops.deleteRoute(luid, r, winUnspecified(r)), errWinNotFound); err != nil {
				errs = append(errs, fmt.Errorf("remove route %s from %s: %w", r, ifname, err))
				continue
			}
		}
		have.Routes = winRemove(have.Routes, r)
	}
	for _, a := range notIn(have.Addresses, to.Addresses) {
		if found {
			if err := winTolerate(n.ops.deleteAddress(luid, a), errWinNotFound); err != nil {
				errs = append(errs, fmt.Errorf("remove address %s from %s: %w", a, ifname, err))
				continue
			}
		}
		have.Addresses = winRemove(have.Addresses, a)
	}
	if len(errs) > 0 {
		if !to.up {
			// Going down: the user asked for the network back, and what
			// is left points into a tunnel that is gone.
			n.firewallOff(to, have)
		}
		return have, errors.Join(errs...)
	}

	if to.up {
		// The kill switch before any address or route (winfirewall.go).
		if err := n.firewallOn(to, have); err != nil {
			return have, err
		}
		if err := n.setInterface(luid, to); err != nil {
			return have, err
		}
		// Each object counts as ours from the moment we ask for it, so
		// that a failed call still gets undone.
		for _, a := range notIn(to.Addresses, have.Addresses) {
			have.Addresses = append(have.Addresses, a)
			if err := winTolerate(n.ops.addAddress(luid, a), errWinExists); err != nil {
				return have, fmt.Errorf("add address %s to %s: %w", a, ifname, err)
			}
		}
		// Endpoint routes before the tunnel's routes, so that a handshake
		// never loops into the tunnel.
		for _, h := range notIn(to.HostRoutes, have.HostRoutes) {
			have.HostRoutes = append(have.HostRoutes, h)
			err := n.ops.addRoute(h.LUID, h.Prefix, h.NextHop)
			if errors.Is(err, errWinExists) {
				// Someone else's route (another tunnel to the same
				// endpoint): it does what we need, and is not ours to
				// delete.
				n.logf("endpoint route %s exists already, leaving it to its owner", h)
				have.HostRoutes = winRemove(have.HostRoutes, h)
				continue
			}
			if err != nil {
				return have, fmt.Errorf("add endpoint route %s: %w", h, err)
			}
		}
		for _, r := range notIn(to.Routes, have.Routes) {
			have.Routes = append(have.Routes, r)
			if err := winTolerate(n.ops.addRoute(luid, r, winUnspecified(r)), errWinExists); err != nil {
				return have, fmt.Errorf("add route %s to %s: %w", r, ifname, err)
			}
		}
		if to.DNS {
			have.DNS = true
			for _, fam := range []int{4, 6} {
				var servers []netip.Addr
				for _, s := range to.dns.Servers {
					if family(s) == fam {
						servers = append(servers, s.Unmap())
					}
				}
				if err := n.ops.setDNS(luid, fam, servers, to.dns.Search); err != nil {
					return have, fmt.Errorf("set ipv%d dns on %s: %w", fam, ifname, err)
				}
			}
		}
	}

	n.firewallOff(to, have) // last: nothing leaks meanwhile
	have.sort()
	if err := n.saveJournal(have); err != nil {
		return have, fmt.Errorf("journal %s: %w", ifname, err)
	}
	return have, nil
}

// setInterface sets MTU and metric for each family. A family the tunnel
// does not use may be disabled on the adapter (IPv6 turned off in its
// properties); that is no error.
func (n *winNetwork) setInterface(luid uint64, to *winTarget) error {
	for _, fam := range []int{4, 6} {
		used := slices.ContainsFunc(slices.Concat(to.Addresses, to.Routes), func(p netip.Prefix) bool {
			return family(p.Addr()) == fam
		})
		mtu := 0
		if used {
			mtu = to.mtu
			if fam == 6 && mtu < 1280 {
				// IPv6 needs at least 1280 (RFC 8200 section 5);
				// Windows refuses a smaller NlMtu.
				mtu = 0
			}
		}
		err := n.ops.setInterface(luid, fam, mtu, to.lowMetric[fam])
		if err != nil && (used || !errors.Is(err, errWinNotFound)) {
			return fmt.Errorf("set ipv%d mtu %d on %s: %w", fam, mtu, to.Interface, err)
		}
	}
	return nil
}

// Recover implements Network.
func (n *winNetwork) Recover(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	entries, err := n.loadJournal()
	if err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	var errs []error
	for _, e := range entries {
		n.logf("recovering %s from an earlier run: %d addresses, %d routes, %d endpoint routes, dns %v",
			e.Interface, len(e.Addresses), len(e.Routes), len(e.HostRoutes), e.DNS)
		if e.Firewall {
			n.logf("the kill switch of %s ended with the earlier run (its WFP session was dynamic); nothing to undo", e.Interface)
		}
		luid, found, err := n.lookup(e.Interface)
		if err == nil {
			var have *winEntry
			have, err = n.move(ctx, e, &winTarget{winEntry: winEntry{Interface: e.Interface}}, luid, found)
			if err != nil {
				n.cur[e.Interface] = &winTarget{winEntry: *have}
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("recover %s: %w", e.Interface, err))
			continue
		}
		delete(n.cur, e.Interface)
	}
	return errors.Join(errs...)
}

func (e *winEntry) ifname() string { return e.Interface }

// saveJournal writes e atomically, or deletes its file when e is empty.
func (n *winNetwork) saveJournal(e *winEntry) error { return n.journal.saveRecord(e) }

// loadJournal returns every entry left in the journal directory.
func (n *winNetwork) loadJournal() ([]*winEntry, error) { return loadRecords[winEntry](n.journal) }

// tolerate returns nil for an error that says the job is done already.
func winTolerate(err, done error) error {
	if errors.Is(err, done) {
		return nil
	}
	return err
}

func winRemove[T comparable](s []T, v T) []T {
	return slices.DeleteFunc(s, func(x T) bool { return x == v })
}

// unspecified is the next hop of an on-link route of p's family.
func winUnspecified(p netip.Prefix) netip.Addr {
	if p.Addr().Is4() {
		return netip.IPv4Unspecified()
	}
	return netip.IPv6Unspecified()
}
