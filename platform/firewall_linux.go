package platform

// The Linux kill switch: when linuxNetwork puts it in force and takes it
// away, and what it reads from the system for it. The rules are in
// nftrules_linux.go, the netlink calls in nft_linux.go.
//
//   - One nftables table, inet wgdesk, holds the kill switches of every
//     kill-switched tunnel together. Each change (a tunnel more or less,
//     another input, new LAN subnets) rebuilds the whole table in one
//     netlink batch, which the kernel commits atomically: there is no
//     moment without the rules, and a failed change leaves the old table.
//   - The table is created before the tunnel's addresses and routes and
//     deleted after them, so nothing leaks while a tunnel comes up or
//     goes down. The journal entry of the interface records it first
//     (journalEntry.Firewall).
//   - The table is kernel state: it outlives the service. A killed
//     service therefore leaves the network closed (nothing leaks while
//     wireguard-go is gone), and Recover at the next start deletes the
//     table, as the journal says it may exist.
//   - With Allow LAN the uplinks' connected subnets are read from the
//     kernel's main routing table at every Apply, and a netlink
//     subscription to address and route changes rebuilds the table when
//     they change while such a tunnel is up (the Linux Network is no
//     Watcher: nothing else needs applying again).

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// linuxFirewallLimit is what the service log says about the kill switch.
const linuxFirewallLimit = "an nftables table (inet wgdesk) that outlives the service: if the service is killed, the network stays closed until it starts again"

// linuxFirewall is the kill switch state of a linuxNetwork, guarded by its
// mu.
type linuxFirewall struct {
	nft   nftBackend // nil: nftables is not available
	why   error      // why nft is nil
	table string
	// watch subscribes to address and route changes until ctx ends.
	watch func(ctx context.Context, changed func()) error
	// on are the kill switches in force, by interface; script is the
	// table as last put in place ("" for none).
	on     map[string]nftTunnel
	script string
	// stopWatch ends the LAN watch; nil when none runs.
	stopWatch func()
}

// newNftSeams probes nftables in the current network namespace for New.
func newNftSeams(log Logger) (nftBackend, error) {
	b := nftNetlink{}
	if err := nftProbe(b); err != nil {
		log.Error("platform: kill switch not available: %v", err)
		return nil, err
	}
	return b, nil
}

func newLinuxFirewall(s linuxSeams) *linuxFirewall {
	fw := &linuxFirewall{nft: s.nft, why: s.nftErr, table: s.nftTable, watch: s.watchLAN, on: map[string]nftTunnel{}}
	if fw.table == "" {
		fw.table = nftTableName
	}
	if fw.nft == nil && fw.why == nil {
		fw.why = errors.New("no nftables back end")
	}
	if fw.watch == nil {
		fw.watch = netlinkWatch(nil)
	}
	return fw
}

// Firewall implements Firewaller: the kill switch and Allow LAN, when
// nftables works here.
func (n *linuxNetwork) Firewall() FirewallSupport {
	if n.fw.nft == nil {
		return FirewallSupport{Limit: fmt.Sprintf("nftables is not available (%v)", n.fw.why)}
	}
	return FirewallSupport{KillSwitch: true, AllowLAN: true, Limit: linuxFirewallLimit}
}

// firewallTunnel returns the kill switch Settings s ask for on ifname
// (plan p), or nil: the kill switch is off, nftables is not available, or
// the tunnel is not a full one (no default route, or Table off).
func (n *linuxNetwork) firewallTunnel(ifname string, s Settings, p Plan) *nftTunnel {
	if !s.KillSwitch || n.fw.nft == nil {
		return nil
	}
	t := nftTunnel{Interface: ifname, AllowLAN: s.AllowLAN}
	for _, r := range p.Routes {
		if r.Prefix.Bits() == 0 {
			if r.Prefix.Addr().Is4() {
				t.FullIPv4 = true
			} else {
				t.FullIPv6 = true
			}
		}
	}
	if !t.FullIPv4 && !t.FullIPv6 {
		return nil
	}
	// The device marks its packets with Settings.FwMark, or with the
	// policy table's number when the engine chose it (Table auto).
	t.Mark = s.FwMark
	if t.Mark == 0 {
		t.Mark = p.PolicyTable
	}
	for _, e := range s.Endpoints {
		t.Endpoints = append(t.Endpoints, netip.AddrPortFrom(e.Addr().Unmap(), e.Port()))
	}
	t.Endpoints = uniqueSorted(t.Endpoints, func(e netip.AddrPort) netip.AddrPort { return e }, netip.AddrPort.Compare)
	t.DNS = uniqueSorted(s.DNS, netip.Addr.Unmap, netip.Addr.Compare)
	return &t
}

