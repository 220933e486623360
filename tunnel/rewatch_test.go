package tunnel

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/platform"
	"github.com/wgdesk/wgdesk/platform/platformtest"
)

// watchNet is a platformtest.Fake that also implements platform.Watcher:
// the test calls change as the OS would, and can hold a re-apply in
// progress.
type watchNet struct {
	*platformtest.Fake

	mu       sync.Mutex
	changed  func() // the running Watch's callback, nil when none runs
	watches  int    // Watch calls that returned
	watchErr error  // Watch fails at once with it
	hold     bool   // Apply of non-zero settings waits for release or ctx
	entered  chan struct{}
	release  chan struct{}
	applied  chan error    // the result of every Apply of non-zero settings
	started  chan struct{} // closed when Watch runs
	finished chan struct{} // closed when Watch returned
}

var _ platform.Watcher = (*watchNet)(nil)

func newWatchNet() *watchNet {
	return &watchNet{
		Fake:     platformtest.New(),
		entered:  make(chan struct{}, 10),
		applied:  make(chan error, 100),
		release:  make(chan struct{}),
		started:  make(chan struct{}),
		finished: make(chan struct{}),
	}
}

func (w *watchNet) Watch(ctx context.Context, changed func()) error {
	w.mu.Lock()
	if w.watchErr != nil {
		w.mu.Unlock()
		return w.watchErr
	}
	w.changed = changed
	w.mu.Unlock()
	close(w.started)
	<-ctx.Done()
	w.mu.Lock()
	w.changed = nil
	w.watches++
	w.mu.Unlock()
	close(w.finished)
	return nil
}

// change reports a change of the network, as the OS would; false when no
// Watch is running.
func (w *watchNet) change() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.changed == nil {
		return false
	}
	w.changed()
	return true
}

func (w *watchNet) Apply(ctx context.Context, ifname string, s platform.Settings) error {
	w.mu.Lock()
	hold := w.hold && !s.IsZero()
	w.mu.Unlock()
	if hold {
		w.entered <- struct{}{}
		select {
		case <-w.release:
		case <-ctx.Done():
			return fmt.Errorf("apply %s: %w", ifname, ctx.Err())
		}
	}
	err := w.Fake.Apply(ctx, ifname, s)
	if !s.IsZero() {
		w.applied <- err
	}
	return err
}

// manualTimer is a settleTimer the test fires.
type manualTimer struct {
	c      chan time.Time
	mu     sync.Mutex
	armed  bool
	resets int
}

func (m *manualTimer) C() <-chan time.Time { return m.c }

func (m *manualTimer) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.armed = true
	m.resets++
}

func (m *manualTimer) Stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.armed = false
}

func (m *manualTimer) state() (armed bool, resets int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.armed, m.resets
}

// fire expires the timer if it is armed, as time passing would: the tick
// waits in the channel for the loop to take it. It reports whether the
// timer was armed.
func (m *manualTimer) fire() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.armed {
		return false
	}
	m.armed = false
	select {
	case m.c <- time.Time{}:
	default: // a tick is pending already
	}
	return true
}

// logBuf collects an engine's log.
type logBuf struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBuf) add(prefix string) func(string, ...any) {
	return func(format string, args ...any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.lines = append(b.lines, prefix+fmt.Sprintf(format, args...))
	}
}

func (b *logBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}

type rewatchLab struct {
	*lab
	net   *watchNet
	timer *manualTimer
	log   *logBuf
	e     *Engine
}

// startWatched starts the split tunnel of the lab on a watching network
// with a manual settle timer, and waits for the watch to run.
func startWatched(t *testing.T, prepare func(*watchNet)) *rewatchLab {
	t.Helper()
	l := newLab(t)
	rl := &rewatchLab{lab: l, net: newWatchNet(), timer: &manualTimer{c: make(chan time.Time, 1)}, log: &logBuf{}}
	if prepare != nil {
		prepare(rl.net)
	}
	ck := mustKey(t)
	r := l.newRouter(ck)
	deps := l.deps()
	deps.Network = rl.net
	deps.newSettleTimer = func() settleTimer { return rl.timer }
	e, err := StartEngine(context.Background(), EngineOptions{
		Name: "test", Interface: "wgd0", Config: clientConfig(ck, r), Deps: deps,
		Logger: Logger{Verbosef: rl.log.add("V "), Errorf: rl.log.add("E ")},
	})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	rl.e = e
	t.Cleanup(func() { e.Close(context.Background()) })
	if err := <-rl.net.applied; err != nil {
		t.Fatalf("start's apply: %v", err)
	}
	<-rl.net.started
	return rl
}

