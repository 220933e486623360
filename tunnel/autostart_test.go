package tunnel

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fakeRoutes is a RouteChecker whose answers a test scripts: the default
// route appears at the onlineAt-th look (0: never), and routes exist to
// the addresses in to. It records every look.
type fakeRoutes struct {
	mu       sync.Mutex
	looks    int
	onlineAt int
	to       map[netip.Addr]bool
	err      error
	log      []string
}

func (f *fakeRoutes) DefaultRoute() (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.looks++
	ok := f.onlineAt > 0 && f.looks >= f.onlineAt
	f.log = append(f.log, fmt.Sprintf("look %d: default route %v", f.looks, ok))
	return ok, f.err
}

func (f *fakeRoutes) RouteTo(dst netip.Addr) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, fmt.Sprintf("route to %s %v", dst, f.to[dst]))
	return f.to[dst], nil
}

// transcript records what Autostart logs and how long it pauses.
type transcript struct {
	mu    sync.Mutex
	lines []string
}

func (tr *transcript) add(format string, args ...any) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.lines = append(tr.lines, fmt.Sprintf(format, args...))
}

func (tr *transcript) logger() Logger {
	return Logger{
		Verbosef: func(f string, a ...any) { tr.add(f, a...) },
		Errorf:   func(f string, a ...any) { tr.add("ERROR "+f, a...) },
	}
}

// sleep records the pause and returns at once; then runs, if set, to let
// a test act while Autostart waits.
func (tr *transcript) sleep(then func()) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		tr.add("(sleep %s)", d)
		if then != nil {
			then()
		}
		return ctx.Err()
	}
}

