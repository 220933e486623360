// Package tunnel owns the life cycle of WireGuard tunnels in the service:
// the Engine runs one tunnel (a wireguard-go device on a TUN interface, its
// network settings applied through platform.Network) in a linear up
// sequence with typed step errors and one teardown; the Manager stores the
// tunnels, moves them through their states and pushes events to
// subscribers. Manager implements Service, which the local API serves.
package tunnel

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/platform"
)

// ManagerOptions configure a Manager.
type ManagerOptions struct {
	// StateDir holds tunnels/<name>.conf (default DefaultStateDir; created
	// with mode 0700).
	StateDir string
	// Deps are the engine's side effects; Deps.Network is required (the
	// service passes platform.New's result after calling its Recover).
	Deps Deps
	// AllowScripts permits PreUp/PostUp/PreDown/PostDown commands (the
	// service flag --allow-scripts) of configs an administrator wrote
	// (ScriptsTrusted). Off by default: they run as root.
	AllowScripts bool
	// MemberQuota bounds what each group member may store (zero fields:
	// DefaultMemberQuota).
	MemberQuota Quota
	Logger      Logger
	// StatsInterval is how often EventStats is pushed for each active
	// tunnel (default 1s).
	StatsInterval time.Duration
	// Conn are the thresholds of the connection state (connstate.go).
	Conn ConnTimes
	// ReresolveAfter is how old the latest handshake of a peer with a
	// host name endpoint may grow before the name is looked up again
	// (default 135s; ddns.go).
	ReresolveAfter time.Duration
}

// subscriberBuffer is how many events a subscriber may fall behind before
// it misses some.
const subscriberBuffer = 64

// Manager implements Service: it stores tunnels, runs an Engine for each
// active one and tells subscribers about every change.
//
// Each tunnel moves inactive -> activating -> active -> deactivating ->
// inactive, or activating -> failed when its start fails (the engine has
// torn down by then); a failed tunnel can be started again. Transitions
// happen under mu; the slow engine work runs outside it while the tunnel's
// busy channel is set, so concurrent calls on one tunnel wait for each
// other instead of racing.
type Manager struct {
	opts  ManagerOptions
	deps  Deps
	log   Logger
	store *store
	fw    platform.FirewallSupport // what Deps.Network's firewall enforces

	// mu is held only for short steps: requests wait for it with their
	// context (lock.go), and the engine's work and the overlap check
	// run outside it.
	mu      ctxMutex
	tunnels map[string]*managed
	subs    map[int]chan Event
	nextSub int
	// subsWake is closed (and replaced) when the first subscriber comes:
	// the stats watchers sleep while nobody listens.
	subsWake chan struct{}
	closed   bool
	stats    sync.WaitGroup // the stats watchers and the memory watcher
	// mem releases memory once traffic has stopped (memrelease.go).
	mem memWatch

	// overlapHook, when set by a test, runs during Up's overlap check,
	// outside mu.
	overlapHook func(name string)
	// connected lists the directly connected subnets for the collision
	// warnings (collisions.go); tests set their own.
	connected func() ([]config.LocalSubnet, error)
}

var _ Service = (*Manager)(nil)

// managed is one stored tunnel and its run-time state, guarded by
// Manager.mu.
type managed struct {
	name      string
	cfg       *config.Config // nil when the file did not load
	loadErr   error
	opts      Options // normalized
	owner     *Caller // who wrote cfg; nil: not recorded
	size      int     // bytes of the stored wg-quick text
	state     State
	reason    string
	since     time.Time
	engine    *Engine
	ifname    string
	peers     []PeerStats
	busy      chan struct{} // set while starting or stopping; closed when done
	stopStats chan struct{}
	claims    *claims // of cfg, once an Up has computed them (overlap.go)
	// conn is, while active, what the handshakes say (connstate.go).
	conn *connTracker
	// downByCaller: Down was called on it, so Autostart leaves it alone.
	downByCaller bool
	// warnings are the subnet collisions found at import or at the last
	// activation (collisions.go), cleared when the tunnel goes down.
	warnings []string
	// redacted is cfg.Redact(), made once (infoOf): cfg never changes,
	// and redacting derives the public key, a curve25519 multiplication
	// that made most of a 500-tunnel list's time (bench/scale.sh).
	redacted *config.Config
}

