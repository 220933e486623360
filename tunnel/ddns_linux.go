package tunnel

// Linux sources of the endpoint names' loop (ddns.go). The Linux Network
// does not implement platform.Watcher (its policy rules follow the uplink
// and nothing needs applying again), so the loop subscribes to netlink
// itself, and to logind for resume from sleep.

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/godbus/dbus/v5"
	"github.com/vishvananda/netlink"
)

var (
	watchLinksOS  = watchNetlink
	watchResumeOS = watchLogind
)

// watchNetlink calls changed on every link, address and route update of
// the service's network namespace until ctx ends. The tunnel's own
// changes are among them; they cost one lookup that finds nothing new.
func watchNetlink(ctx context.Context, changed func()) error {
	done := make(chan struct{})
	defer close(done)
	failed := make(chan error, 3)
	onErr := func(err error) {
		select {
		case failed <- err:
		default:
		}
	}
	links := make(chan netlink.LinkUpdate, 16)
	addrs := make(chan netlink.AddrUpdate, 16)
	routes := make(chan netlink.RouteUpdate, 16)
	if err := netlink.LinkSubscribeWithOptions(links, done, netlink.LinkSubscribeOptions{ErrorCallback: onErr}); err != nil {
		return fmt.Errorf("subscribe to link updates: %w", err)
	}
	if err := netlink.AddrSubscribeWithOptions(addrs, done, netlink.AddrSubscribeOptions{ErrorCallback: onErr}); err != nil {
		return fmt.Errorf("subscribe to address updates: %w", err)
	}
	if err := netlink.RouteSubscribeWithOptions(routes, done, netlink.RouteSubscribeOptions{ErrorCallback: onErr}); err != nil {
		return fmt.Errorf("subscribe to route updates: %w", err)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-failed:
			return fmt.Errorf("netlink updates: %w", err)
		case _, ok := <-links:
			if !ok {
				return errors.New("netlink link updates ended")
			}
		case _, ok := <-addrs:
			if !ok {
				return errors.New("netlink address updates ended")
			}
		case _, ok := <-routes:
			if !ok {
				return errors.New("netlink route updates ended")
			}
		}
		changed()
	}
}

// noLogindOnce logs the absence of the system bus once per service run,
// not once per tunnel start.
var noLogindOnce sync.Once

// watchLogind calls changed when logind says the system woke up
// (PrepareForSleep(false), https://www.freedesktop.org/software/systemd/
// man/latest/org.freedesktop.login1.html) until ctx ends. Without a system
// bus it logs nothing itself and returns nil at once: the caller's
// handshake check still catches a stale endpoint, only later.
func watchLogind(ctx context.Context, changed func()) error {
	conn, err := dbus.ConnectSystemBus()
	if err != nil {
		var reported error
		noLogindOnce.Do(func() {
			reported = fmt.Errorf("no system D-Bus, so resume from sleep is not seen (the handshake check still re-resolves): %w", err)
		})
		return reported
	}
	defer conn.Close()
	if err := conn.AddMatchSignalContext(ctx,
		dbus.WithMatchObjectPath("/org/freedesktop/login1"),
		dbus.WithMatchInterface("org.freedesktop.login1.Manager"),
		dbus.WithMatchMember("PrepareForSleep")); err != nil {
		return fmt.Errorf("watch logind's PrepareForSleep: %w", err)
	}
	sigs := make(chan *dbus.Signal, 4)
	conn.Signal(sigs)
	defer conn.RemoveSignal(sigs)
	for {
		select {
		case <-ctx.Done():
			return nil
		case s, ok := <-sigs:
			if !ok {
				return errors.New("system D-Bus connection closed")
			}
			if s.Name != "org.freedesktop.login1.Manager.PrepareForSleep" || len(s.Body) != 1 {
				continue
			}
			if sleeping, ok := s.Body[0].(bool); ok && !sleeping {
				changed()
			}
		}
	}
}
