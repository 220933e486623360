package platform

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
)

func TestWinChangeCounts(t *testing.T) {
	n, _, _ := newTestWin(t)
	if err := n.Apply(context.Background(), "home", winFullSettings()); err != nil {
		t.Fatal(err)
	}
	pfx := netip.MustParsePrefix
	tests := []struct {
		name string
		c    winChange
		want bool
	}{
		{"new default route on Wi-Fi", winChange{Kind: winAddInstance, LUID: luidWiFi, Dst: pfx("0.0.0.0/0")}, true},
		{"default route of Ethernet gone", winChange{Kind: winDeleteInstance, LUID: luidEthernet, Dst: pfx("0.0.0.0/0")}, true},
		{"Ethernet's interface changed", winChange{Kind: winParameterChange, LUID: luidEthernet}, true},
		{"an address on Wi-Fi", winChange{Kind: winAddInstance, LUID: luidWiFi}, true},
		{"another host route", winChange{Kind: winAddInstance, LUID: luidEthernet, Dst: pfx("203.0.113.6/32")}, true},
		{"our endpoint's host route", winChange{Kind: winAddInstance, LUID: luidEthernet, Dst: pfx("203.0.113.5/32")}, false},
		{"our IPv6 endpoint's host route", winChange{Kind: winDeleteInstance, LUID: luidEthernet, Dst: pfx("2001:db8::5/128")}, false},
		{"the endpoint's network, not a host route", winChange{Kind: winAddInstance, LUID: luidEthernet, Dst: pfx("203.0.113.0/24")}, true},
		{"default route into our tunnel", winChange{Kind: winAddInstance, LUID: luidTunnel, Dst: pfx("0.0.0.0/0")}, false},
		{"our tunnel's metric and mtu", winChange{Kind: winParameterChange, LUID: luidTunnel}, false},
		{"initial notification", winChange{Kind: winInitialNotice, LUID: luidWiFi}, false},
	}
	for _, tc := range tests {
		if got := tc.c.counts(&n.self); got != tc.want {
			t.Errorf("%s: counts %v, want %v", tc.name, got, tc.want)
		}
	}

	// Once the tunnel is removed, its adapter is not ours any more.
	if err := n.Apply(context.Background(), "home", Settings{}); err != nil {
		t.Fatal(err)
	}
	if c := (winChange{Kind: winParameterChange, LUID: luidTunnel}); !c.counts(&n.self) {
		t.Error("the removed tunnel's adapter is still ignored")
	}
}

// fakeWinNotifier stands in for the IP Helper callbacks.
type fakeWinNotifier struct {
	mu         sync.Mutex
	notify     func(winChange)
	registered chan struct{}
	unreg      int
}

func (f *fakeWinNotifier) register(notify func(winChange)) (func(), error) {
	f.mu.Lock()
	f.notify = notify
	f.mu.Unlock()
	close(f.registered)
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.unreg++
	}, nil
}

// send delivers a notification, as a late winipcfg goroutine may even
// after unregistering.
func (f *fakeWinNotifier) send(c winChange) {
	f.mu.Lock()
	notify := f.notify
	f.mu.Unlock()
	notify(c)
}

func TestWinWatch(t *testing.T) {
	n, _, _ := newTestWin(t)
	fn := &fakeWinNotifier{registered: make(chan struct{})}
	n.register = fn.register
	if err := n.Apply(context.Background(), "home", winFullSettings()); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	calls := 0
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- n.Watch(ctx, func() {
			mu.Lock()
			calls++
			mu.Unlock()
		})
	}()
	<-fn.registered
	fn.send(winChange{Kind: winAddInstance, LUID: luidEthernet, Dst: netip.MustParsePrefix("203.0.113.5/32")})
	fn.send(winChange{Kind: winParameterChange, LUID: luidTunnel})
	fn.send(winChange{Kind: winDeleteInstance, LUID: luidEthernet, Dst: netip.MustParsePrefix("0.0.0.0/0")})
	fn.send(winChange{Kind: winAddInstance, LUID: luidWiFi})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Watch: %v", err)
	}
	fn.send(winChange{Kind: winAddInstance, LUID: luidWiFi}) // late
	mu.Lock()
	defer mu.Unlock()
	if calls != 2 {
		t.Errorf("changed called %d times, want 2 (the uplink's changes, not ours, none after Watch returned)", calls)
	}
	if fn.unreg != 1 {
		t.Errorf("unregistered %d times, want 1", fn.unreg)
	}
}

func TestWinWatchUnavailable(t *testing.T) {
	n, _, _ := newTestWin(t)
	if err := n.Watch(context.Background(), func() {}); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Watch without notifications: %v", err)
	}
	n.register = func(func(winChange)) (func(), error) { return nil, errors.New("access denied") }
	if err := n.Watch(context.Background(), func() {}); err == nil {
		t.Error("Watch with a failing registration: no error")
	}
}