// NewManager opens the store in opts.StateDir and lists its tunnels, all
// inactive. A file that does not load is logged and listed as failed with
// the reason.
func NewManager(opts ManagerOptions) (*Manager, error) {
	if opts.StateDir == "" {
		opts.StateDir = DefaultStateDir
	}
	if opts.StatsInterval <= 0 {
		opts.StatsInterval = time.Second
	}
	if opts.Deps.Network == nil {
		return nil, errors.New("new manager: no platform network in Deps")
	}
	opts.MemberQuota = opts.MemberQuota.withDefaults()
	st, err := openStore(opts.StateDir)
	if err != nil {
		return nil, err
	}
	loaded, err := st.load()
	if err != nil {
		return nil, err
	}
	m := &Manager{
		opts:     opts,
		mu:       newCtxMutex(),
		deps:     opts.Deps.withDefaults(),
		log:      opts.Logger,
		store:    st,
		fw:       platform.FirewallOf(opts.Deps.Network),
		tunnels:  map[string]*managed{},
		subs:     map[int]chan Event{},
		subsWake: make(chan struct{}),
		mem:      newMemWatch(),
	}
	m.connected = connectedSubnetsOf(opts.Deps.Network)
	switch {
	case !m.fw.KillSwitch && m.fw.Limit != "":
		m.log.Error("kill switch: not available here (%s); full tunnels are not protected against leaks", m.fw.Limit)
	case !m.fw.KillSwitch:
		m.log.Verbose("kill switch: not available on this system yet; full tunnels are not protected against leaks")
	case m.fw.Limit != "":
		m.log.Verbose("kill switch: enforced by the system firewall (%s)", m.fw.Limit)
	default:
		m.log.Verbose("kill switch: enforced by the system firewall")
	}
	now := time.Now()
	for _, l := range loaded {
		t := &managed{name: l.name, cfg: l.cfg, opts: l.opts, owner: l.owner, size: l.size, state: StateInactive, since: now}
		if l.optErr != nil {
			m.log.Error("tunnel %s: %v; using the default options", l.name, l.optErr)
		}
		if l.err != nil {
			m.log.Error("tunnel %s: %v", l.name, l.err)
			t.loadErr = l.err
			t.state = StateFailed
			t.reason = l.err.Error()
		}
		m.tunnels[l.name] = t
	}
	return m, nil
}

// Import stores cfg under name, written by an administrator.
func (m *Manager) Import(name string, cfg *config.Config) error {
	return m.ImportAs(Administrator, name, cfg)
}

// ImportAs stores cfg under name with who as its owner. A member's config
// must pass CheckMemberConfig and fit in its quota.
func (m *Manager) ImportAs(who Caller, name string, cfg *config.Config) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if cfg == nil {
		return fmt.Errorf("import %s: no config", name)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("import %s: %w", name, err)
	}
	if !who.Admin {
		if who.ID == "" {
			return fmt.Errorf("import %s: %w: the caller has no user id", name, ErrNotOwner)
		}
		if err := CheckMemberConfig(cfg); err != nil {
			return fmt.Errorf("import %s: %w", name, err)
		}
	}
	text := cfg.Marshal()
	warnings := m.collisionWarnings(name, cfg)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return fmt.Errorf("import %s: %w", name, errClosed)
	}
	if taken, ok := m.nameTakenLocked(name); ok {
		if taken != name {
			return fmt.Errorf("import %s: %w: %s (names differing only in case would share one file on macOS and Windows)", name, ErrExists, taken)
		}
		return fmt.Errorf("import %s: %w", name, ErrExists)
	}
	if !who.Admin {
		if err := m.quotaLocked(who, len(text)); err != nil {
			return fmt.Errorf("import %s: %w", name, err)
		}
	}
	cfg = cfg.Clone()
	owner := who
	// The owner goes first: a crash before the config is written leaves
	// a stray .json the next import replaces. This also replaces an
	// options file left by a deletion that did not finish, which must not
	// pass its options (or owner) on to the new tunnel.
	if err := m.store.saveMeta(name, DefaultOptions(), &owner); err != nil {
		return err
	}
	// Saving under the lock keeps two imports of one name from racing on
	// the file; it is one small write.
	if err := m.store.save(name, cfg); err != nil {
		if rerr := m.store.removeOptions(name); rerr != nil {
			m.log.Error("tunnel %s: %v", name, rerr)
		}
		return err
	}
	t := &managed{name: name, cfg: cfg, opts: DefaultOptions(), owner: &owner, size: len(text), state: StateInactive, since: time.Now(), warnings: warnings}
	m.tunnels[name] = t
	m.emitLocked(EventAdded, t)
	return nil
}

