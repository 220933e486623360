package platform

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeWinIP adds the IP interface table and its notifications to fakeWin,
// as winIPHelper has them on Windows. Every look at the table is reported
// on looks, so that a test knows when the waiter is back to waiting.
type fakeWinIP struct {
	*fakeWin
	mu        sync.Mutex
	ipIfs     map[[2]uint64]bool // {luid, family}
	added     func(luid uint64, fam int)
	stopped   int
	watchErr  error
	subscribe chan struct{} // receives when a watch starts
	looks     chan string   // "ipv4 true", one per look
}

func newFakeWinIP(t *testing.T) *fakeWinIP {
	return &fakeWinIP{
		fakeWin:   newFakeWin(t),
		ipIfs:     map[[2]uint64]bool{},
		subscribe: make(chan struct{}, 10),
		looks:     make(chan string, 100),
	}
}

func (f *fakeWinIP) ipInterfaceExists(luid uint64, fam int) (bool, error) {
	f.mu.Lock()
	ok := f.ipIfs[[2]uint64{luid, uint64(fam)}]
	f.mu.Unlock()
	f.looks <- fmt.Sprintf("ipv%d %v", fam, ok)
	return ok, nil
}

func (f *fakeWinIP) watchIPInterfaces(added func(uint64, int)) (func(), error) {
	if f.watchErr != nil {
		return nil, f.watchErr
	}
	f.mu.Lock()
	f.added = added
	f.mu.Unlock()
	f.subscribe <- struct{}{}
	return func() {
		f.mu.Lock()
		f.added = nil
		f.stopped++
		f.mu.Unlock()
	}, nil
}

// appear makes Windows create an IP interface (when create is set) and
// notify the subscriber, if any.
func (f *fakeWinIP) appear(luid uint64, fam int, create bool) {
	f.mu.Lock()
	if create {
		f.ipIfs[[2]uint64{luid, uint64(fam)}] = true
	}
	added := f.added
	f.mu.Unlock()
	if added != nil {
		added(luid, fam)
	}
}

// expectLooks reads the next looks at the table, in any order.
func (f *fakeWinIP) expectLooks(t *testing.T, want ...string) {
	t.Helper()
	var got []string
	for range want {
		select {
		case l := <-f.looks:
			got = append(got, l)
		case <-time.After(10 * time.Second):
			t.Fatalf("looks: got %q, want %q", got, want)
		}
	}
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("looks: got %q, want %q", got, want)
	}
}

func (f *fakeWinIP) waitSubscribed(t *testing.T) {
	t.Helper()
	select {
	case <-f.subscribe:
	case <-time.After(10 * time.Second):
		t.Fatal("the waiter never subscribed")
	}
}

func noWatchdog() <-chan time.Time { return nil }

// noGrace never ends the wait for a lagging family; graceFails fails the
// test if one is started.
func noGrace() <-chan time.Time { return nil }

func graceFails(t *testing.T) func() <-chan time.Time {
	return func() <-chan time.Time {
		t.Error("the grace for a lagging family was started")
		return nil
	}
}

func TestWinWaitPresentAlready(t *testing.T) {
	f := newFakeWinIP(t)
	f.ipIfs[[2]uint64{luidTunnel, 4}] = true
	f.ipIfs[[2]uint64{luidTunnel, 6}] = true
	if err := waitIPInterfaces(context.Background(), f, "home", luidTunnel, []int{4, 6}, noWatchdog(), graceFails(t)); err != nil {
		t.Fatal(err)
	}
	f.expectLooks(t, "ipv4 true", "ipv6 true")
	if f.stopped != 1 {
		t.Errorf("watch stopped %d times, want 1", f.stopped)
	}
}

