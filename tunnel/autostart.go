package tunnel

// Tunnels back after a reboot: when the service starts, Manager.Autostart
// brings up the tunnels whose Options.Autostart is on, once the network
// is online. At boot the service may start before the uplink has an
// address or a route (the systemd unit orders it after
// network-online.target, but that target means little on a laptop whose
// Wi-Fi comes up when someone logs in), so it waits, with a bound and a
// backoff, for a default route or a route to the tunnel's endpoint, and
// says in the log why it waits. What differs per OS is only how a route
// is looked up (RouteChecker: netlink on Linux, the system's own route
// lookup elsewhere); the waiting is the same everywhere and tested here
// with a fake.

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"
)

// RouteChecker looks up the system's routes. It must not send anything.
type RouteChecker interface {
	// DefaultRoute reports whether the system has a default route of
	// IPv4 or IPv6 now.
	DefaultRoute() (bool, error)
	// RouteTo reports whether the system has a route to dst now.
	RouteTo(dst netip.Addr) (bool, error)
}

// AutostartOptions configure Manager.Autostart. The zero value waits up
// to DefaultAutostartWait with the system's routes.
type AutostartOptions struct {
	// Routes looks up routes (default: NewRouteChecker()).
	Routes RouteChecker
	// MaxWait bounds how long tunnels wait for the network (default
	// DefaultAutostartWait); those still waiting then fail.
	MaxWait time.Duration
	// FirstDelay is the first pause between looks at the network
	// (default 1s); it doubles up to MaxDelay (default 30s).
	FirstDelay, MaxDelay time.Duration
	// Sleep pauses for d or until ctx ends (default: a timer). Tests
	// record the pauses instead.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultAutostartWait is how long autostart tunnels wait for the
// network at most: long enough for a slow Wi-Fi or a captive DHCP at
// boot, short enough that a tunnel which cannot come up says so.
const DefaultAutostartWait = 5 * time.Minute

func (o AutostartOptions) withDefaults() AutostartOptions {
	if o.Routes == nil {
		o.Routes = NewRouteChecker()
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultAutostartWait
	}
	if o.FirstDelay <= 0 {
		o.FirstDelay = time.Second
	}
	if o.MaxDelay < o.FirstDelay {
		o.MaxDelay = max(30*time.Second, o.FirstDelay)
	}
	if o.Sleep == nil {
		o.Sleep = sleepContext
	}
	return o
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Autostart brings up, in name order, every stored tunnel marked
// Options.Autostart that is inactive and was not taken down by a caller
// meanwhile. Each waits until the network is online for it (a default
// route, or a route to one of its endpoints' addresses); while none is,
// it looks again after a pause that doubles, up to MaxWait in all. A
// start that fails resolving an endpoint's name waits the same way (DNS
// often comes last). Any other failure, such as two autostart tunnels
// that overlap, is logged and leaves that tunnel failed with the reason;
// it is not tried again and does not hold up the others. Autostart
// returns when every tunnel is up or failed, or ctx ends. The service
// runs it once, beside the local API.
func (m *Manager) Autostart(ctx context.Context, o AutostartOptions) {
	o = o.withDefaults()
	pending := m.autostartNames()
	if len(pending) == 0 {
		return
	}
	m.log.Verbose("autostart: %s", strings.Join(pending, ", "))
	delay, waited := o.FirstDelay, time.Duration(0)
	why := map[string]string{}
	// resolving: tunnels whose start failed resolving an endpoint, which
	// Autostart itself left failed and so may start again.
	resolving := map[string]bool{}
	for {
		var again []string
		for _, name := range pending {
			if ctx.Err() != nil {
				return
			}
			ok, cfgWhy := m.autostartWanted(name, resolving[name])
			if !ok {
				m.log.Verbose("autostart: %s: %s; leaving it alone", name, cfgWhy)
				continue
			}
			if online, w := m.onlineFor(o.Routes, name); !online {
				why[name] = w
				again = append(again, name)
				continue
			}
			err := m.Up(ctx, name)
			switch {
			case err == nil:
				m.log.Verbose("autostart: %s is up", name)
			case ctx.Err() != nil:
				return
			case isStep(err, StepResolve):
				why[name] = "its endpoint's name does not resolve yet (" + err.Error() + ")"
				resolving[name] = true
				again = append(again, name)
			default:
				m.autostartFailed(name, err)
			}
		}
		if len(again) == 0 {
			return
		}
		if waited >= o.MaxWait {
			for _, name := range again {
				m.autostartFailed(name, fmt.Errorf("the network was not online within %s: %s", o.MaxWait, why[name]))
			}
			return
		}
		d := min(delay, o.MaxWait-waited)
		for _, name := range again {
			m.log.Verbose("autostart: %s waits for the network: %s; next look in %s", name, why[name], d)
		}
		if o.Sleep(ctx, d) != nil {
			return
		}
		waited += d
		delay = min(2*delay, o.MaxDelay)
		pending = again
	}
}

// autostartNames are the tunnels marked for autostart, sorted.
func (m *Manager) autostartNames() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var names []string
	for name, t := range m.tunnels {
		if t.opts.Autostart {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// autostartWanted reports whether name should still be started, or why
// not: it may have been deleted, switched on or off by a caller, or its
// autostart turned off while it waited. failedOK: Autostart's own last
// try left it failed (an endpoint that did not resolve).
func (m *Manager) autostartWanted(name string, failedOK bool) (bool, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tunnels[name]
	switch {
	case !ok:
		return false, "deleted"
	case !t.opts.Autostart:
		return false, "connect at startup was turned off"
	case t.cfg == nil:
		return false, "its config does not load"
	case t.downByCaller:
		return false, "taken down by hand"
	case t.busy != nil || (t.state != StateInactive && !(failedOK && t.state == StateFailed)):
		return false, "already " + string(t.state)
	}
	return true, ""
}

// onlineFor reports whether the network is online for tunnel name: a
// default route, or a route to one of its endpoints given as addresses.
// Otherwise it says what is missing.
func (m *Manager) onlineFor(r RouteChecker, name string) (bool, string) {
	m.mu.Lock()
	var addrs []netip.Addr
	if t, ok := m.tunnels[name]; ok && t.cfg != nil {
		for _, p := range t.cfg.Peers {
			if a, err := netip.ParseAddr(p.Endpoint.Host); err == nil {
				addrs = append(addrs, a.Unmap())
			}
		}
	}
	m.mu.Unlock()

	var errs []string
	ok, err := r.DefaultRoute()
	if ok {
		return true, ""
	}
	if err != nil {
		errs = append(errs, err.Error())
	}
	for _, a := range addrs {
		ok, err := r.RouteTo(a)
		if ok {
			return true, ""
		}
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	why := "no default route"
	if len(addrs) > 0 {
		list := make([]string, len(addrs))
		for i, a := range addrs {
			list[i] = a.String()
		}
		why += " and no route to " + strings.Join(list, ", ")
	}
	if len(errs) > 0 {
		why += " (" + strings.Join(errs, "; ") + ")"
	}
	return false, why
}

// autostartFailed logs why name did not start and leaves it failed with
// the reason, unless a caller has moved it on meanwhile. Up leaves a
// tunnel inactive when it refuses before starting (an overlap); the
// failed state is where the app and `wgdesk status` look.
func (m *Manager) autostartFailed(name string, err error) {
	m.log.Error("autostart: %s: not started: %v", name, err)
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tunnels[name]
	if !ok || t.busy != nil || t.downByCaller {
		return
	}
	if t.state == StateInactive || t.state == StateFailed {
		m.setStateLocked(t, StateFailed, "not started at startup: "+err.Error())
	}
}

// isStep reports whether err is a StepError of step.
func isStep(err error, step Step) bool {
	var se *StepError
	return errors.As(err, &se) && se.Step == step
}