var errClosed = errors.New("tunnel manager is closed")

// quotaLocked refuses a member's import of size bytes that would exceed
// MemberQuota. What the member wrote while an administrator (an elevated
// token of the same Windows account) does not count.
func (m *Manager) quotaLocked(who Caller, size int) error {
	n, used := 0, 0
	for _, t := range m.tunnels {
		if t.owner != nil && !t.owner.Admin && t.owner.ID == who.ID {
			n++
			used += t.size
		}
	}
	return m.opts.MemberQuota.check(n, used, size)
}

// List returns every stored tunnel, sorted by name.
func (m *Manager) List() []TunnelInfo {
	// Fresh figures of the active tunnels, read outside the lock (the
	// stats watchers sleep while nobody subscribes).
	m.mu.Lock()
	engines := map[*managed]*Engine{}
	for _, t := range m.tunnels {
		if t.engine != nil && t.state == StateActive {
			engines[t] = t.engine
		}
	}
	m.mu.Unlock()
	fresh := map[*managed][]PeerStats{}
	for t, eng := range engines {
		if peers, err := eng.Stats(); err == nil {
			fresh[t] = peers
		}
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]TunnelInfo, 0, len(m.tunnels))
	now := time.Now()
	for _, t := range m.tunnels {
		if peers, ok := fresh[t]; ok && t.engine == engines[t] {
			t.peers = peers
			m.noteConnLocked(t, peers, now)
		}
		out = append(out, m.infoOf(t))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Get returns one tunnel, with fresh figures when it is active.
func (m *Manager) Get(name string) (TunnelInfo, error) {
	m.mu.Lock()
	t, ok := m.tunnels[name]
	if !ok {
		m.mu.Unlock()
		return TunnelInfo{}, fmt.Errorf("get %s: %w", name, ErrNotFound)
	}
	eng := t.engine
	if eng == nil || t.state != StateActive {
		defer m.mu.Unlock()
		return m.infoOf(t), nil
	}
	m.mu.Unlock()

	peers, err := eng.Stats()
	m.mu.Lock()
	defer m.mu.Unlock()
	if err == nil && t.engine == eng {
		t.peers = peers
		m.noteConnLocked(t, peers, time.Now())
	}
	return m.infoOf(t), nil
}

// Config returns the full stored config, keys included.
func (m *Manager) Config(name string) (*config.Config, error) {
	return m.ConfigAs(Administrator, name)
}

// ConfigAs is Config for who, who must be allowed to change the tunnel.
func (m *Manager) ConfigAs(who Caller, name string) (*config.Config, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tunnels[name]
	if !ok {
		return nil, fmt.Errorf("config of %s: %w", name, ErrNotFound)
	}
	if err := who.checkMayChange(name, t.owner); err != nil {
		return nil, fmt.Errorf("config of %s: %w", name, err)
	}
	if t.cfg == nil {
		return nil, t.loadErr
	}
	return t.cfg.Clone(), nil
}

// Up activates a tunnel and returns when it is active or failed. It is a
// no-op for an active tunnel; it waits for a start or stop under way.
func (m *Manager) Up(ctx context.Context, name string) error {
	t, err := m.lockIdle(ctx, "up", name, true)
	if err != nil {
		return err
	}
	if t.state == StateActive {
		m.mu.Unlock()
		return nil
	}
	if t.cfg == nil {
		m.mu.Unlock()
		return fmt.Errorf("up %s: %w", name, t.loadErr)
	}
	// Scripts run with the service's privileges: only an
	// administrator's. Members cannot import scripts; this refuses what
	// reached the store another way (an older service, a file put there).
	if HasScripts(t.cfg) && !ScriptsTrusted(t.owner) {
		m.mu.Unlock()
		return fmt.Errorf("up %s: %w", name, needAdminError("its PreUp, PostUp, PreDown or PostDown commands were not written by an administrator, so they never run"))
	}
	// Busy from here: another Up or Down of t waits. t is not running
	// yet, so other tunnels' overlap checks do not count it.
	done := make(chan struct{})
	t.busy = done
	release := func() {
		t.busy = nil
		close(done)
	}
	if err := m.checkOverlapLocked(ctx, t); err != nil {
		release()
		m.mu.Unlock()
		return err
	}
	if m.closed {
		release()
		m.mu.Unlock()
		return fmt.Errorf("up %s: %w", name, errClosed)
	}
	ifname := interfaceName(name, func(n string) bool {
		return m.ifnameInUseLocked(n) || m.deps.InterfaceExists(n)
	})
	t.ifname = ifname
	m.setStateLocked(t, StateActivating, "")
	cfg := t.cfg.Clone()
	opts := t.opts
	m.mu.Unlock()
	warnings := m.collisionWarnings(name, cfg)

	eng, err := StartEngine(ctx, EngineOptions{
		Name:         name,
		Interface:    ifname,
		Config:       cfg,
		AllowScripts: m.opts.AllowScripts && ScriptsTrusted(t.owner),
		Options:      opts,
		Deps:         m.deps,
		Logger:       m.log.Prefixed("tunnel " + name + ": "),
		Reresolve:    m.opts.ReresolveAfter,
	})

	m.mu.Lock()
	defer m.mu.Unlock()
	t.busy = nil
	close(done)
	if err != nil {
		t.ifname = ""
		// A collision may be why it failed (Linux refuses a route equal
		// to the LAN's: "file exists"): keep it beside the error.
		t.warnings = warnings
		m.setStateLocked(t, StateFailed, err.Error())
		m.log.Error("tunnel %s: start failed: %v", name, err)
		return fmt.Errorf("up %s: %w", name, err)
	}
	t.engine = eng
	t.ifname = eng.Interface()
	t.warnings = warnings
	t.stopStats = make(chan struct{})
	t.conn = newConnTracker(time.Now(), m.opts.Conn)
	m.stats.Add(1)
	go m.watchStats(t, eng, t.stopStats)
	m.setStateLocked(t, StateActive, "")
	m.startMemWatchLocked()
	return nil
}

// Down deactivates a tunnel. Down of an inactive tunnel does nothing; Down
// of a failed one clears its error. The teardown runs to its end even when
// ctx is cancelled, so that no routes or DNS changes are left behind.
func (m *Manager) Down(ctx context.Context, name string) error {
	t, err := m.lockIdle(ctx, "down", name, false)
	if err != nil {
		return err
	}
	t.downByCaller = true
	switch t.state {
	case StateInactive:
		m.mu.Unlock()
		return nil
	case StateFailed:
		t.warnings = nil
		if t.cfg != nil { // a file that did not load stays failed
			m.setStateLocked(t, StateInactive, "")
		}
		m.mu.Unlock()
		return nil
	}
	eng := t.engine
	done := make(chan struct{})
	t.busy = done
	close(t.stopStats)
	t.stopStats = nil
	m.setStateLocked(t, StateDeactivating, "")
	m.mu.Unlock()

	err = eng.Close(context.WithoutCancel(ctx))
	// A closed device leaves hundreds of MB of packet buffers behind
	// after heavy traffic; the GC would give them back to the OS only
	// minutes later (bench/README.md). A tunnel going down is rare, so
	// return them now (memrelease.go says why it takes two collections).
	releaseMemory()

	m.mu.Lock()
	defer m.mu.Unlock()
	t.busy = nil
	close(done)
	t.engine = nil
	t.ifname = ""
	t.peers = nil
	t.warnings = nil
	t.conn = nil
	m.setStateLocked(t, StateInactive, "")
	m.kickMemWatch() // it exits when this was the last tunnel
	if err != nil {
		m.log.Error("tunnel %s: stop: %v", name, err)
		return fmt.Errorf("down %s: %w", name, err)
	}
	return nil
}

// nameTakenLocked returns the stored tunnel whose name equals name
// ignoring case. Names are unique that way on every OS, so that a config
// store copied to (or kept on) a case-insensitive file system never
// loses a tunnel to another's file.
func (m *Manager) nameTakenLocked(name string) (string, bool) {
	if _, ok := m.tunnels[name]; ok {
		return name, true
	}
	for other := range m.tunnels {
		if strings.EqualFold(other, name) {
			return other, true
		}
	}
	return "", false
}

// lockIdle locks m.mu and returns the named tunnel once no Up or Down is
// under way on it, waiting for the one that is. op names the caller in
// errors; refuseClosed fails once Close has begun. On error m.mu is not
// held.
func (m *Manager) lockIdle(ctx context.Context, op, name string, refuseClosed bool) (*managed, error) {
	for {
		if err := m.mu.LockContext(ctx); err != nil {
			return nil, fmt.Errorf("%s %s: %w", op, name, err)
		}
		if refuseClosed && m.closed {
			m.mu.Unlock()
			return nil, fmt.Errorf("%s %s: %w", op, name, errClosed)
		}
		t, ok := m.tunnels[name]
		if !ok {
			m.mu.Unlock()
			return nil, fmt.Errorf("%s %s: %w", op, name, ErrNotFound)
		}
		wait := t.busy
		if wait == nil {
			return t, nil
		}
		m.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, fmt.Errorf("%s %s: %w", op, name, ctx.Err())
		}
	}
}

