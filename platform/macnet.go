package platform

// The macOS back end. It drives ifconfig(8), route(8) and networksetup(8)
// much as wg-quick's darwin.bash does, through a command runner that the
// tests replace with a simulated Mac, so that this file (which has no build
// tag) is exercised on Linux. Only the real runner lives in
// platform_darwin.go.
//
// What differs from wg-quick, and why:
//   - A default route becomes the two halves 0.0.0.0/1 and 128.0.0.0/1
//     (::/1 and 8000::/1), as with wg-quick, for Table auto and main alike:
//     macOS has a single routing table, and "main" with a literal default
//     route fails in wg-quick because the uplink's default already exists.
//   - The endpoints' host routes via the uplink are added before the tunnel
//     routes, so that the handshake never loops into the tunnel.
//   - Every change is journaled first; Recover restores DNS and removes the
//     endpoints' host routes after a crash. Addresses and routes on the
//     utun need no recovery: the utun dies with the process that opened it.
//   - A new uplink (another Wi-Fi) is picked up at the next Apply; Watch
//     (macnet_watch.go) tells the tunnel engine when to make one.
//   - The kill switch is a pf anchor (pfrules.go), put in force before the
//     routes and removed after them with pfctl (pfctl.go); it outlives a
//     killed service and Recover removes it.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// macRunner runs one system command and returns its standard output. A
// failure's error includes what the command printed (see macCommandError),
// which callers match against the messages of the BSD tools ("not in
// table").
type macRunner interface {
	run(ctx context.Context, name string, args ...string) ([]byte, error)
}

// macCommandError is the error of a failed command: the command line, the
// cause and the command's output, on one line.
func macCommandError(name string, args []string, err error, output []byte) error {
	out := strings.Join(strings.Fields(string(output)), " ")
	if out == "" {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, out)
}

// The BSD tools' messages for "already gone", which removal tolerates.
func isMacNotInTable(err error) bool {
	return err != nil && strings.Contains(err.Error(), "not in table")
}
func isMacNoInterface(err error) bool {
	return err != nil && strings.Contains(err.Error(), "does not exist")
}
func isMacNoAddress(err error) bool {
	return err != nil && strings.Contains(err.Error(), "Can't assign requested address")
}

// macPlan is what Settings mean on macOS.
type macPlan struct {
	Interface string
	Up        bool
	Addresses []netip.Prefix
	// Routes into the utun, default routes already split in halves.
	Routes []netip.Prefix
	// Full4 and Full6: a default route of that family goes into the
	// tunnel, so the endpoints of that family need host routes around it.
	Full4, Full6 bool
	MTU          int // 0: automatic
	Endpoints    []netip.AddrPort
	DNS          DNSPlan
}

var (
	macHalves4 = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/1"), netip.MustParsePrefix("128.0.0.0/1")}
	macHalves6 = []netip.Prefix{netip.MustParsePrefix("::/1"), netip.MustParsePrefix("8000::/1")}
)

// newMacPlan computes the macOS plan for s on ifname. Numbered routing
// tables do not exist on macOS and are refused.
func newMacPlan(ifname string, s Settings) (macPlan, error) {
	switch t := strings.ToLower(strings.TrimSpace(s.Table)); t {
	case "", "auto", "main", "off":
	default:
		return macPlan{}, fmt.Errorf("table %q: macos has a single routing table, want auto, main or off", s.Table)
	}
	p, err := NewPlan(ifname, s)
	if err != nil {
		return macPlan{}, err
	}
	mp := macPlan{
		Interface: ifname,
		Up:        p.Up,
		Addresses: p.Addresses,
		MTU:       p.MTU,
		DNS:       p.DNS,
	}
	for _, r := range p.Routes {
		switch {
		case r.Prefix.Bits() != 0:
			mp.Routes = append(mp.Routes, r.Prefix)
		case r.Prefix.Addr().Is4():
			mp.Full4 = true
			mp.Routes = append(mp.Routes, macHalves4...)
		default:
			mp.Full6 = true
			mp.Routes = append(mp.Routes, macHalves6...)
		}
	}
	mp.Routes = uniqueSorted(mp.Routes, func(a netip.Prefix) netip.Prefix { return a }, comparePrefix)
	for _, ep := range p.Endpoints {
		if ep.IsValid() {
			mp.Endpoints = append(mp.Endpoints, netip.AddrPortFrom(ep.Addr().Unmap(), ep.Port()))
		}
	}
	return mp, nil
}

