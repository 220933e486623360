package platform

// Bringing a new Wintun adapter up as WireGuard for Windows does
// (tunnel/interfacewatcher.go and addressconfig.go there): Windows creates
// an adapter's IPv4 and IPv6 IP interfaces some time after the adapter
// itself, and until then setting its addresses, routes or metric fails
// with ERROR_NOT_FOUND. So the first Apply after the engine created an
// adapter waits for the IP interfaces its settings need, with a watchdog,
// and an Apply on such an adapter that still meets ERROR_NOT_FOUND is
// tried again a few times after a short pause. The adapter is known by
// the LUID the TUN device reports, not looked up by name.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// AdapterBinder is implemented by a Network that identifies interfaces by
// an ID the TUN device reports (Windows: the adapter's NET_LUID). The
// engine calls BindAdapter right after it created the device and before
// the first Apply for ifname; that Apply then waits until the OS has
// finished creating the interface. Binding ifname again replaces the ID.
// Applying empty Settings to ifname forgets it.
type AdapterBinder interface {
	BindAdapter(ifname string, id uint64)
}

var _ AdapterBinder = (*winNetwork)(nil)

// winIPInterfaces is the seam to the IP Helper API's IP interface table,
// which a winOps may implement too (winIPHelper does, in
// winwait_windows.go). Without it nothing is waited for.
type winIPInterfaces interface {
	// ipInterfaceExists reports whether the IP interface of family (4 or
	// 6) of the adapter luid exists (GetIpInterfaceEntry); its absence is
	// false, not an error.
	ipInterfaceExists(luid uint64, family int) (bool, error)
	// watchIPInterfaces calls added for every IP interface Windows adds
	// (MibAddInstance of NotifyIpInterfaceChange), from any goroutine,
	// until stop is called; added is never called after stop returns.
	watchIPInterfaces(added func(luid uint64, family int)) (stop func(), err error)
}

const (
	// winInterfaceWatchdog bounds the wait for a new adapter's IP
	// interfaces, as WireGuard for Windows' watchdog does (one minute:
	// at boot the network stack can be that slow).
	winInterfaceWatchdog = time.Minute
	// winFamilyGrace is how long the other family may lag once one IP
	// interface of the adapter exists. Windows creates both together
	// when both are enabled, so a longer lag means the family is turned
	// off on the adapter (or for the whole system), and the watchdog's
	// minute would only delay the error.
	winFamilyGrace = 5 * time.Second
	// winApplyAttempts and winApplyPause bound the retries of an Apply
	// that met ERROR_NOT_FOUND on a bound adapter: pauses of 100, 200,
	// 400 and 800 ms, 1.5 s in all.
	winApplyAttempts = 5
	winApplyPause    = 100 * time.Millisecond
)

// winAdapters is winNetwork's record of the adapters the engine bound,
// guarded by winNetwork.mu, and the timing seams of the wait.
type winAdapters struct {
	bound map[string]*winBound
	// watchdog returns the channel that ends the wait, and its stop
	// (nil: a real timer of winInterfaceWatchdog).
	watchdog func() (<-chan time.Time, func())
	// grace starts the wait for the other family once one is there
	// (nil: time.After(winFamilyGrace)).
	grace func() <-chan time.Time
	// pause waits before attempt (2, 3, ...) of an Apply, or returns
	// ctx's error (nil: a real timer).
	pause func(ctx context.Context, attempt int) error
}

type winBound struct {
	luid uint64
	// fresh: no Apply has waited for its IP interfaces yet.
	fresh bool
}

// BindAdapter implements AdapterBinder.
func (n *winNetwork) BindAdapter(ifname string, luid uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.adapters.bound == nil {
		n.adapters.bound = map[string]*winBound{}
	}
	n.adapters.bound[ifname] = &winBound{luid: luid, fresh: true}
}

// boundLocked returns the LUID the engine bound to ifname.
func (n *winNetwork) boundLocked(ifname string) (uint64, bool) {
	b, ok := n.adapters.bound[ifname]
	if !ok {
		return 0, false
	}
	return b.luid, true
}

// Apply implements Network: on an adapter the engine just bound, it first
// waits for the IP interfaces the settings need; on any bound adapter it
// tries again when Windows answers ERROR_NOT_FOUND. Each attempt is
// applyOnce, which rolls back on failure.
func (n *winNetwork) Apply(ctx context.Context, ifname string, s Settings) error {
	if _, err := n.journal.path(ifname); err != nil {
		return err
	}
	if err := n.awaitIPInterfaces(ctx, ifname, s); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		err := n.applyOnce(ctx, ifname, s)
		n.mu.Lock()
		_, bound := n.adapters.bound[ifname]
		if err == nil && s.IsZero() {
			delete(n.adapters.bound, ifname)
		}
		n.mu.Unlock()
		if err == nil || !bound || s.IsZero() || !errors.Is(err, errWinNotFound) || attempt == winApplyAttempts {
			return err
		}
		n.logf("%s: windows does not know part of the adapter yet (%v); trying again (%d of %d)", ifname, err, attempt+1, winApplyAttempts)
		if perr := n.pause(ctx, attempt+1); perr != nil {
			return errors.Join(err, perr)
		}
	}
}