func (tr *transcript) text() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var b strings.Builder
	for _, l := range tr.lines {
		// Keep only what Autostart says: the manager logs more (the
		// kill switch's availability, the engine's steps).
		if strings.Contains(l, "autostart") || strings.HasPrefix(l, "(sleep") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// storeAutostart imports the tunnels into a service that then stops, and
// marks those in auto for autostart: what a reboot finds on disk.
func storeAutostart(t *testing.T, l *lab, dir string, tunnels map[string]*config.Config, auto ...string) {
	t.Helper()
	m := newTestManager(t, l, dir)
	for name, cfg := range tunnels {
		if err := m.Import(name, cfg); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range auto {
		if err := m.SetOptions(context.Background(), name, Options{Autostart: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// restarted is the service starting again over dir, logging to tr.
func restarted(t *testing.T, l *lab, dir string, tr *transcript) *Manager {
	return newTestManager(t, l, dir, func(o *ManagerOptions) { o.Logger = tr.logger() })
}

func states(m *Manager) string {
	var b strings.Builder
	for _, ti := range m.List() {
		fmt.Fprintf(&b, "%s: %s", ti.Name, ti.State)
		if ti.Error != "" {
			fmt.Fprintf(&b, " (%s)", ti.Error)
		}
		if ti.Options.Autostart {
			b.WriteString(" [autostart]")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestAutostartBringsUpMarkedTunnels(t *testing.T) {
	l, dir := newLab(t), t.TempDir()
	storeAutostart(t, l, dir, map[string]*config.Config{
		"nas":    splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24"),
		"lab":    splitTunnel(t, "10.3.0.2/32", "10.3.0.0/24"),
		"office": splitTunnel(t, "10.2.0.2/32", "10.2.0.0/24"),
	}, "nas", "lab")

	tr := &transcript{}
	m := restarted(t, l, dir, tr)
	if got := states(m); got != "lab: inactive [autostart]\nnas: inactive [autostart]\noffice: inactive\n" {
		t.Fatalf("before autostart:\n%s", got)
	}
	routes := &fakeRoutes{onlineAt: 1}
	m.Autostart(context.Background(), AutostartOptions{Routes: routes, Sleep: tr.sleep(nil)})
	if got := states(m); got != "lab: active [autostart]\nnas: active [autostart]\noffice: inactive\n" {
		t.Errorf("after autostart:\n%s", got)
	}
	golden.Check(t, filepath.Join("testdata", "autostart-online.txt"), tr.text(), *update)
}

// At boot the network comes after the service: the tunnels wait, with a
// growing pause, and come up once a default route appears.
func TestAutostartWaitsForTheNetwork(t *testing.T) {
	l, dir := newLab(t), t.TempDir()
	storeAutostart(t, l, dir, map[string]*config.Config{
		"nas": splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24"),
		"lab": splitTunnel(t, "10.3.0.2/32", "10.3.0.0/24"),
	}, "nas", "lab")
	tr := &transcript{}
	m := restarted(t, l, dir, tr)
	routes := &fakeRoutes{onlineAt: 8}
	m.Autostart(context.Background(), AutostartOptions{Routes: routes, Sleep: tr.sleep(nil), MaxWait: time.Minute})
	if got := states(m); got != "lab: active [autostart]\nnas: active [autostart]\n" {
		t.Errorf("after the network came:\n%s", got)
	}
	golden.Check(t, filepath.Join("testdata", "autostart-offline-online.txt"), tr.text()+"\nroutes:\n"+strings.Join(routes.log, "\n")+"\n", *update)
}

// A route to the endpoint is enough (a network without a default route,
// or one only the endpoint's subnet is reachable through).
func TestAutostartRouteToEndpoint(t *testing.T) {
	l, dir := newLab(t), t.TempDir()
	storeAutostart(t, l, dir, map[string]*config.Config{"lab": splitTunnel(t, "10.3.0.2/32", "10.3.0.0/24")}, "lab")
	tr := &transcript{}
	m := restarted(t, l, dir, tr)
	ep := netip.MustParseAddr(routerEndpoint.Host)
	m.Autostart(context.Background(), AutostartOptions{Routes: &fakeRoutes{to: map[netip.Addr]bool{ep: true}}, Sleep: tr.sleep(nil)})
	if got := states(m); got != "lab: active [autostart]\n" {
		t.Errorf("with a route to the endpoint only:\n%s", got)
	}
	if strings.Contains(tr.text(), "sleep") {
		t.Errorf("it waited although the endpoint was reachable:\n%s", tr.text())
	}
}

// Overlapping tunnels both marked: the first by name comes up, the
// second fails with the reason and is not tried again, and a tunnel after
// them still comes up. Two full tunnels overlap on 0.0.0.0/0 the same way.
func TestAutostartConflictDoesNotBlockOthers(t *testing.T) {
	l, dir := newLab(t), t.TempDir()
	storeAutostart(t, l, dir, map[string]*config.Config{
		"lab":  splitTunnel(t, "10.3.0.2/32", "10.3.0.0/24"),
		"lab2": splitTunnel(t, "10.4.0.2/32", "10.3.0.128/25"),
		"nas":  splitTunnel(t, "10.5.0.2/32", "10.5.0.0/24"),
	}, "lab2", "lab", "nas")
	tr := &transcript{}
	m := restarted(t, l, dir, tr)
	routes := &fakeRoutes{onlineAt: 1}
	m.Autostart(context.Background(), AutostartOptions{Routes: routes, Sleep: tr.sleep(nil)})
	got := states(m)
	if !strings.Contains(got, "lab2: failed (not started at startup:") || !strings.Contains(got, "nas: active") {
		t.Errorf("after autostart:\n%s", got)
	}
	if routes.looks != 3 {
		t.Errorf("%d looks at the network for 3 tunnels; a failure must not be retried", routes.looks)
	}
	// The failed one starts by hand once the other is down.
	if err := m.Down(context.Background(), "lab"); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(context.Background(), "lab2"); err != nil {
		t.Errorf("lab2 after lab went down: %v", err)
	}

	l2, dir2 := newLab(t), t.TempDir()
	storeAutostart(t, l2, dir2, map[string]*config.Config{
		"home":   fullTunnel(t, "10.1.0.2/32"),
		"office": fullTunnel(t, "10.2.0.2/32"),
	}, "office", "home")
	tr2 := &transcript{}
	m2 := restarted(t, l2, dir2, tr2)
	m2.Autostart(context.Background(), AutostartOptions{Routes: &fakeRoutes{onlineAt: 1}, Sleep: tr2.sleep(nil)})
	got2 := states(m2)
	golden.Check(t, filepath.Join("testdata", "autostart-conflict.txt"), got+"\n"+tr.text()+"\n"+got2+"\n"+tr2.text(), *update)
}

// A network that never comes: the wait is bounded, the tunnels fail with
// the reason, and the pauses add up to MaxWait.
func TestAutostartGivesUp(t *testing.T) {
	l, dir := newLab(t), t.TempDir()
	storeAutostart(t, l, dir, map[string]*config.Config{"home": fullTunnel(t, "10.1.0.2/32")}, "home")
	tr := &transcript{}
	m := restarted(t, l, dir, tr)
	var slept time.Duration
	sleep := func(ctx context.Context, d time.Duration) error { slept += d; return nil }
	m.Autostart(context.Background(), AutostartOptions{Routes: &fakeRoutes{err: errors.New("netlink: permission denied")}, Sleep: sleep, MaxWait: 2 * time.Minute})
	if slept != 2*time.Minute {
		t.Errorf("waited %s in all, want the bound 2m0s", slept)
	}
	got := states(m)
	want := "home: failed (not started at startup: the network was not online within 2m0s: no default route and no route to 127.0.0.1 (netlink: permission denied)) [autostart]\n"
	if got != want {
		t.Errorf("after giving up:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(tr.text(), "ERROR autostart: home: not started: the network was not online") {
		t.Errorf("the log does not say why:\n%s", tr.text())
	}
}

// What a caller does while the tunnels wait wins: a tunnel taken down by
// hand or whose autostart is turned off is left alone; a cancelled
// context (the service stopping) ends the wait.
func TestAutostartLeavesCallersChoices(t *testing.T) {
	l, dir := newLab(t), t.TempDir()
	storeAutostart(t, l, dir, map[string]*config.Config{
		"home": fullTunnel(t, "10.1.0.2/32"),
		"lab":  splitTunnel(t, "10.3.0.2/32", "10.3.0.0/24"),
		"nas":  splitTunnel(t, "10.4.0.2/32", "10.4.0.0/24"),
	}, "home", "lab", "nas")
	tr := &transcript{}
	m := restarted(t, l, dir, tr)
	routes := &fakeRoutes{onlineAt: 4}
	ctx := context.Background()
	m.Autostart(ctx, AutostartOptions{Routes: routes, Sleep: tr.sleep(func() {
		if err := m.Down(ctx, "home"); err != nil {
			t.Error(err)
		}
		if err := m.SetOptions(ctx, "lab", Options{}); err != nil {
			t.Error(err)
		}
	})})
	if got := states(m); got != "home: inactive [autostart]\nlab: inactive\nnas: active [autostart]\n" {
		t.Errorf("after callers' changes:\n%s", got)
	}

	cctx, cancel := context.WithCancel(ctx)
	m3dir := t.TempDir()
	l3 := newLab(t)
	storeAutostart(t, l3, m3dir, map[string]*config.Config{"home": fullTunnel(t, "10.1.0.2/32")}, "home")
	m3 := restarted(t, l3, m3dir, &transcript{})
	finished := make(chan struct{})
	go func() {
		m3.Autostart(cctx, AutostartOptions{Routes: &fakeRoutes{}, FirstDelay: time.Hour})
		close(finished)
	}()
	cancel()
	select {
	case <-finished:
	case <-time.After(10 * time.Second):
		t.Fatal("Autostart did not end with its context")
	}
	if got := states(m3); got != "home: inactive [autostart]\n" {
		t.Errorf("after the service stopped waiting:\n%s", got)
	}
}

// The route lookup of Windows and macOS, with a fake connect: success is
// a route, the OS's unreachable errors are none, anything else is an
// error that says which address.
func TestConnectRoutes(t *testing.T) {
	var asked []string
	reply := map[string]error{
		"192.0.2.1:9":     unreachableErrs[0],
		"[2001:db8::1]:9": nil,
		"198.51.100.7:9":  unreachableErrs[1],
		"203.0.113.9:9":   syscall.EPERM,
	}
	closed := 0
	c := connectRoutes{dial: func(network string, raddr *net.UDPAddr) (io.Closer, error) {
		asked = append(asked, network+" "+raddr.String())
		if err := reply[raddr.String()]; err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
		return closerFunc(func() error { closed++; return nil }), nil
	}}
	if ok, err := c.DefaultRoute(); !ok || err != nil {
		t.Errorf("default route with only IPv6: %v, %v", ok, err)
	}
	if ok, err := c.RouteTo(netip.MustParseAddr("198.51.100.7")); ok || err != nil {
		t.Errorf("unreachable: %v, %v; want no route and no error", ok, err)
	}
	if ok, err := c.RouteTo(netip.MustParseAddr("203.0.113.9")); ok || err == nil || !strings.Contains(err.Error(), "203.0.113.9") {
		t.Errorf("refused: %v, %v; want an error naming the address", ok, err)
	}
	want := "udp4 192.0.2.1:9|udp6 [2001:db8::1]:9|udp4 198.51.100.7:9|udp4 203.0.113.9:9"
	if got := strings.Join(asked, "|"); got != want {
		t.Errorf("asked %s\nwant  %s", got, want)
	}
	if closed != 1 {
		t.Errorf("%d sockets closed, want the one that connected", closed)
	}
}

// An endpoint's name that does not resolve yet (DNS comes last at boot)
// is waited for like the network, and the tunnel comes up once it
// resolves.
func TestAutostartWaitsForTheEndpointName(t *testing.T) {
	l, dir := newLab(t), t.TempDir()
	cfg := splitTunnel(t, "10.3.0.2/32", "10.3.0.0/24")
	cfg.Peers[0].Endpoint = config.Endpoint{Host: "vpn.example.net", Port: 51820}
	storeAutostart(t, l, dir, map[string]*config.Config{"lab": cfg}, "lab")
	tr := &transcript{}
	var mu sync.Mutex
	lookups := 0
	m := newTestManager(t, l, dir, func(o *ManagerOptions) {
		o.Logger = tr.logger()
		o.Deps.Resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
			mu.Lock()
			defer mu.Unlock()
			if lookups++; lookups < 3 {
				return nil, errors.New("lookup " + host + ": temporary failure in name resolution")
			}
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
	})
	m.Autostart(context.Background(), AutostartOptions{Routes: &fakeRoutes{onlineAt: 1}, Sleep: tr.sleep(nil)})
	if got := states(m); got != "lab: active [autostart]\n" {
		t.Errorf("after the name resolved:\n%s\n%s", got, tr.text())
	}
	if lookups != 3 || strings.Count(tr.text(), "(sleep") != 2 {
		t.Errorf("%d lookups; transcript:\n%s", lookups, tr.text())
	}
}

// closerFunc is a socket of the fake dial: it only counts its Close.
type closerFunc func() error

func (f closerFunc) Close() error { return f() }