// macNetwork is the macOS Network.
type macNetwork struct {
	opts    Options
	run     macRunner
	journal journal

	mu    sync.Mutex // serialises all changes and guards owned and pf
	owned map[string]*macEntry
	pf    macPF // the kill switch (pfctl.go)

	// self is what the route monitor ignores: our utuns and bypass routes.
	self ownedSet
	// openRoutes opens the routing socket for Watch (nil: not available),
	// and ifName names an interface index; tests replace both.
	openRoutes func() (io.ReadCloser, error)
	ifName     func(index int) (string, error)
}

var _ Network = (*macNetwork)(nil)

func newMacNetwork(opts Options, r macRunner) *macNetwork {
	return &macNetwork{
		opts:    opts,
		run:     r,
		journal: newJournal(opts.StateDir),
		owned:   map[string]*macEntry{},
		ifName: func(index int) (string, error) {
			ifi, err := net.InterfaceByIndex(index)
			if err != nil {
				return "", err
			}
			return ifi.Name, nil
		},
	}
}

func (n *macNetwork) logf(format string, args ...any) {
	n.opts.Logger.Verbose("platform: "+format, args...)
}

func (n *macNetwork) errorf(format string, args ...any) {
	n.opts.Logger.Error("platform: "+format, args...)
}

// Apply implements Network.
func (n *macNetwork) Apply(ctx context.Context, ifname string, s Settings) error {
	p, err := newMacPlan(ifname, s)
	if err != nil {
		return fmt.Errorf("plan %s: %w", ifname, err)
	}
	if _, err := n.journal.path(ifname); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	prev := n.owned[ifname]
	if prev == nil {
		prev = &macEntry{Interface: ifname}
	}
	// The kill switch comes before everything else and goes after it
	// (pfctl.go).
	fw := n.pfTunnelFor(p, s)
	if err := n.killSwitchOnLocked(ctx, prev, fw); err != nil {
		if !prev.isEmpty() {
			n.owned[ifname] = prev
		}
		return err
	}
	have, err := n.applyLocked(ctx, prev, p, false)
	if fw == nil && (err == nil || !p.Up) {
		// Taking a tunnel down opens the network even when something
		// else of it could not be undone: the user asked for it back.
		err = errors.Join(err, n.killSwitchOffLocked(ctx, have))
	}
	if have.isEmpty() {
		delete(n.owned, ifname)
		n.self.forget(ifname)
	} else {
		n.owned[ifname] = have
	}
	return err
}

// Recover implements Network. It restores DNS and removes the endpoints'
// host routes that an earlier run left, then its kill switch. It leaves the utun's addresses and
// routes alone: they went away with that run's utun, and an interface of
// the same name now is somebody else's.
func (n *macNetwork) Recover(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	entries, err := n.journal.loadMac()
	if err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	var errs []error
	for _, e := range entries {
		n.logf("recovering %s from an earlier run: %d endpoint routes, dns %v (its %d addresses and %d routes went with the interface)",
			e.Interface, len(e.Bypass), e.DNS != nil, len(e.Addresses), len(e.Routes))
		if e.KillSwitch != nil {
			n.logf("the kill switch of %s is still in force (pf anchor %s, pf reference %q)", e.Interface, pfAnchor, e.KillSwitch.Token)
		}
		have, err := n.applyLocked(ctx, e, macPlan{Interface: e.Interface}, true)
		if have.KillSwitch != nil {
			// The kill switch of the crashed run kept the network
			// closed until now. It goes even when something else
			// could not be undone: no tunnel is up to use.
			n.logf("removing the kill switch of %s from an earlier run", e.Interface)
			err = errors.Join(err, n.killSwitchOffLocked(ctx, have))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("recover %s: %w", e.Interface, err))
			n.owned[e.Interface] = have
			continue
		}
		delete(n.owned, e.Interface)
	}
	return errors.Join(errs...)
}