func TestWinWaitAppearsAfterNotifications(t *testing.T) {
	f := newFakeWinIP(t)
	done := make(chan error, 1)
	go func() {
		done <- waitIPInterfaces(context.Background(), f, "home", luidTunnel, []int{4, 6}, noWatchdog(), noGrace)
	}()
	f.waitSubscribed(t)
	f.expectLooks(t, "ipv4 false", "ipv6 false")

	f.appear(luidEthernet, 4, true) // another adapter: no look
	f.appear(luidTunnel, 4, false)  // a notification before the interface exists
	f.expectLooks(t, "ipv4 false", "ipv6 false")
	f.appear(luidTunnel, 4, true)
	f.expectLooks(t, "ipv4 true", "ipv6 false")
	select {
	case err := <-done:
		t.Fatalf("returned %v before the ipv6 interface appeared", err)
	default:
	}
	f.appear(luidTunnel, 6, true)
	f.expectLooks(t, "ipv4 true", "ipv6 true")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(f.looks) != 0 {
		t.Errorf("%d looks after the adapter of another LUID was notified", len(f.looks))
	}
	if f.stopped != 1 {
		t.Errorf("watch stopped %d times, want 1", f.stopped)
	}
}

func TestWinWaitWatchdog(t *testing.T) {
	f := newFakeWinIP(t)
	f.ipIfs[[2]uint64{luidTunnel, 4}] = true
	expired := make(chan time.Time)
	done := make(chan error, 1)
	go func() {
		done <- waitIPInterfaces(context.Background(), f, "home", luidTunnel, []int{4, 6}, expired, noGrace)
	}()
	f.waitSubscribed(t)
	f.expectLooks(t, "ipv4 true", "ipv6 false")
	close(expired)
	err := <-done
	if err == nil {
		t.Fatal("no error when the interface never appeared")
	}
	for _, want := range []string{"ipv6 interface of adapter home", "luid 99", "did not appear within 1m0s", "IPv6 is turned off"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if f.stopped != 1 {
		t.Errorf("watch stopped %d times, want 1", f.stopped)
	}

	// Both missing: no IPv6 hint, both named.
	err = winInterfaceTimeout("home", luidTunnel, []string{"ipv4", "ipv6"}, "1m0s")
	if !strings.Contains(err.Error(), "the ipv4 and ipv6 interface of adapter home") || strings.Contains(err.Error(), "IPv6 is turned off") {
		t.Errorf("got %v", err)
	}
}

func TestWinWaitLaggingFamily(t *testing.T) {
	f := newFakeWinIP(t)
	lag := make(chan time.Time)
	started := 0
	grace := func() <-chan time.Time { started++; return lag }
	done := make(chan error, 1)
	go func() {
		done <- waitIPInterfaces(context.Background(), f, "home", luidTunnel, []int{4, 6}, noWatchdog(), grace)
	}()
	f.waitSubscribed(t)
	f.expectLooks(t, "ipv4 false", "ipv6 false") // none there: the watchdog's minute
	f.appear(luidTunnel, 4, true)
	f.expectLooks(t, "ipv4 true", "ipv6 false") // ipv4 there: the grace starts
	f.appear(luidTunnel, 4, false)
	f.expectLooks(t, "ipv4 true", "ipv6 false") // and is not started again
	close(lag)
	err := <-done
	if err == nil || !strings.Contains(err.Error(), "the ipv6 interface of adapter home (luid 99) did not appear within 5s of the other") ||
		!strings.Contains(err.Error(), "IPv6 is turned off") {
		t.Fatalf("got %v", err)
	}
	if started != 1 {
		t.Errorf("grace started %d times, want 1", started)
	}
}

func TestWinWaitCancelled(t *testing.T) {
	f := newFakeWinIP(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- waitIPInterfaces(ctx, f, "home", luidTunnel, []int{4}, noWatchdog(), graceFails(t)) }()
	f.waitSubscribed(t)
	f.expectLooks(t, "ipv4 false")
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "ipv4 interface of home") {
		t.Fatalf("got %v", err)
	}
}

func TestWinWaitWatchFails(t *testing.T) {
	f := newFakeWinIP(t)
	f.watchErr = errors.New("access denied")
	err := waitIPInterfaces(context.Background(), f, "home", luidTunnel, []int{4}, noWatchdog(), graceFails(t))
	if err == nil || !strings.Contains(err.Error(), "watch ip interfaces of home: access denied") {
		t.Fatalf("got %v", err)
	}
}

