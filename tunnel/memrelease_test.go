package tunnel

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestIdleTriggerReleasesOncePerQuietPeriod drives the trigger with a fake
// clock and counters: a burst, quiet (keepalives only), a second burst,
// quiet again. It must fire once after each quiet stretch of `after`,
// never during traffic and not again while the quiet lasts.
func TestIdleTriggerReleasesOncePerQuietPeriod(t *testing.T) {
	const poll = 2 * time.Second
	trig := idleTrigger{after: 6 * time.Second, quiet: 64 << 10}
	now := time.Unix(1_700_000_000, 0)
	var total uint64
	var fired []int // the readings that fired

	step := func(i int, moved uint64) {
		now = now.Add(poll)
		total += moved
		if trig.observe(total, now) {
			fired = append(fired, i)
		}
	}
	i := 0
	run := func(n int, moved uint64) {
		for range n {
			step(i, moved)
			i++
		}
	}
	run(10, 50<<20) // 0-9: a burst, 50 MB per poll
	run(10, 32)     // 10-19: quiet, a keepalive per poll
	run(5, 30<<20)  // 20-24: a second burst
	run(10, 0)      // 25-34: nothing at all

	// The first quiet reading is 10 (busy last seen at 9): 6 s later is
	// reading 12. The second burst ends at 24: reading 27.
	want := []int{12, 27}
	if len(fired) != len(want) || fired[0] != want[0] || fired[1] != want[1] {
		t.Fatalf("fired at readings %v, want %v", fired, want)
	}
}

// TestIdleTriggerNeverFiresDuringTraffic: steady traffic just above the
// quiet threshold for ten minutes never releases, however long it lasts.
func TestIdleTriggerNeverFiresDuringTraffic(t *testing.T) {
	trig := idleTrigger{after: 6 * time.Second, quiet: 64 << 10}
	now := time.Unix(1_700_000_000, 0)
	var total uint64
	for i := range 300 {
		now = now.Add(2 * time.Second)
		total += 64<<10 + 1
		if trig.observe(total, now) {
			t.Fatalf("released at reading %d while traffic flowed", i)
		}
	}
}

// TestIdleTriggerTunnelGoneCountsAsChange: when a tunnel goes away its
// counters leave the total; the drop restarts the quiet period instead of
// looking like a huge (wrapped) amount of traffic or like quiet.
func TestIdleTriggerTunnelGoneCountsAsChange(t *testing.T) {
	trig := idleTrigger{after: 6 * time.Second, quiet: 64 << 10}
	now := time.Unix(1_700_000_000, 0)
	readings := []struct {
		total uint64
		want  bool
	}{
		{1 << 30, false}, // first reading: quiet starts here
		{1 << 30, false}, // 2 s
		{1 << 30, false}, // 4 s
		{1 << 30, true},  // 6 s quiet: release
		{1 << 20, false}, // a tunnel went down: the quiet starts again
		{1 << 20, false},
		{1 << 20, false},
		{1 << 20, true}, // 6 s after the drop
		{1 << 20, false},
	}
	for i, r := range readings {
		if i > 0 {
			now = now.Add(2 * time.Second)
		}
		if got := trig.observe(r.total, now); got != r.want {
			t.Fatalf("reading %d (total %d): release %v, want %v", i, r.total, got, r.want)
		}
	}
}

// TestManagerReleasesMemoryWhenIdle runs the watcher of a real Manager
// over an in-process tunnel, with the clock and each reading driven by the
// test: it starts with the tunnel, releases once after the quiet time,
// not while packets flow, again after a new burst, and exits with the
// last tunnel.
func TestManagerReleasesMemoryWhenIdle(t *testing.T) {
	l := newLab(t)
	m := newTestManager(t, l, t.TempDir())
	times := make(chan time.Time) // each send is one reading of the watcher
	var releases atomic.Int32
	m.mem.poll = time.Hour // readings come from kicks only
	m.mem.after = 6 * time.Second
	m.mem.quiet = 0 // every byte is traffic
	m.mem.now = func() time.Time { return <-times }
	m.mem.release = func() { releases.Add(1) }

	ck := mustKey(t)
	r := l.newRouter(ck)
	if err := m.Import("home", clientConfig(ck, r)); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(context.Background(), "home"); err != nil {
		t.Fatal(err)
	}
	client := l.tun("home").ch
	clock := time.Unix(1_700_000_000, 0)
	first := true
	// read makes the watcher take one reading, 2 s after the previous,
	// and returns the releases so far (the send to times returns once
	// the watcher has the time; the next reading's send returns only
	// after this one's release, so read waits for one more poll before
	// counting: the caller sees the releases of all earlier readings).
	read := func() {
		t.Helper()
		if !first {
			m.kickMemWatch()
		}
		first = false
		clock = clock.Add(2 * time.Second)
		select {
		case times <- clock:
		case <-time.After(10 * time.Second):
			t.Fatal("the memory watcher took no reading")
		}
	}
	burst := func() {
		sendPacket(t, client, r.tun, clientIP, routerIP)
		sendPacket(t, r.tun, client, routerIP, clientIP)
	}

	read() // the first reading, at start: quiet starts here
	burst()
	read() // traffic
	for range 3 {
		burst()
		read()
	}
	read() // 2 s quiet
	read() // 4 s
	if n := releases.Load(); n != 0 {
		t.Fatalf("%d releases while packets flowed or before 6 s of quiet", n)
	}
	read() // 6 s: release
	read() // the next reading returns after that release
	if n := releases.Load(); n != 1 {
		t.Fatalf("after 6 s of quiet: %d releases, want 1", n)
	}
	for range 10 {
		read() // still quiet: no second release
	}
	if n := releases.Load(); n != 1 {
		t.Fatalf("a long quiet period: %d releases, want 1", n)
	}
	burst()
	read()
	read()
	read()
	read() // 6 s after the second burst
	read()
	if n := releases.Load(); n != 2 {
		t.Fatalf("after a second burst and 6 s of quiet: %d releases, want 2", n)
	}

	if err := m.Down(context.Background(), "home"); err != nil {
		t.Fatal(err)
	}
	// With no tunnel left the watcher exits without another reading.
	deadline := time.Now().Add(10 * time.Second)
	for {
		m.mu.Lock()
		running := m.mem.running
		m.mu.Unlock()
		if !running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the memory watcher still runs with no tunnel up")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