// applyLocked moves the state of p.Interface from what prev owns to p and
// returns what is owned afterwards. A failure while adding rolls back what
// this call added; whatever could not be undone stays owned and journaled.
// recovering says the interface is not ours any more (Recover).
func (n *macNetwork) applyLocked(ctx context.Context, prev *macEntry, p macPlan, recovering bool) (*macEntry, error) {
	ifname := p.Interface

	// Read the OS and work out the target; nothing changes yet.
	link, exists := macIfconfig{}, false
	if !recovering {
		l, err := n.readInterface(ctx, ifname)
		switch {
		case err == nil:
			link, exists = l, true
		case p.Up:
			return prev, fmt.Errorf("find interface %s: %w", ifname, err)
		case !isMacNoInterface(err):
			n.errorf("read interface %s: %v; taking it as gone", ifname, err)
		}
	}
	want := &macEntry{Interface: ifname, Addresses: p.Addresses, Routes: p.Routes}
	mtu := p.MTU
	if p.Up {
		b, err := n.bypassRoutes(ctx, p)
		if err != nil {
			return prev, fmt.Errorf("find the uplink of %s: %w", ifname, err)
		}
		want.Bypass = b
		if mtu == 0 {
			mtu = n.autoMTU(ctx, p)
		}
	}

	// Journal the union first: a crash from here on leaves a journal that
	// names everything that might exist.
	have := prev.union(want)
	if err := n.journal.saveMac(have); err != nil {
		return prev, fmt.Errorf("journal %s: %w", ifname, err)
	}
	if !recovering {
		n.self.note(ifname, 0, have.bypassDests())
	}
	if err := ctx.Err(); err != nil {
		return have, err
	}

	// Remove what is no longer wanted in the reverse order of adding: DNS,
	// tunnel routes, then the endpoints' routes, so that the endpoints never
	// fall into the tunnel, and addresses. A removal failure stops here, everything journaled.
	if p.DNS.IsZero() && have.DNS != nil {
		if err := n.restoreDNS(ctx, ifname, have.DNS); err != nil {
			return n.saveHave(have, fmt.Errorf("restore dns for %s: %w", ifname, err))
		}
		have.DNS = nil
	}
	for _, r := range prefixesNotIn(prev.Routes, want.Routes) {
		if exists {
			if err := n.delRoute(ctx, ifname, r); err != nil {
				return n.saveHave(have, fmt.Errorf("remove routes from %s: %w", ifname, err))
			}
		}
		have.Routes = slices.DeleteFunc(have.Routes, func(x netip.Prefix) bool { return x == r })
	}
	for _, b := range notIn(prev.Bypass, want.Bypass) {
		if err := n.delBypass(ctx, b); err != nil {
			return n.saveHave(have, fmt.Errorf("remove endpoint route from %s: %w", ifname, err))
		}
		have.Bypass = slices.DeleteFunc(have.Bypass, func(x macBypass) bool { return x == b })
	}
	for _, a := range prefixesNotIn(prev.Addresses, want.Addresses) {
		if exists {
			if err := n.delAddr(ctx, ifname, a); err != nil {
				return n.saveHave(have, fmt.Errorf("remove addresses from %s: %w", ifname, err))
			}
			link.Addrs = slices.DeleteFunc(link.Addrs, func(x netip.Addr) bool { return x == a.Addr().WithZone("") })
		}
		have.Addresses = slices.DeleteFunc(have.Addresses, func(x netip.Prefix) bool { return x == a })
	}
	if !p.Up {
		return n.saveHave(have, nil)
	}

	// Add what is new, undoing this call's additions if a step fails.
	// have now owns what was kept; each new thing joins it just before it
	// is made (the journal names it already), so that a failure leaves
	// owned only what may exist.
	have.Addresses = macKept(want.Addresses, prev.Addresses)
	have.Routes = macKept(want.Routes, prev.Routes)
	have.Bypass = macKept(want.Bypass, prev.Bypass)
	u := &macUndo{n: n, have: have}
	fail := func(err error) (*macEntry, error) {
		u.rollback(context.WithoutCancel(ctx))
		return n.saveHave(have, err)
	}
	if link.MTU != mtu {
		if err := n.cmd(ctx, "ifconfig", ifname, "mtu", strconv.Itoa(mtu)); err != nil {
			return fail(fmt.Errorf("set mtu of %s: %w", ifname, err))
		}
	}
	if !link.Up {
		if err := n.cmd(ctx, "ifconfig", ifname, "up"); err != nil {
			return fail(fmt.Errorf("bring %s up: %w", ifname, err))
		}
	}
	for _, a := range prefixesNotIn(want.Addresses, prev.Addresses) {
		have.Addresses = append(have.Addresses, a)
		if link.hasAddr(a.Addr()) {
			continue // the utun is ours; an address already on it is kept
		}
		if err := n.addAddr(ctx, ifname, a); err != nil {
			have.Addresses = have.Addresses[:len(have.Addresses)-1]
			return fail(fmt.Errorf("set addresses on %s: %w", ifname, err))
		}
		u.push(func(ctx context.Context) error { return n.delAddr(ctx, ifname, a) },
			func(e *macEntry) {
				e.Addresses = slices.DeleteFunc(e.Addresses, func(x netip.Prefix) bool { return x == a })
			})
	}
	for _, b := range notIn(want.Bypass, prev.Bypass) {
		have.Bypass = append(have.Bypass, b)
		if err := n.addBypass(ctx, b); err != nil {
			have.Bypass = have.Bypass[:len(have.Bypass)-1]
			return fail(fmt.Errorf("set endpoint routes for %s: %w", ifname, err))
		}
		u.push(func(ctx context.Context) error { return n.delBypass(ctx, b) },
			func(e *macEntry) { e.Bypass = slices.DeleteFunc(e.Bypass, func(x macBypass) bool { return x == b }) })
	}
	for _, r := range prefixesNotIn(want.Routes, prev.Routes) {
		have.Routes = append(have.Routes, r)
		if err := n.addRoute(ctx, ifname, r); err != nil {
			have.Routes = have.Routes[:len(have.Routes)-1]
			return fail(fmt.Errorf("set routes on %s: %w", ifname, err))
		}
		u.push(func(ctx context.Context) error { return n.delRoute(ctx, ifname, r) },
			func(e *macEntry) { e.Routes = slices.DeleteFunc(e.Routes, func(x netip.Prefix) bool { return x == r }) })
	}
	if !p.DNS.IsZero() {
		created := have.DNS == nil
		if created {
			u.push(func(ctx context.Context) error {
				if have.DNS == nil {
					return nil
				}
				return n.restoreDNS(ctx, ifname, have.DNS)
			}, func(e *macEntry) { e.DNS = nil })
		}
		if err := n.setDNS(ctx, have, p.DNS); err != nil {
			return fail(fmt.Errorf("set dns for %s: %w", ifname, err))
		}
	}
	return n.saveHave(have, nil)
}