func (rl *rewatchLab) applies() int {
	n := 0
	for _, c := range rl.net.Calls() {
		if c == "apply wgd0" {
			n++
		}
	}
	return n
}

const splitState = "addr wgd0 10.9.0.2/32\n" +
	"dns wgd0 10.9.0.1\n" +
	"mtu wgd0 %d\n" +
	"route wgd0 10.9.0.1/32 table main\n" +
	"route wgd0 192.168.88.0/24 table main"

func TestRewatchBurstAppliesOnce(t *testing.T) {
	rl := startWatched(t, nil)
	if got := rl.applies(); got != 1 {
		t.Fatalf("%d applies after start, want 1", got)
	}
	for range 5 {
		if !rl.net.change() {
			t.Fatal("no Watch running after start")
		}
	}
	if armed, resets := rl.timer.state(); !armed || resets != 5 {
		t.Fatalf("after a burst of 5 changes: timer armed %v, reset %d times; want armed, 5", armed, resets)
	}
	if got := rl.applies(); got != 1 {
		t.Fatalf("applied during the burst: %d applies, want still 1", got)
	}
	rl.timer.fire()
	if err := <-rl.net.applied; err != nil {
		t.Fatalf("re-apply: %v", err)
	}
	if armed, _ := rl.timer.state(); armed {
		t.Error("timer armed again after the re-apply: the re-apply caused a change")
	}
	if err := rl.e.Close(context.Background()); err != nil {
		t.Fatalf("close: %v", err)
	}
	calls := strings.Join(rl.net.Calls(), ", ")
	if calls != "apply wgd0, apply wgd0, apply wgd0 zero" {
		t.Errorf("calls: %s; want start, one re-apply, teardown", calls)
	}
	if !strings.Contains(rl.log.String(), "V network changed: settings applied again on wgd0") {
		t.Errorf("log has no re-apply message:\n%s", rl.log)
	}
	wantState(t, rl.net.Fake, "")
}

func TestRewatchStateFollowsUplink(t *testing.T) {
	rl := startWatched(t, nil)
	wantState(t, rl.net.Fake, fmt.Sprintf(splitState, 1420))
	// The new uplink has a smaller MTU; the automatic MTU follows it.
	rl.net.UplinkMTU = 1400
	rl.net.change()
	rl.timer.fire()
	if err := <-rl.net.applied; err != nil {
		t.Fatalf("re-apply: %v", err)
	}
	wantState(t, rl.net.Fake, fmt.Sprintf(splitState, 1320))
}

func TestRewatchNothingAfterClose(t *testing.T) {
	rl := startWatched(t, nil)
	if err := rl.e.Close(context.Background()); err != nil {
		t.Fatalf("close: %v", err)
	}
	<-rl.net.finished // Close returned after Watch did
	if rl.net.change() {
		t.Fatal("Watch still running after Close")
	}
	rl.timer.Reset() // even a tick that comes late finds nobody
	rl.timer.fire()
	calls := strings.Join(rl.net.Calls(), ", ")
	if calls != "apply wgd0, apply wgd0 zero" {
		t.Errorf("calls: %s; want start and teardown only", calls)
	}
	if len(rl.timer.c) != 1 {
		t.Error("somebody took the tick after Close")
	}
	wantState(t, rl.net.Fake, "")
}

func TestRewatchCloseWhileSettling(t *testing.T) {
	rl := startWatched(t, nil)
	rl.net.change()
	if armed, _ := rl.timer.state(); !armed {
		t.Fatal("timer not armed by a change")
	}
	if err := rl.e.Close(context.Background()); err != nil { // must not wait for the tick
		t.Fatalf("close: %v", err)
	}
	if got := rl.applies(); got != 1 {
		t.Errorf("%d applies, want only the start's", got)
	}
	wantState(t, rl.net.Fake, "")
}

func TestRewatchCloseDuringReapply(t *testing.T) {
	rl := startWatched(t, nil)
	rl.net.mu.Lock()
	rl.net.hold = true
	rl.net.mu.Unlock()
	rl.net.change()
	rl.timer.fire()
	<-rl.net.entered // the re-apply is under way and waits
	// Close cancels it and waits for it before removing the settings, so
	// that it can never add routes after the teardown.
	if err := rl.e.Close(context.Background()); err != nil {
		t.Fatalf("close: %v", err)
	}
	wantState(t, rl.net.Fake, "")
	calls := rl.net.Calls()
	if last := calls[len(calls)-1]; last != "apply wgd0 zero" {
		t.Errorf("last call %q, want the teardown's", last)
	}
	if !strings.Contains(rl.log.String(), "cut short") {
		t.Errorf("log does not say the re-apply was cut short:\n%s", rl.log)
	}
}

