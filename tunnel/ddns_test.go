package tunnel

import (
	"context"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/platform"
)

// ddnsLab runs an engine whose peer's endpoint is a host name that a fake
// resolver answers, with change sources and settle timers the test drives.
type ddnsLab struct {
	*lab
	t      *testing.T
	r      *router
	e      *Engine
	log    *logBuf
	ck     config.Key
	mu     sync.Mutex
	addr   netip.Addr // what the name resolves to now
	fail   error      // the resolver fails with it
	asked  int
	links  chan func() // the running watchLinks's callback
	resume chan func() // the running watchResume's callback
	timers chan *manualTimer
}

const ddnsHost = "router.example.net"

func startDDNSLab(t *testing.T, reresolve time.Duration, network platform.Network) *ddnsLab {
	t.Helper()
	l := newLab(t)
	dl := &ddnsLab{lab: l, t: t, log: &logBuf{}, addr: netip.MustParseAddr("192.0.2.1"),
		links: make(chan func(), 1), resume: make(chan func(), 1), timers: make(chan *manualTimer, 4)}
	dl.ck = mustKey(t)
	dl.r = l.newRouter(dl.ck)
	cfg := clientConfig(dl.ck, dl.r)
	cfg.Peers[0].Endpoint = config.Endpoint{Host: ddnsHost, Port: routerEndpoint.Port}
	deps := l.deps()
	if network != nil {
		deps.Network = network
	}
	deps.Resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
		dl.mu.Lock()
		defer dl.mu.Unlock()
		dl.asked++
		if host != ddnsHost {
			return nil, errors.New("unknown host")
		}
		if dl.fail != nil {
			return nil, dl.fail
		}
		return []netip.Addr{dl.addr}, nil
	}
	source := func(ch chan func()) func(context.Context, func()) error {
		return func(ctx context.Context, changed func()) error {
			ch <- changed
			<-ctx.Done()
			return nil
		}
	}
	deps.watchLinks = source(dl.links)
	deps.watchResume = source(dl.resume)
	deps.newSettleTimer = func() settleTimer {
		mt := &manualTimer{c: make(chan time.Time, 1)}
		dl.timers <- mt
		return mt
	}
	e, err := StartEngine(context.Background(), EngineOptions{
		Name: "test", Interface: "wgd0", Config: cfg, Deps: deps, Reresolve: reresolve,
		Logger: Logger{Verbosef: dl.log.add("V "), Errorf: dl.log.add("E ")},
	})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	dl.e = e
	t.Cleanup(func() { e.Close(context.Background()) })
	return dl
}

func (dl *ddnsLab) move(to string) {
	dl.mu.Lock()
	defer dl.mu.Unlock()
	dl.addr = netip.MustParseAddr(to)
}

// handshake sends a packet each way, which makes the devices handshake
// (once) and proves the session carries traffic.
func (dl *ddnsLab) handshake() {
	dl.t.Helper()
	sendPacket(dl.t, dl.tun("wgd0").ch, dl.r.tun, clientIP, routerIP)
	sendPacket(dl.t, dl.r.tun, dl.tun("wgd0").ch, routerIP, clientIP)
}

func (dl *ddnsLab) peer() PeerStats {
	dl.t.Helper()
	st, err := dl.e.Stats()
	if err != nil || len(st) != 1 {
		dl.t.Fatalf("stats: %v %v", st, err)
	}
	return st[0]
}

