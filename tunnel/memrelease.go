package tunnel

import (
	"runtime"
	"runtime/debug"
	"time"
)

// Memory after a burst of traffic (issue 15).
//
// wireguard-go takes its packet buffers, 64 KiB arrays, from sync.Pools
// without a bound on this platform (device/pools.go; the bound,
// PreallocatedBuffersPerPool, is the constant 0 in
// device/queueconstants_default.go outside iOS and Android), so a burst
// grows the heap to a few hundred MB. Once the burst ends, the next two
// collections drop the pooled buffers (sync.Pool keeps them one more cycle
// in its victim cache), but nothing collects while no traffic allocates,
// and the runtime's scavenger returns freed pages to the OS only slowly:
// plain wireguard-go still held 125 MB three minutes after a 10 s burst.
//
// The service therefore hands the memory back when traffic stops: a
// watcher reads the byte counters of the active tunnels every
// idleReleasePoll while at least one is up, and once they moved less than
// idleQuietBytes per poll for idleReleaseAfter, it releases the memory,
// once per idle period. While traffic flows it never releases: a forced
// collection in the middle of a burst would only cost CPU, and the pools
// would grow back at once.
//
// The peak is not ours to lower. In bench runs against the fast peer
// (bench/bench.sh, 2 cores), GODEBUG=gctrace=1 showed the heap at the
// collections of a burst as 261->278->251 and 413->413->332 MB (at start
// -> at end -> live): nearly all of it live, packets waiting in the
// per-peer queues (1024 batches deep, device/queueconstants_default.go) in
// a 64 KiB buffer each. What bounds that is PreallocatedBuffersPerPool, a
// constant outside iOS and Android; lifting it takes a wireguard-go change.
// A soft memory limit (debug.SetMemoryLimit) cannot help: the live heap
// varied from 150 to 330 MB with the burst, and a limit below it makes the
// collector run back to back, up to half the CPU. GOGC 50 halved the
// garbage between collections (the heap's margin over live went from 81 to
// 42 MB) at no cost in CPU per GB (1.004 of GOGC 100, plain wireguard-go
// against itself in 4 interleaved rounds), but VmHWM did not follow: 425
// MB with GOGC 50 against 405 MB without in that same run, the UDP floods'
// queue depth moving the peak by more than the margin. So the service
// leaves the collector as it is.
//
// What did lower our peak is the second collection: the service keeps
// running across tunnel turns, and a single FreeOSMemory at Down left the
// pools' victim caches alive, so each turn's burst added to the last. In
// the same bench (3 rounds of 5 s), the service without this file reached
// a VmHWM of 641 MB against 427 MB for plain wireguard-go (1.5); with it,
// 293 to 421 MB, 0.87 to 1.06 of plain wireguard-go's in five runs.
//
// After a burst, the release took the heap from 297 to 34 MB live (the
// batch buffers the device's receive goroutines always keep: 128 of
// 64 KiB per UDP socket and for the TUN, device/receive.go and
// device/send.go) and VmRSS from 313 to 31.5 MB within 10 s, while plain
// wireguard-go stayed at its 357 MB peak for the 60 s measured.
const (
	idleReleasePoll  = 2 * time.Second
	idleReleaseAfter = 6 * time.Second
	// idleQuietBytes is what a tunnel at rest moves per poll without
	// counting as traffic: keepalives (32 bytes every PersistentKeepalive)
	// and handshakes (under 200 bytes every 2 minutes) stay far below it.
	idleQuietBytes = 64 << 10
)

// idleTrigger decides when to release memory from successive readings of
// the total bytes moved. It is not safe for concurrent use; the watcher
// goroutine owns it.
type idleTrigger struct {
	after    time.Duration // quiet time before the release
	quiet    uint64        // bytes per reading that still count as quiet
	started  bool
	last     uint64    // the previous reading
	busy     time.Time // when traffic was last seen (or the first reading)
	released bool      // the current quiet period has had its release
}

// observe takes the total bytes moved by the active tunnels at now and
// reports whether to release memory now: true once per quiet period,
// after the counters moved at most quiet bytes between readings for the
// whole of after. A total that went down (a tunnel went away) starts
// again from it, as traffic does.
func (t *idleTrigger) observe(total uint64, now time.Time) bool {
	switch {
	case !t.started:
		t.started = true
		t.busy = now
	case total < t.last || total-t.last > t.quiet:
		t.busy = now
		t.released = false
	case !t.released && now.Sub(t.busy) >= t.after:
		t.released = true
		t.last = total
		return true
	}
	t.last = total
	return false
}

// releaseMemory returns the heap's free pages to the OS. The first
// collection moves the pools' buffers to their victim caches, the one
// FreeOSMemory forces frees them; then it returns the pages.
func releaseMemory() {
	runtime.GC()
	debug.FreeOSMemory()
}

// memWatch is the Manager's idle-release watcher state, guarded by
// Manager.mu except for the seams, which tests set before any Up.
type memWatch struct {
	running bool          // the watcher goroutine runs
	kick    chan struct{} // Down wakes it to notice that no tunnel is left
	poll    time.Duration
	after   time.Duration // idleTrigger.after
	quiet   uint64        // idleTrigger.quiet
	now     func() time.Time
	release func()
}

func newMemWatch() memWatch {
	return memWatch{
		kick: make(chan struct{}, 1), poll: idleReleasePoll, after: idleReleaseAfter, quiet: idleQuietBytes,
		now: time.Now, release: releaseMemory,
	}
}

// startMemWatchLocked starts the watcher if it does not run; Up calls it
// once a tunnel is active.
func (m *Manager) startMemWatchLocked() {
	if m.mem.running {
		return
	}
	m.mem.running = true
	m.stats.Add(1)
	go m.watchMemory()
}

// kickMemWatch wakes the watcher early, after a tunnel went down.
func (m *Manager) kickMemWatch() {
	select {
	case m.mem.kick <- struct{}{}:
	default:
	}
}

// watchMemory runs while at least one tunnel is active and releases
// memory once per quiet period (idleTrigger). It reads the counters every
// poll, which costs an idle service one short wake-up per poll, and
// exits when no tunnel is left, so a service without tunnels never wakes.
func (m *Manager) watchMemory() {
	defer m.stats.Done()
	trig := idleTrigger{after: m.mem.after, quiet: m.mem.quiet}
	timer := time.NewTimer(m.mem.poll)
	defer timer.Stop()
	for {
		m.mu.Lock()
		var engines []*Engine
		for _, t := range m.tunnels {
			if t.state == StateActive && t.engine != nil {
				engines = append(engines, t.engine)
			}
		}
		if len(engines) == 0 {
			m.mem.running = false
			m.mu.Unlock()
			return
		}
		m.mu.Unlock()

		var total uint64
		for _, eng := range engines {
			peers, err := eng.Stats()
			if err != nil {
				// Going down meanwhile: its counters leave the total,
				// which the trigger takes as a change.
				continue
			}
			for _, p := range peers {
				total += p.RxBytes + p.TxBytes
			}
		}
		if trig.observe(total, m.mem.now()) {
			m.mem.release()
		}

		timer.Reset(m.mem.poll)
		select {
		case <-timer.C:
		case <-m.mem.kick:
			timer.Stop() // Go 1.23 timers: no stale tick to drain
		}
	}
}