func TestRewatchReapplyFinishesBeforeTeardown(t *testing.T) {
	rl := startWatched(t, nil)
	rl.net.mu.Lock()
	rl.net.hold = true
	rl.net.mu.Unlock()
	rl.net.change()
	rl.timer.fire()
	<-rl.net.entered
	closed := make(chan error, 1)
	go func() { closed <- rl.e.Close(context.Background()) }()
	// Whether Close has begun or not, letting the re-apply go on must end
	// with nothing configured. (Apply returns at the release or at the
	// cancel, whichever it sees.)
	select {
	case rl.net.release <- struct{}{}:
	case err := <-closed:
		closed <- err
	}
	if err := <-closed; err != nil {
		t.Fatalf("close: %v", err)
	}
	wantState(t, rl.net.Fake, "")
	calls := rl.net.Calls()
	if last := calls[len(calls)-1]; last != "apply wgd0 zero" {
		t.Errorf("last call %q, want the teardown's", last)
	}
}

func TestRewatchErrorKeepsTunnelUp(t *testing.T) {
	rl := startWatched(t, nil)
	rl.net.FailOn(platformtest.StepRoutes)
	rl.net.change()
	rl.timer.fire()
	if err := <-rl.net.applied; !errors.Is(err, platformtest.ErrInjected) {
		t.Fatalf("re-apply: %v, want the injected failure", err)
	}
	if _, err := rl.e.Stats(); err != nil {
		t.Errorf("tunnel not running after a failed re-apply: %v", err)
	}
	// The next change tries again.
	rl.net.FailOn("")
	rl.net.change()
	rl.timer.fire()
	if err := <-rl.net.applied; err != nil {
		t.Fatalf("second re-apply: %v", err)
	}
	if err := rl.e.Close(context.Background()); err != nil {
		t.Fatalf("close: %v", err)
	}
	log := rl.log.String()
	if !strings.Contains(log, "E network changed: apply settings to wgd0 again: ") || !strings.Contains(log, platformtest.ErrInjected.Error()) {
		t.Errorf("log has no error for the failed re-apply:\n%s", log)
	}
	if !strings.Contains(log, "V network changed: settings applied again on wgd0") {
		t.Errorf("the re-apply after the failure did not succeed:\n%s", log)
	}
	wantState(t, rl.net.Fake, "")
}

func TestRewatchWatchFailureIsLogged(t *testing.T) {
	l := newLab(t)
	wn := newWatchNet()
	wn.watchErr = errors.New("no routing socket")
	ck := mustKey(t)
	r := l.newRouter(ck)
	deps := l.deps()
	deps.Network = wn
	errs := make(chan string, 10)
	e, err := StartEngine(context.Background(), EngineOptions{
		Name: "test", Interface: "wgd0", Config: clientConfig(ck, r), Deps: deps,
		Logger: Logger{Errorf: func(format string, args ...any) { errs <- fmt.Sprintf(format, args...) }},
	})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	msg := <-errs
	if !strings.Contains(msg, "network changes are not watched") || !strings.Contains(msg, "no routing socket") {
		t.Errorf("logged %q", msg)
	}
	// The tunnel runs on, and Close still ends the loop.
	if _, err := e.Stats(); err != nil {
		t.Errorf("stats: %v", err)
	}
	if err := e.Close(context.Background()); err != nil {
		t.Fatalf("close: %v", err)
	}
}

func TestRewatchRealTimer(t *testing.T) {
	// The production timer with a short delay: a change leads to a
	// re-apply without the test firing anything.
	l := newLab(t)
	wn := newWatchNet()
	ck := mustKey(t)
	r := l.newRouter(ck)
	deps := l.deps()
	deps.Network = wn
	deps.newSettleTimer = func() settleTimer { return newRealSettleTimer(time.Millisecond) }
	e, err := StartEngine(context.Background(), EngineOptions{
		Name: "test", Interface: "wgd0", Config: clientConfig(ck, r), Deps: deps,
	})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	<-wn.applied
	<-wn.started
	wn.mu.Lock()
	wn.hold = true
	wn.mu.Unlock()
	wn.change()
	<-wn.entered // the timer expired and the loop re-applies
	wn.release <- struct{}{}
	if err := e.Close(context.Background()); err != nil {
		t.Fatalf("close: %v", err)
	}
	wantState(t, wn.Fake, "")
}