// firewallOnLocked puts want in force on its interface before anything
// else of the tunnel is made, recording it in the journal first. Nothing
// to do for nil. n.mu is held.
func (n *linuxNetwork) firewallOnLocked(have *journalEntry, want *nftTunnel) error {
	if want == nil {
		return nil
	}
	if !have.Firewall {
		have.Firewall = true // ours from the moment we ask
		have.BootID = n.bootID
		if err := n.writeJournalLocked(have); err != nil {
			return fmt.Errorf("journal %s: %w", want.Interface, err)
		}
	}
	next := maps.Clone(n.fw.on)
	next[want.Interface] = *want
	if err := n.setFirewallLocked(next); err != nil {
		return fmt.Errorf("turn the kill switch on for %s: %w", want.Interface, err)
	}
	return nil
}

// firewallOffLocked takes the kill switch of ifname away, after
// everything else of the tunnel, and clears it from the journal entry cur.
// The other tunnels' kill switches stay; with none left the table goes.
// n.mu is held.
func (n *linuxNetwork) firewallOffLocked(ifname string, cur *journalEntry) error {
	_, on := n.fw.on[ifname]
	if !on && !cur.Firewall {
		return nil
	}
	if n.fw.nft == nil {
		n.logf("the journal of %s names a kill switch, but nftables is not available to remove it", ifname)
	} else {
		next := maps.Clone(n.fw.on)
		delete(next, ifname)
		if err := n.setFirewallLocked(next); err != nil {
			return fmt.Errorf("turn the kill switch off for %s: %w", ifname, err)
		}
	}
	cur.Firewall = false
	if err := n.saveJournalLocked(cur, true); err != nil {
		return fmt.Errorf("journal %s: %w", ifname, err)
	}
	return nil
}

// setFirewallLocked puts exactly the kill switches on in force, reading
// the LAN subnets when they are needed, and starts or stops the LAN
// watch. Nothing happens when the table would not change; a table that a
// journal names but that this run did not make is deleted all the same.
// n.mu is held.
func (n *linuxNetwork) setFirewallLocked(on map[string]nftTunnel) error {
	tunnels := slices.Collect(maps.Values(on))
	slices.SortFunc(tunnels, func(a, b nftTunnel) int { return strings.Compare(a.Interface, b.Interface) })
	lanNeeded := len(tunnels) > 0
	for _, t := range tunnels {
		lanNeeded = lanNeeded && t.AllowLAN
	}
	var lan []netip.Prefix
	if lanNeeded {
		var err error
		if lan, err = n.connectedSubnetsLocked(on); err != nil {
			return fmt.Errorf("read the lan subnets: %w", err)
		}
	}
	script := nftScript(n.fw.table, tunnels, lan)
	if script != n.fw.script || script == "" {
		if err := n.fw.nft.replace(n.fw.table, nftRuleset(tunnels, lan)); err != nil {
			return err
		}
		if script != n.fw.script {
			if script == "" {
				n.logf("kill switch off: nftables table inet %s deleted", n.fw.table)
			} else {
				n.logf("kill switch in force:\n%s", script)
			}
		}
	}
	n.fw.on, n.fw.script = on, script
	n.watchLANLocked(lanNeeded)
	return nil
}