// SetOptions stores a tunnel's options and, when it is active, applies
// them at once (see Service). It waits for an Up or Down under way.
func (m *Manager) SetOptions(ctx context.Context, name string, o Options) error {
	return m.SetOptionsAs(ctx, Administrator, name, o)
}

// SetOptionsAs is SetOptions for who, who must be allowed to change the
// tunnel.
func (m *Manager) SetOptionsAs(ctx context.Context, who Caller, name string, o Options) error {
	o, err := o.Normalized()
	if err != nil {
		return fmt.Errorf("set options of %s: %w", name, err)
	}
	t, err := m.lockIdle(ctx, "set options of", name, true)
	if err != nil {
		return err
	}
	if err := who.checkMayChange(name, t.owner); err != nil {
		m.mu.Unlock()
		return fmt.Errorf("set options of %s: %w", name, err)
	}
	if o.AllowLAN && !t.opts.AllowLAN && !m.fw.AllowLAN {
		m.mu.Unlock()
		return fmt.Errorf("set options of %s: %w", name, errAllowLANUnavailable)
	}
	old := t.opts
	if o == old {
		m.mu.Unlock()
		return nil
	}
	if err := m.store.saveMeta(name, o, t.owner); err != nil {
		m.mu.Unlock()
		return err
	}
	t.opts = o
	eng := t.engine
	// Autostart is the service's own business: the engine need not hear
	// of a change to it alone.
	firewallSame := o.KillSwitch == old.KillSwitch && o.AllowLAN == old.AllowLAN
	if eng == nil || t.state != StateActive || firewallSame {
		m.emitLocked(EventOptions, t)
		m.mu.Unlock()
		m.log.Verbose("tunnel %s: options stored: kill switch %s, allow lan %s, autostart %s", name, o.KillSwitch, onOff(o.AllowLAN), onOff(o.Autostart))
		return nil
	}
	done := make(chan struct{})
	t.busy = done
	m.mu.Unlock()

	err = eng.SetOptions(context.WithoutCancel(ctx), o)

	m.mu.Lock()
	defer m.mu.Unlock()
	t.busy = nil
	close(done)
	if err != nil {
		t.opts = old
		if serr := m.store.saveMeta(name, old, t.owner); serr != nil {
			m.log.Error("tunnel %s: restore the old options: %v", name, serr)
			err = errors.Join(err, serr)
		}
		m.log.Error("tunnel %s: %v", name, err)
		return fmt.Errorf("set options of %s: %w", name, err)
	}
	m.log.Verbose("tunnel %s: options applied: kill switch %s, allow lan %s, autostart %s", name, o.KillSwitch, onOff(o.AllowLAN), onOff(o.Autostart))
	m.emitLocked(EventOptions, t)
	return nil
}