func (n *winNetwork) pause(ctx context.Context, attempt int) error {
	if n.adapters.pause != nil {
		return n.adapters.pause(ctx, attempt)
	}
	t := time.NewTimer(winApplyPause << (attempt - 2))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// awaitIPInterfaces waits, on the first Apply with settings after
// BindAdapter, until the adapter has an IP interface for each family the
// settings use. Other tunnels' Applies go on meanwhile.
func (n *winNetwork) awaitIPInterfaces(ctx context.Context, ifname string, s Settings) error {
	w, ok := n.ops.(winIPInterfaces)
	if !ok {
		return nil
	}
	fams := settingsFamilies(s)
	n.mu.Lock()
	b := n.adapters.bound[ifname]
	if b == nil || !b.fresh || len(fams) == 0 {
		n.mu.Unlock()
		return nil
	}
	luid := b.luid
	n.mu.Unlock()

	expired, stop := n.watchdog()
	defer stop()
	grace := n.adapters.grace
	if grace == nil {
		grace = func() <-chan time.Time { return time.After(winFamilyGrace) }
	}
	if err := waitIPInterfaces(ctx, w, ifname, luid, fams, expired, grace); err != nil {
		return err
	}
	n.mu.Lock()
	if n.adapters.bound[ifname] == b {
		b.fresh = false
	}
	n.mu.Unlock()
	return nil
}

func (n *winNetwork) watchdog() (<-chan time.Time, func()) {
	if n.adapters.watchdog != nil {
		return n.adapters.watchdog()
	}
	t := time.NewTimer(winInterfaceWatchdog)
	return t.C, func() { t.Stop() }
}

// settingsFamilies are the IP families (4, 6) of s's addresses and
// routes, in order.
func settingsFamilies(s Settings) []int {
	var fams []int
	for _, p := range slices.Concat(s.Addresses, s.Routes) {
		if f := family(p.Addr()); !slices.Contains(fams, f) {
			fams = append(fams, f)
		}
	}
	slices.Sort(fams)
	return fams
}

// waitIPInterfaces returns when the adapter luid has an IP interface of
// every family in fams, or with an error when ctx ends or expired fires
// first, or when the channel from grace fires: grace is started once one
// of the families is there and another is not. It subscribes before it
// looks, so that an interface added in between is not missed, and looks
// again after every notification about the adapter.
func waitIPInterfaces(ctx context.Context, w winIPInterfaces, ifname string, luid uint64, fams []int,
	expired <-chan time.Time, grace func() <-chan time.Time) error {
	kick := make(chan struct{}, 1)
	stop, err := w.watchIPInterfaces(func(l uint64, _ int) {
		if l != luid {
			return
		}
		select {
		case kick <- struct{}{}:
		default: // a look is due already
		}
	})
	if err != nil {
		return fmt.Errorf("watch ip interfaces of %s: %w", ifname, err)
	}
	defer stop()
	var lagging <-chan time.Time
	for {
		var missing []string
		for _, f := range fams {
			ok, err := w.ipInterfaceExists(luid, f)
			if err != nil {
				return fmt.Errorf("read ipv%d interface of %s: %w", f, ifname, err)
			}
			if !ok {
				missing = append(missing, fmt.Sprintf("ipv%d", f))
			}
		}
		if len(missing) == 0 {
			return nil
		}
		if lagging == nil && len(missing) < len(fams) {
			lagging = grace()
		}
		select {
		case <-kick:
		case <-ctx.Done():
			return fmt.Errorf("wait for the %s interface of %s: %w", strings.Join(missing, " and "), ifname, ctx.Err())
		case <-expired:
			return winInterfaceTimeout(ifname, luid, missing, winInterfaceWatchdog.String())
		case <-lagging:
			return winInterfaceTimeout(ifname, luid, missing, winFamilyGrace.String()+" of the other")
		}
	}
}

// winInterfaceTimeout says which IP interfaces never appeared, and the
// likely reason for IPv6.
func winInterfaceTimeout(ifname string, luid uint64, missing []string, within string) error {
	hint := "windows may still be starting its network stack; try again"
	if slices.Equal(missing, []string{"ipv6"}) {
		hint = "if IPv6 is turned off in the adapter's properties, turn it on or remove the tunnel's IPv6 addresses and routes"
	}
	return fmt.Errorf("the %s interface of adapter %s (luid %d) did not appear within %s; %s",
		strings.Join(missing, " and "), ifname, luid, within, hint)
}