// connectedSubnetsLocked returns the subnets on-link on the uplinks: the
// routes of the main table without a gateway on the interfaces other than
// loopback and the tunnels this Network manages (a split tunnel's routes
// look on-link too). Default and host routes, multicast and loopback are
// no subnets to allow.
func (n *linuxNetwork) connectedSubnetsLocked(on map[string]nftTunnel) ([]netip.Prefix, error) {
	local, err := n.connectedLocalLocked(on) // connected_linux.go
	if err != nil {
		return nil, err
	}
	out := make([]netip.Prefix, 0, len(local))
	for _, l := range local {
		out = append(out, l.Prefix)
	}
	return uniqueSorted(out, func(p netip.Prefix) netip.Prefix { return p }, comparePrefix), nil
}

// watchLANLocked runs the LAN watch while want: on each burst of address
// or route changes the table is rebuilt with the subnets read again (and
// left alone when they are the same). n.mu is held.
func (n *linuxNetwork) watchLANLocked(want bool) {
	if !want {
		if n.fw.stopWatch != nil {
			n.fw.stopWatch()
			n.fw.stopWatch = nil
		}
		return
	}
	if n.fw.stopWatch != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	kick := make(chan struct{}, 1)
	done := make(chan struct{})
	n.fw.stopWatch = func() { cancel(); <-done }
	go func() {
		defer close(done)
		errc := make(chan error, 1)
		go func() {
			errc <- n.fw.watch(ctx, func() {
				select {
				case kick <- struct{}{}:
				default:
				}
			})
		}()
		for {
			select {
			case <-ctx.Done():
				<-errc
				return
			case err := <-errc:
				if err != nil {
					n.errorf("kill switch: watch the lan subnets: %v", err)
				}
				<-ctx.Done()
				return
			case <-kick:
			}
			// Let a burst (an address and its prefix route) settle.
			select {
			case <-ctx.Done():
				<-errc
				return
			case <-time.After(100 * time.Millisecond):
			}
			n.refreshLAN(ctx)
		}
	}()
}

// refreshLAN rebuilds the table if the LAN subnets changed. It gives up
// when ctx ends first: then watchLANLocked is stopping it, with n.mu held.
func (n *linuxNetwork) refreshLAN(ctx context.Context) {
	locked := make(chan struct{})
	go func() { n.mu.Lock(); close(locked) }()
	select {
	case <-locked:
	case <-ctx.Done():
		// The stopper holds n.mu; take the lock when it is free and
		// give it back at once.
		go func() { <-locked; n.mu.Unlock() }()
		return
	}
	defer n.mu.Unlock()
	if ctx.Err() != nil || len(n.fw.on) == 0 {
		return
	}
	if err := n.setFirewallLocked(n.fw.on); err != nil {
		n.errorf("kill switch: follow the lan subnets: %v", err)
	}
}

// netlinkWatch returns a watch of address and route changes in the
// network namespace ns (nil: the current one).
func netlinkWatch(ns *netns.NsHandle) func(ctx context.Context, changed func()) error {
	return func(ctx context.Context, changed func()) error {
		done := make(chan struct{})
		defer close(done)
		addrs := make(chan netlink.AddrUpdate, 16)
		routes := make(chan netlink.RouteUpdate, 16)
		errc := make(chan error, 2)
		onErr := func(err error) {
			select {
			case errc <- err:
			default:
			}
		}
		if err := netlink.AddrSubscribeWithOptions(addrs, done, netlink.AddrSubscribeOptions{Namespace: ns, ErrorCallback: onErr}); err != nil {
			return fmt.Errorf("subscribe to address changes: %w", err)
		}
		if err := netlink.RouteSubscribeWithOptions(routes, done, netlink.RouteSubscribeOptions{Namespace: ns, ErrorCallback: onErr}); err != nil {
			return fmt.Errorf("subscribe to route changes: %w", err)
		}
		for {
			select {
			case <-ctx.Done():
				return nil
			case err := <-errc:
				return err
			case _, ok := <-addrs:
				if !ok {
					return errors.New("address subscription ended")
				}
				changed()
			case _, ok := <-routes:
				if !ok {
					return errors.New("route subscription ended")
				}
				changed()
			}
		}
	}
}