// Delete removes a stored tunnel; ErrActive unless it is inactive or
// failed.
func (m *Manager) Delete(name string) error {
	return m.DeleteAs(Administrator, name)
}

// DeleteAs is Delete for who, who must be allowed to change the tunnel.
func (m *Manager) DeleteAs(who Caller, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tunnels[name]
	if !ok {
		return fmt.Errorf("delete %s: %w", name, ErrNotFound)
	}
	if err := who.checkMayChange(name, t.owner); err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	if t.busy != nil || (t.state != StateInactive && t.state != StateFailed) {
		return fmt.Errorf("delete %s: %w", name, ErrActive)
	}
	if err := m.store.remove(name); err != nil {
		return err
	}
	delete(m.tunnels, name)
	m.emitLocked(EventRemoved, t)
	return nil
}

// Subscribe returns a channel of events. Events that do not fit in its
// buffer are dropped for that subscriber. The channel is closed by cancel
// or by Close.
func (m *Manager) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, subscriberBuffer)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		close(ch)
		return ch, func() {}
	}
	id := m.nextSub
	m.nextSub++
	m.subs[id] = ch
	if len(m.subs) == 1 {
		close(m.subsWake)
		m.subsWake = make(chan struct{})
	}
	return ch, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if c, ok := m.subs[id]; ok {
			delete(m.subs, id)
			close(c)
		}
	}
}

