// Package platform applies a tunnel's network settings to the operating
// system: addresses, routes, policy rules, MTU and DNS on one interface.
//
// The contract is declarative, in the manner of Tailscale's router: Apply
// makes the OS state for an interface match a Settings value, is idempotent,
// and applying the zero Settings removes everything it added. Every change is
// written to a journal in the state directory before it is made, so that a
// service that was killed can undo its leftovers with Recover at its next
// start.
//
// There is one implementation file per OS (platform_linux.go,
// platform_windows.go, platform_darwin.go) and a fallback that returns
// errors.ErrUnsupported. The platformtest package holds a fake that records
// the resulting state as sorted text for golden tests.
package platform

import (
	"context"
	"net/netip"
)

// Settings is the network configuration of one tunnel interface.
type Settings struct {
	// Addresses are assigned to the interface.
	Addresses []netip.Prefix
	// Routes are the peers' AllowedIPs, sent into the interface.
	Routes []netip.Prefix
	// Table is the wg-quick Table value: "" or "auto" (main table, or a
	// policy-routed table of its own when Routes hold a default route),
	// "off" (no routes at all), or a table number.
	Table string
	// FwMark marks the tunnel's own encrypted packets so that policy rules
	// keep them on the real uplink. It is also the number of the routing
	// table used for a default route with Table auto. Zero: none needed.
	FwMark uint32
	// MTU of the interface; zero means automatic (the MTU of the route to
	// the endpoints minus 80, as wg-quick does, else 1420).
	MTU int
	// DNS servers and search domains to use while the tunnel is up.
	DNS       []netip.Addr
	DNSSearch []string
	// Endpoints are the peers' resolved UDP addresses; they must stay
	// reachable outside the tunnel.
	Endpoints []netip.AddrPort
	// KillSwitch asks for a firewall that lets nothing leave outside the
	// tunnel but the encrypted traffic to the endpoints (and loopback,
	// DHCP and neighbour discovery), and DNS only to the tunnel's
	// servers. It means something only when Routes hold 0.0.0.0/0 or ::/0
	// (a full tunnel); a Network that does not implement Firewaller, or
	// whose Firewall says it cannot, ignores it. False: no firewall.
	KillSwitch bool
	// AllowLAN keeps the directly connected subnets of the uplinks
	// reachable while the kill switch is on (the printer at home). Only
	// with KillSwitch.
	AllowLAN bool
}

// IsZero reports whether s asks for nothing (the "remove everything" value).
func (s Settings) IsZero() bool {
	return len(s.Addresses) == 0 && len(s.Routes) == 0 && s.Table == "" &&
		s.FwMark == 0 && s.MTU == 0 && len(s.DNS) == 0 &&
		len(s.DNSSearch) == 0 && len(s.Endpoints) == 0 && !s.KillSwitch && !s.AllowLAN
}

// FirewallSupport says which firewall settings a Network enforces.
type FirewallSupport struct {
	// KillSwitch: Apply enforces Settings.KillSwitch for full tunnels.
	KillSwitch bool
	// AllowLAN: Apply honours Settings.AllowLAN. Without it, Apply refuses
	// AllowLAN with an error wrapping errors.ErrUnsupported rather than
	// block the LAN the user asked to keep.
	AllowLAN bool
	// Limit is a sentence about what the firewall cannot do here, for
	// people ("one kill-switched tunnel at a time on Windows"); may be "".
	Limit string
}

// Firewaller is implemented by a Network that can enforce a kill switch.
// A Network that does not implement it enforces none, whatever Settings
// say: the service then tells the user that the kill switch is not
// available on this system rather than pretend it is on.
//
// The contract: when Firewall().KillSwitch is true and Apply returns nil
// for Settings with KillSwitch set on a full tunnel, the firewall is in
// force until Apply is called with KillSwitch false or the zero Settings.
// It is put in place before the routes and removed after them, so that
// nothing leaks while a tunnel comes up or goes down.
type Firewaller interface {
	Firewall() FirewallSupport
}

// FirewallOf returns what n's firewall enforces: nothing unless n is a
// Firewaller.
func FirewallOf(n Network) FirewallSupport {
	if f, ok := n.(Firewaller); ok {
		return f.Firewall()
	}
	return FirewallSupport{}
}

// Network configures tunnel interfaces. Implementations are safe for
// concurrent use on different interfaces.
type Network interface {
	// Apply makes the OS state of the named interface match s. Calling it
	// again with the same s changes nothing; calling it with the zero
	// Settings removes every address, route, rule and DNS change it made
	// for that interface and leaves the journal entry empty.
	Apply(ctx context.Context, ifname string, s Settings) error
	// Recover undoes whatever the journal says is left over from an earlier
	// run that did not end cleanly (a killed service). It must be called
	// before any Apply.
	Recover(ctx context.Context) error
}

// Logger is where a component reports what it does (such as the DNS mode
// and why). Either field may be nil. The tunnel engine and the local API
// use the same type; nothing passed to it may contain key material.
type Logger struct {
	Verbosef func(format string, args ...any)
	Errorf   func(format string, args ...any)
}

// Verbose logs through Verbosef, if set.
func (l Logger) Verbose(format string, args ...any) {
	if l.Verbosef != nil {
		l.Verbosef(format, args...)
	}
}

// Error logs through Errorf, if set.
func (l Logger) Error(format string, args ...any) {
	if l.Errorf != nil {
		l.Errorf(format, args...)
	}
}

// Prefixed returns a Logger that puts prefix before every message.
func (l Logger) Prefixed(prefix string) Logger {
	wrap := func(f func(string, ...any)) func(string, ...any) {
		if f == nil {
			return nil
		}
		return func(format string, args ...any) { f(prefix+format, args...) }
	}
	return Logger{Verbosef: wrap(l.Verbosef), Errorf: wrap(l.Errorf)}
}

// Options configure a Network.
type Options struct {
	// StateDir holds the journal (default /var/lib/wgdesk).
	StateDir string
	// DNSMode forces a DNS mode ("resolved", "resolvconf", "direct");
	// empty chooses at run time.
	DNSMode string
	// ResolvConf is the file the direct DNS mode edits (default
	// /etc/resolv.conf).
	ResolvConf string
	Logger     Logger
}

// Watcher is implemented by a Network whose settings depend on the uplink
// (the network the endpoints are reached through) and must be applied again
// when it changes: on macOS and Windows the endpoints' host routes point at
// the uplink's gateway, and the automatic MTU follows the uplink's. The
// Linux Network does not implement it: its policy rules follow the uplink
// by themselves.
//
// The contract:
//   - Watch calls changed whenever the OS's routes, addresses or interfaces
//     change, until ctx ends. Calls may come in bursts and from any
//     goroutine; changed must not block.
//   - Changes that this Network makes itself (on the tunnel interfaces it
//     manages, and the endpoints' host routes it adds) do not call changed,
//     so that applying again after a change does not cause the next one.
//   - Watch blocks until ctx ends and then returns nil, or returns an error
//     at once when it cannot watch. After Watch returns, changed is never
//     called again.
type Watcher interface {
	Watch(ctx context.Context, changed func()) error
}