// macKept returns the elements of want that prev has too.
func macKept[T comparable](want, prev []T) []T {
	var out []T
	for _, v := range want {
		if slices.Contains(prev, v) {
			out = append(out, v)
		}
	}
	return out
}

// saveHave journals what is owned now and returns it with err.
func (n *macNetwork) saveHave(have *macEntry, err error) (*macEntry, error) {
	if jerr := n.journal.saveMac(have); jerr != nil {
		err = errors.Join(err, fmt.Errorf("journal %s: %w", have.Interface, jerr))
	}
	return have, err
}

// macUndo collects the undo steps of one Apply's additions.
type macUndo struct {
	n     *macNetwork
	have  *macEntry
	steps []macUndoStep
}

type macUndoStep struct {
	undo   func(context.Context) error
	forget func(*macEntry) // drops the undone thing from what is owned
}

func (u *macUndo) push(undo func(context.Context) error, forget func(*macEntry)) {
	u.steps = append(u.steps, macUndoStep{undo, forget})
}

// rollback undoes the steps in reverse order; what cannot be undone stays
// owned, for the next Apply or Recover.
func (u *macUndo) rollback(ctx context.Context) {
	for i := len(u.steps) - 1; i >= 0; i-- {
		s := u.steps[i]
		if err := s.undo(ctx); err != nil {
			u.n.errorf("roll back on %s: %v", u.have.Interface, err)
			continue
		}
		s.forget(u.have)
	}
}

// cmd runs a command whose output does not matter.
func (n *macNetwork) cmd(ctx context.Context, name string, args ...string) error {
	n.logf("%s %s", name, strings.Join(args, " "))
	_, err := n.run.run(ctx, name, args...)
	return err
}

func (n *macNetwork) readInterface(ctx context.Context, ifname string) (macIfconfig, error) {
	out, err := n.run.run(ctx, "ifconfig", ifname)
	if err != nil {
		return macIfconfig{}, err
	}
	return parseMacIfconfig(out)
}

func macFamily(a netip.Addr) string {
	if a.Is4() {
		return "-inet"
	}
	return "-inet6"
}

// addAddr assigns a: IPv4 as a point-to-point address to itself, as
// wg-quick does (utun is point-to-point), IPv6 with its prefix length.
func (n *macNetwork) addAddr(ctx context.Context, ifname string, a netip.Prefix) error {
	if a.Addr().Is4() {
		return n.cmd(ctx, "ifconfig", ifname, "inet", a.String(), a.Addr().String(), "alias")
	}
	return n.cmd(ctx, "ifconfig", ifname, "inet6", a.Addr().String(), "prefixlen", strconv.Itoa(a.Bits()), "alias")
}

func (n *macNetwork) delAddr(ctx context.Context, ifname string, a netip.Prefix) error {
	fam := "inet6"
	if a.Addr().Is4() {
		fam = "inet"
	}
	err := n.cmd(ctx, "ifconfig", ifname, fam, a.Addr().String(), "-alias")
	if isMacNoAddress(err) || isMacNoInterface(err) {
		return nil
	}
	return err
}