// newBoundWin is the Windows network with an adapter the engine just
// created and bound by LUID; its IP interfaces do not exist yet.
func newBoundWin(t *testing.T) (*winNetwork, *fakeWinIP, string) {
	t.Helper()
	dir := t.TempDir()
	f := newFakeWinIP(t)
	n := newWinNetwork(Options{StateDir: dir, Logger: Logger{Verbosef: t.Logf, Errorf: t.Logf}}, f)
	n.adapters.watchdog = func() (<-chan time.Time, func()) { return nil, func() {} }
	n.adapters.grace = noGrace
	n.BindAdapter("home", luidTunnel)
	return n, f, dir
}

func TestWinApplyWaitsForNewAdapter(t *testing.T) {
	n, f, _ := newBoundWin(t)
	ctx := context.Background()
	done := make(chan error, 1)
	go func() { done <- n.Apply(ctx, "home", winFullSettings()) }()
	f.waitSubscribed(t)
	f.expectLooks(t, "ipv4 false", "ipv6 false")
	f.appear(luidTunnel, 6, true)
	f.expectLooks(t, "ipv4 false", "ipv6 true")
	if len(f.calls) != 0 {
		t.Fatalf("changed things before the ip interfaces existed: %q", f.calls)
	}
	f.appear(luidTunnel, 4, true)
	f.expectLooks(t, "ipv4 true", "ipv6 true")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	winCheckState(t, f.fakeWin, winFullState)

	// Later Applies (the network changed) do not wait again.
	if err := n.Apply(ctx, "home", winSplitSettings()); err != nil {
		t.Fatal(err)
	}
	if len(f.subscribe) != 0 || len(f.looks) != 0 {
		t.Error("a second Apply waited for the ip interfaces again")
	}
}

func TestWinApplyWaitsOnlyForUsedFamilies(t *testing.T) {
	n, f, _ := newBoundWin(t)
	f.ipIfs[[2]uint64{luidTunnel, 4}] = true // IPv6 never comes: turned off
	f.noIPv6[luidTunnel] = true
	if err := n.Apply(context.Background(), "home", winSplitSettings()); err != nil {
		t.Fatal(err)
	}
	f.expectLooks(t, "ipv4 true")
}

func TestWinApplyWatchdog(t *testing.T) {
	n, f, dir := newBoundWin(t)
	expired := make(chan time.Time)
	n.adapters.watchdog = func() (<-chan time.Time, func()) { return expired, func() {} }
	done := make(chan error, 1)
	go func() { done <- n.Apply(context.Background(), "home", winSplitSettings()) }()
	f.waitSubscribed(t)
	f.expectLooks(t, "ipv4 false")
	close(expired)
	err := <-done
	if err == nil || !strings.Contains(err.Error(), "the ipv4 interface of adapter home (luid 99) did not appear") {
		t.Fatalf("got %v", err)
	}
	if len(f.calls) != 0 || winJournalFile(t, dir, "home") != "" {
		t.Errorf("changed things for an adapter without ip interfaces: %q", f.calls)
	}
}

func TestWinApplyRetriesNotFound(t *testing.T) {
	n, f, _ := newBoundWin(t)
	f.ipIfs[[2]uint64{luidTunnel, 4}] = true
	f.ipIfs[[2]uint64{luidTunnel, 6}] = true
	var pauses []int
	n.adapters.pause = func(ctx context.Context, attempt int) error {
		pauses = append(pauses, attempt)
		return nil
	}
	fails := 0
	f.fail = func(op string) error {
		if strings.HasPrefix(op, "addAddress home 192.168.100.2/32") && fails < 2 {
			fails++
			return fmt.Errorf("element not found: %w", errWinNotFound)
		}
		return nil
	}
	if err := n.Apply(context.Background(), "home", winFullSettings()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pauses, []int{2, 3}) {
		t.Errorf("paused before attempts %v, want [2 3]", pauses)
	}
	winCheckState(t, f.fakeWin, winFullState)
}