// Close deactivates every tunnel, waits for the figures watchers to stop
// and closes the subscribers' channels. Afterwards Up and Import fail.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	names := make([]string, 0, len(m.tunnels))
	for n := range m.tunnels {
		names = append(names, n)
	}
	m.mu.Unlock()
	sort.Strings(names)

	var errs []error
	for _, n := range names {
		if err := m.Down(ctx, n); err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, err)
		}
	}
	m.stats.Wait()

	m.mu.Lock()
	for id, ch := range m.subs {
		delete(m.subs, id)
		close(ch)
	}
	m.mu.Unlock()
	return errors.Join(errs...)
}

// watchStats pushes EventStats every StatsInterval while eng runs, and
// keeps t's connection state (connstate.go) up to date.
//
// While nobody subscribes (no app window, no event stream) it reads the
// figures only while the connection state can change with time alone
// (connecting, no handshake), every Conn.Poll; a connected tunnel sleeps
// without a timer, so that an idle service with a tunnel up costs what
// the engine alone costs. Get and List read the figures afresh for their
// callers.
func (m *Manager) watchStats(t *managed, eng *Engine, stop <-chan struct{}) {
	defer m.stats.Done()
	timer := time.NewTimer(m.opts.StatsInterval)
	defer timer.Stop()
	poll := m.opts.Conn.withDefaults().Poll
	for {
		m.mu.Lock()
		idle, wake := len(m.subs) == 0, m.subsWake
		polled := t.conn != nil && t.conn.polled()
		m.mu.Unlock()
		wait := m.opts.StatsInterval
		if idle {
			if !polled {
				select {
				case <-stop:
					return
				case <-wake:
				}
			} else {
				wait = poll
			}
		}
		timer.Reset(wait)
		select {
		case <-stop:
			return
		case <-timer.C:
		}
		peers, err := eng.Stats()
		if err != nil {
			m.log.Verbose("tunnel %s: %v", t.name, err)
			continue
		}
		m.mu.Lock()
		if t.engine == eng && t.state == StateActive {
			t.peers = peers
			if len(m.subs) > 0 {
				m.emitLocked(EventStats, t)
			}
			m.noteConnLocked(t, peers, time.Now())
		}
		m.mu.Unlock()
	}
}

func (m *Manager) setStateLocked(t *managed, s State, reason string) {
	t.state = s
	t.reason = reason
	t.since = time.Now()
	m.emitLocked(EventState, t)
}

// emitLocked sends an event to every subscriber that has room for it.
func (m *Manager) emitLocked(kind EventKind, t *managed) {
	info := m.statusOf
	if kind != EventStats {
		info = m.infoOf
	}
	ev := Event{Kind: kind, Tunnel: info(t), Time: time.Now()}
	for _, ch := range m.subs {
		select {
		case ch <- ev:
		default: // a slow subscriber misses this one
		}
	}
}

// infoOf describes t for callers: the config redacted, the figures copied,
// the options with what the kill switch does now. m.mu is held.
func (m *Manager) infoOf(t *managed) TunnelInfo {
	info := m.statusOf(t)
	if t.cfg != nil {
		if t.redacted == nil {
			t.redacted = t.cfg.Redact()
		}
		// A copy: callers may change what they get.
		info.Config = t.redacted.Clone()
	}
	return info
}