// waitEndpoint waits until the network settings use want and the device
// was given a new endpoint over UAPI. (The channel binds of the test
// report every endpoint as 127.0.0.1 and the device's own log is what
// shows the UAPI set; the namespace lab, tunnel/e2e, checks real
// addresses.)
func (dl *ddnsLab) waitEndpoint(want string) {
	dl.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		eps := dl.e.Settings().Endpoints
		sets := strings.Count(dl.log.String(), "UAPI: Updating endpoint")
		if sets >= 2 && len(eps) == 1 && eps[0].String() == want {
			return
		}
		if time.Now().After(deadline) {
			dl.t.Fatalf("endpoint: %d UAPI sets, settings %v; want %s\nlog:\n%s", sets, eps, want, dl.log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fireSettle fires the settle timer once the loop armed it.
func fireSettle(t *testing.T, mt *manualTimer) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !mt.fire() {
		if time.Now().After(deadline) {
			t.Fatal("the settle timer was never armed")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkFollowed checks what every re-resolution must keep: the same TUN
// (no restart), the session (the handshake of before, traffic passes),
// and a log that names the move but no key.
func (dl *ddnsLab) checkFollowed(before PeerStats, from, to string) {
	dl.t.Helper()
	if n := dl.createdTUNs(); n != 1 {
		dl.t.Errorf("%d TUNs created, want 1: the device was restarted", n)
	}
	dl.handshake()
	if after := dl.peer(); !after.LastHandshake.Equal(before.LastHandshake) {
		dl.t.Errorf("handshake %v, was %v: the session was dropped", after.LastHandshake, before.LastHandshake)
	}
	log := dl.log.String()
	if !strings.Contains(log, ddnsHost+" moved from "+from+" to "+to) {
		dl.t.Errorf("the log does not name the move:\n%s", log)
	}
	for _, k := range []config.Key{dl.ck, dl.ck.PublicKey(), dl.r.key, dl.r.key.PublicKey()} {
		if strings.Contains(log, k.String()) || strings.Contains(strings.ToLower(log), hex.EncodeToString(k[:])) {
			dl.t.Errorf("the log holds a key:\n%s", log)
		}
	}
}

// A change of the network (Linux: netlink) makes the engine look the name
// up again once the burst settled, and the device follows the new address
// without a restart.
func TestDDNSNetworkChange(t *testing.T) {
	dl := startDDNSLab(t, time.Hour, nil)
	settle := <-dl.timers
	dl.handshake()
	before := dl.peer()
	if eps := dl.e.Settings().Endpoints; len(eps) != 1 || eps[0].String() != "192.0.2.1:1" {
		t.Fatalf("endpoint at start %v", eps)
	}
	dl.move("192.0.2.9")
	changed := <-dl.links
	changed()
	changed() // a burst
	fireSettle(t, settle)
	dl.waitEndpoint("192.0.2.9:1")
	dl.checkFollowed(before, "192.0.2.1:1", "192.0.2.9:1")
	if !strings.Contains(dl.log.String(), "the network changed") {
		t.Errorf("the log does not say why:\n%s", dl.log)
	}
}

// Resume from sleep (Linux: logind) does the same.
func TestDDNSResume(t *testing.T) {
	dl := startDDNSLab(t, time.Hour, nil)
	settle := <-dl.timers
	dl.handshake()
	before := dl.peer()
	dl.move("192.0.2.77")
	(<-dl.resume)()
	fireSettle(t, settle)
	dl.waitEndpoint("192.0.2.77:1")
	dl.checkFollowed(before, "192.0.2.1:1", "192.0.2.77:1")
	if !strings.Contains(dl.log.String(), "the system resumed") {
		t.Errorf("the log does not say why:\n%s", dl.log)
	}
}

// A handshake older than Reresolve makes the engine look the name up
// again, with no other trigger; a failed lookup keeps the old address.
func TestDDNSStaleHandshake(t *testing.T) {
	dl := startDDNSLab(t, time.Second, nil)
	dl.handshake()
	before := dl.peer()
	dl.mu.Lock()
	dl.fail = errors.New("no such host")
	dl.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(dl.log.String(), "no such host") {
		if time.Now().After(deadline) {
			t.Fatalf("no lookup after the handshake went stale:\n%s", dl.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if eps := dl.e.Settings().Endpoints; len(eps) != 1 || eps[0].String() != "192.0.2.1:1" {
		t.Fatalf("a failed lookup changed the endpoint to %v", eps)
	}
	dl.mu.Lock()
	dl.fail = nil
	dl.addr = netip.MustParseAddr("192.0.2.44")
	dl.mu.Unlock()
	dl.waitEndpoint("192.0.2.44:1")
	dl.checkFollowed(before, "192.0.2.1:1", "192.0.2.44:1")
	if !strings.Contains(dl.log.String(), "no handshake for 1s") {
		t.Errorf("the log does not say why:\n%s", dl.log)
	}
}

// A fresh handshake leaves the name alone, and a lookup that finds the
// same address changes nothing: no UAPI set, no Apply.
func TestDDNSFreshHandshakeAndSameAddress(t *testing.T) {
	dl := startDDNSLab(t, time.Hour, nil)
	settle := <-dl.timers
	dl.handshake()
	time.Sleep(1500 * time.Millisecond) // a stale check would have run by now
	dl.mu.Lock()
	asked := dl.asked
	dl.mu.Unlock()
	if asked != 1 {
		t.Errorf("the resolver was asked %d times with a fresh handshake, want once (at start)", asked)
	}
	applies := len(dl.net.Calls())
	(<-dl.links)()
	fireSettle(t, settle)
	deadline := time.Now().Add(5 * time.Second)
	for {
		dl.mu.Lock()
		asked = dl.asked
		dl.mu.Unlock()
		if asked == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no lookup after the network changed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(dl.net.Calls()); n != applies {
		t.Errorf("the same address applied the settings again: %v", dl.net.Calls()[applies:])
	}
	if strings.Contains(dl.log.String(), "moved") {
		t.Errorf("a move was logged:\n%s", dl.log)
	}
}

// On macOS and Windows the Network's Watcher reports the change: the
// settings are applied again and then the name is looked up again.
func TestDDNSThroughWatcher(t *testing.T) {
	wn := newWatchNet()
	dl := startDDNSLab(t, time.Hour, wn)
	<-wn.applied
	<-wn.started
	// The two loops make their timers in their own goroutines, in
	// either order: fire whichever is armed, as time would.
	timers := []*manualTimer{<-dl.timers, <-dl.timers}
	dl.handshake()
	before := dl.peer()
	dl.move("198.51.100.5")
	if !wn.change() {
		t.Fatal("no Watch runs")
	}
	deadline := time.Now().Add(10 * time.Second)
	for eps := dl.e.Settings().Endpoints; len(eps) != 1 || eps[0].String() != "198.51.100.5:1"; eps = dl.e.Settings().Endpoints {
		if time.Now().After(deadline) {
			t.Fatalf("endpoints %v after the network changed\n%s", eps, dl.log)
		}
		for _, mt := range timers {
			mt.fire()
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(strings.Join(wn.Calls(), "\n"), "apply wgd0") {
		t.Error("the settings were not applied again")
	}
	dl.waitEndpoint("198.51.100.5:1")
	dl.checkFollowed(before, "192.0.2.1:1", "198.51.100.5:1")
}

// Endpoints given as addresses start no loop; Close ends the loop and its
// watchers.
func TestDDNSOnlyForNames(t *testing.T) {
	l := newLab(t)
	ck := mustKey(t)
	r := l.newRouter(ck)
	e, err := startEngine(t, l, clientConfig(ck, r), "wgd0", false)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	e.mu.Lock()
	running := e.stopDDNS != nil
	e.mu.Unlock()
	if running {
		t.Error("the names' loop runs for an address endpoint")
	}

	dl := startDDNSLab(t, time.Hour, nil)
	<-dl.links
	<-dl.resume
	done := make(chan struct{})
	go func() {
		dl.e.Close(context.Background())
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs on the names' loop")
	}
}