func TestWinApplyRetryBounded(t *testing.T) {
	n, f, dir := newBoundWin(t)
	f.ipIfs[[2]uint64{luidTunnel, 4}] = true
	var pauses []int
	n.adapters.pause = func(ctx context.Context, attempt int) error {
		pauses = append(pauses, attempt)
		return nil
	}
	f.fail = func(op string) error {
		if strings.HasPrefix(op, "addRoute home") {
			return fmt.Errorf("element not found: %w", errWinNotFound)
		}
		return nil
	}
	err := n.Apply(context.Background(), "home", winSplitSettings())
	if !errors.Is(err, errWinNotFound) {
		t.Fatalf("got %v, want not found", err)
	}
	if !slices.Equal(pauses, []int{2, 3, 4, 5}) {
		t.Errorf("paused before attempts %v, want [2 3 4 5]", pauses)
	}
	f.fail = nil
	// The interface settings are set, not added: they stay, as after
	// any removal.
	winCheckState(t, f.fakeWin, winBaseline+"if home ipv4 mtu 1420 metric auto\nif home ipv6 mtu default metric auto\n")
	if winJournalFile(t, dir, "home") != "" {
		t.Error("journal left after the failed attempts")
	}
}

func TestWinApplyRetryCancelled(t *testing.T) {
	n, f, _ := newBoundWin(t)
	f.ipIfs[[2]uint64{luidTunnel, 4}] = true
	ctx, cancel := context.WithCancel(context.Background())
	n.adapters.pause = func(ctx context.Context, attempt int) error {
		cancel()
		return ctx.Err()
	}
	f.fail = func(op string) error {
		if strings.HasPrefix(op, "addAddress home") {
			return fmt.Errorf("element not found: %w", errWinNotFound)
		}
		return nil
	}
	err := n.Apply(ctx, "home", winSplitSettings())
	if !errors.Is(err, context.Canceled) || !errors.Is(err, errWinNotFound) {
		t.Fatalf("got %v, want not found and cancelled", err)
	}
}

func TestWinApplyRetryPauseIsReal(t *testing.T) {
	n, _, _ := newBoundWin(t)
	start := time.Now()
	if err := n.pause(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < winApplyPause {
		t.Errorf("paused %s, want at least %s", d, winApplyPause)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := n.pause(ctx, 5); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
}

func TestWinUnboundNotFoundIsNotRetried(t *testing.T) {
	dir := t.TempDir()
	f := newFakeWinIP(t)
	n := newWinNetwork(Options{StateDir: dir}, f)
	n.adapters.pause = func(context.Context, int) error {
		t.Error("paused for an interface the engine did not bind")
		return nil
	}
	if err := n.Apply(context.Background(), "away", winSplitSettings()); !errors.Is(err, errWinNotFound) {
		t.Fatalf("got %v", err)
	}
	if len(f.subscribe) != 0 {
		t.Error("waited for an interface the engine did not bind")
	}
}

func TestWinBoundLUIDOutlivesRename(t *testing.T) {
	n, f, _ := newBoundWin(t)
	f.ipIfs[[2]uint64{luidTunnel, 4}] = true
	// Someone renames the adapter in the Network Connections window: the
	// alias no longer finds it, the LUID does.
	delete(f.ifaces, "home")
	f.ifaces["Renamed"] = luidTunnel
	ctx := context.Background()
	if err := n.Apply(ctx, "home", winSplitSettings()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.State(), "addr home 192.168.100.2/32") {
		t.Errorf("state:\n%s", f.State())
	}
	if err := n.Apply(ctx, "home", Settings{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := n.adapters.bound["home"]; ok {
		t.Error("the binding outlived the removal")
	}
	winCheckState(t, f.fakeWin, winBaseline+"if home ipv4 mtu 1420 metric auto\nif home ipv6 mtu default metric auto\n")
}