// statusOf is infoOf without the config, for stats events: they come
// every StatsInterval, and a config may hold 100,000 AllowedIPs.
func (m *Manager) statusOf(t *managed) TunnelInfo {
	info := TunnelInfo{
		Name:              t.name,
		State:             t.state,
		Error:             t.reason,
		Interface:         t.ifname,
		Peers:             append([]PeerStats(nil), t.peers...),
		Since:             t.since,
		Options:           t.opts,
		AllowLANAvailable: m.fw.AllowLAN,
		Warnings:          append([]string(nil), t.warnings...),
	}
	if t.conn != nil && t.state == StateActive {
		info.Connection = t.conn.state
	}
	if t.owner != nil {
		owner := *t.owner
		info.Owner = &owner
	}
	if t.cfg != nil {
		info.FullTunnel = IsFullTunnel(t.cfg)
	}
	enforced := t.engine != nil && t.state == StateActive && t.engine.KillSwitchEnforced()
	info.KillSwitch = KillSwitchStatusFor(t.cfg, t.opts, m.fw, enforced)
	if t.state != StateActive && t.state != StateActivating && t.state != StateDeactivating {
		info.Interface = ""
	}
	return info
}

func (m *Manager) ifnameInUseLocked(name string) bool {
	for _, t := range m.tunnels {
		if t.ifname == name && (t.busy != nil || t.engine != nil) {
			return true
		}
	}
	return false
}

// runningLocked reports whether t holds its routes now or is about to:
// it is activating, active or deactivating.
func runningLocked(t *managed) bool {
	return t.cfg != nil && (t.engine != nil || t.state == StateActivating)
}

// checkOverlapLocked refuses to start t when its addresses or AllowedIPs
// overlap those of a running tunnel (runningLocked): the routes would
// fight. Two full tunnels overlap on 0.0.0.0/0 or ::/0.
//
// It is called with m.mu held and returns with it held, but compares
// outside it: the lists are snapshotted, compared in one sweep each
// (overlap.go), and the lock is taken again to look for tunnels that
// started meanwhile, which get a round of their own. The caller makes t
// activating under the hold in which the last look found none, so of
// two overlapping tunnels started at once the later sees the earlier.
func (m *Manager) checkOverlapLocked(ctx context.Context, t *managed) error {
	checked := map[*managed]*config.Config{}
	for {
		var others []*managed
		for _, o := range m.tunnels {
			if o != t && runningLocked(o) && checked[o] != o.cfg {
				others = append(others, o)
			}
		}
		if len(others) == 0 {
			return nil
		}
		sort.Slice(others, func(i, j int) bool { return others[i].name < others[j].name })
		type side struct {
			t      *managed
			name   string
			cfg    *config.Config
			claims *claims
		}
		sides := make([]side, 0, len(others)+1)
		for _, o := range append([]*managed{t}, others...) {
			sides = append(sides, side{o, o.name, o.cfg, o.claims})
		}
		m.mu.Unlock()

		for i := range sides {
			if c := sides[i].claims; c == nil || c.cfg != sides[i].cfg {
				sides[i].claims = claimsOf(sides[i].cfg)
			}
		}
		if m.overlapHook != nil {
			m.overlapHook(t.name)
		}
		var err error
		for _, o := range sides[1:] {
			const show = 4
			clash, total := overlaps(sides[0].claims.prefixes, o.claims.prefixes, show)
			if total == 0 {
				continue
			}
			list := make([]string, len(clash))
			for i, c := range clash {
				list[i] = c.String()
			}
			more := ""
			if total > show {
				more = fmt.Sprintf(" and %d more", total-show)
			}
			err = fmt.Errorf("%w: %s and %s overlap on %s%s", ErrConflict, t.name, o.name, strings.Join(list, ", "), more)
			break
		}

		m.mu.Lock()
		for _, sd := range sides {
			if sd.t.cfg == sd.cfg {
				sd.t.claims = sd.claims
			}
		}
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("up %s: %w", t.name, err)
		}
		for _, sd := range sides[1:] {
			checked[sd.t] = sd.cfg
		}
	}
}