// Route deletions run without -q: quiet mode hides the "not in table"
// reason that tells an already missing route from a real failure.

func (n *macNetwork) addRoute(ctx context.Context, ifname string, r netip.Prefix) error {
	return n.cmd(ctx, "route", "-q", "-n", "add", macFamily(r.Addr()), r.String(), "-interface", ifname)
}

func (n *macNetwork) delRoute(ctx context.Context, ifname string, r netip.Prefix) error {
	err := n.cmd(ctx, "route", "-n", "delete", macFamily(r.Addr()), r.String(), "-interface", ifname)
	if isMacNotInTable(err) {
		return nil
	}
	return err
}

func (b macBypass) nextHop() []string {
	if b.Gateway.IsValid() {
		return []string{"-gateway", b.Gateway.String()}
	}
	return []string{"-interface", b.Via}
}

func (n *macNetwork) addBypass(ctx context.Context, b macBypass) error {
	args := append([]string{"-q", "-n", "add", macFamily(b.Dest), b.Dest.String()}, b.nextHop()...)
	return n.cmd(ctx, "route", args...)
}

func (n *macNetwork) delBypass(ctx context.Context, b macBypass) error {
	args := append([]string{"-n", "delete", macFamily(b.Dest), b.Dest.String()}, b.nextHop()...)
	err := n.cmd(ctx, "route", args...)
	if isMacNotInTable(err) {
		return nil
	}
	return err
}

// routeGet asks the kernel for the route to dest ("default" or an
// address); ok is false when there is none.
func (n *macNetwork) routeGet(ctx context.Context, family, dest string) (info macRouteInfo, ok bool, err error) {
	out, err := n.run.run(ctx, "route", "-n", "get", family, dest)
	if isMacNotInTable(err) {
		return macRouteInfo{}, false, nil
	}
	if err != nil {
		return macRouteInfo{}, false, err
	}
	info, err = parseMacRouteGet(out)
	return info, err == nil, err
}

// bypassRoutes returns the host routes that keep the endpoints of each
// fully tunnelled family on the current uplink.
func (n *macNetwork) bypassRoutes(ctx context.Context, p macPlan) ([]macBypass, error) {
	var out []macBypass
	for _, fam := range []struct {
		full bool
		flag string
		is4  bool
	}{{p.Full4, "-inet", true}, {p.Full6, "-inet6", false}} {
		if !fam.full {
			continue
		}
		var eps []netip.Addr
		for _, ep := range p.Endpoints {
			if ep.Addr().Is4() == fam.is4 && !slices.Contains(eps, ep.Addr()) {
				eps = append(eps, ep.Addr())
			}
		}
		if len(eps) == 0 {
			continue
		}
		gw, ok, err := n.routeGet(ctx, fam.flag, "default")
		if err != nil {
			return nil, err
		}
		if !ok || gw.Interface == p.Interface {
			// No uplink of this family: the endpoints are unreachable
			// anyway, and the next Apply adds their routes.
			n.logf("no %s default route outside %s: endpoints %v get no host route", fam.flag[1:], p.Interface, eps)
			continue
		}
		for _, ep := range eps {
			b := macBypass{Dest: ep, Gateway: gw.Gateway}
			if !gw.Gateway.IsValid() {
				b.Via = gw.Interface
			}
			out = append(out, b)
		}
	}
	return out, nil
}

// autoMTU is the MTU for a zero Settings.MTU: the largest MTU of the
// interfaces the endpoints are routed through, else the default route's
// interface, minus 80; 1420 when nothing tells (see AutoMTU).
func (n *macNetwork) autoMTU(ctx context.Context, p macPlan) int {
	ifMTU := func(family, dest string) int {
		info, ok, err := n.routeGet(ctx, family, dest)
		if err != nil || !ok || info.Interface == p.Interface {
			return 0
		}
		c, err := n.readInterface(ctx, info.Interface)
		if err != nil {
			n.logf("mtu of %s: %v", info.Interface, err)
			return 0
		}
		return c.MTU
	}
	var eps []int
	for _, ep := range p.Endpoints {
		if m := ifMTU(macFamily(ep.Addr()), ep.Addr().String()); m > 0 {
			eps = append(eps, m)
		}
	}
	def := 0
	if len(eps) == 0 {
		def = ifMTU("-inet", "default")
	}
	mtu := AutoMTU(eps, def)
	n.logf("automatic mtu for %s: %d", p.Interface, mtu)
	return mtu
}
