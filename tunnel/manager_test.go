package tunnel

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/tun"

	"github.com/wgdesk/wgdesk/config"
)

func newTestManager(t *testing.T, l *lab, dir string, mutate ...func(*ManagerOptions)) *Manager {
	t.Helper()
	opts := ManagerOptions{
		StateDir:      dir,
		Deps:          l.deps(),
		Logger:        Logger{Errorf: t.Logf},
		StatsInterval: 20 * time.Millisecond,
	}
	for _, f := range mutate {
		f(&opts)
	}
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	return m
}

// nextEvent waits for the next event for tunnel name of one of the kinds.
func nextEvent(t *testing.T, ch <-chan Event, name string, kinds ...EventKind) Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("event channel closed")
			}
			if ev.Tunnel.Name != name {
				continue
			}
			for _, k := range kinds {
				if ev.Kind == k {
					return ev
				}
			}
		case <-timeout:
			t.Fatalf("no %v event for %s", kinds, name)
		}
	}
}

func wantStates(t *testing.T, ch <-chan Event, name string, states ...State) {
	t.Helper()
	for _, s := range states {
		ev := nextEvent(t, ch, name, EventState)
		if ev.Tunnel.State != s {
			t.Fatalf("%s went to %s (%s), want %s", name, ev.Tunnel.State, ev.Tunnel.Error, s)
		}
	}
}

func mustGet(t *testing.T, m *Manager, name string) TunnelInfo {
	t.Helper()
	info, err := m.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func TestManagerLifecycle(t *testing.T) {
	l := newLab(t)
	m := newTestManager(t, l, t.TempDir())
	events, cancel := m.Subscribe()
	defer cancel()

	ck := mustKey(t)
	r := l.newRouter(ck)
	cfg := clientConfig(ck, r)
	psk := mustKey(t)
	cfg.Peers[0].PresharedKey = psk
	r.setPSK(t, ck.PublicKey(), psk)
	if err := m.Import("home", cfg); err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(t, events, "home", EventAdded)
	if ev.Tunnel.Config.Interface.PrivateKey != (config.Key{}) {
		t.Error("EventAdded carries the private key")
	}

	list := m.List()
	if len(list) != 1 || list[0].Name != "home" || list[0].State != StateInactive {
		t.Fatalf("list %+v", list)
	}
	if red := list[0].Config; red.Interface.PrivateKey != (config.Key{}) || red.Peers[0].PresharedKey != (config.Key{}) {
		t.Error("List shows keys")
	}
	if red := list[0].Config; red.Peers[0].PublicKey != r.key.PublicKey() {
		t.Error("redacted config lost the public key")
	}
	full, err := m.Config("home")
	if err != nil || full.Interface.PrivateKey != ck || full.Peers[0].PresharedKey != cfg.Peers[0].PresharedKey {
		t.Fatalf("Config: %v, keys missing", err)
	}

	if err := m.Up(context.Background(), "home"); err != nil {
		t.Fatal(err)
	}
	wantStates(t, events, "home", StateActivating, StateActive)
	info := mustGet(t, m, "home")
	if info.State != StateActive || info.Interface != "home" {
		t.Fatalf("after Up: state %s interface %q", info.State, info.Interface)
	}
	if err := m.Up(context.Background(), "home"); err != nil {
		t.Fatalf("Up of an active tunnel: %v", err)
	}
	if l.createdTUNs() != 1 {
		t.Fatalf("%d TUNs created, want 1", l.createdTUNs())
	}

	client := l.tun("home").ch
	sendPacket(t, client, r.tun, clientIP, routerIP)
	sendPacket(t, r.tun, client, routerIP, clientIP)
	for {
		ev := nextEvent(t, events, "home", EventStats)
		if len(ev.Tunnel.Peers) == 1 && !ev.Tunnel.Peers[0].LastHandshake.IsZero() && ev.Tunnel.Peers[0].RxBytes > 0 {
			break
		}
	}
	if info := mustGet(t, m, "home"); len(info.Peers) != 1 || info.Peers[0].TxBytes == 0 {
		t.Errorf("Get shows figures %+v", info.Peers)
	}

	if err := m.Down(context.Background(), "home"); err != nil {
		t.Fatal(err)
	}
	wantStates(t, events, "home", StateDeactivating, StateInactive)
	wantState(t, l.net, "")
	if !l.tun("home").isClosed() {
		t.Error("TUN open after Down")
	}
	if info := mustGet(t, m, "home"); info.State != StateInactive || info.Interface != "" || len(info.Peers) != 0 {
		t.Errorf("after Down: %+v", info)
	}
	if err := m.Down(context.Background(), "home"); err != nil {
		t.Errorf("Down of an inactive tunnel: %v", err)
	}
}

func TestManagerUpFailureAndRetry(t *testing.T) {
	l := newLab(t)
	m := newTestManager(t, l, t.TempDir())
	events, cancel := m.Subscribe()
	defer cancel()
	ck := mustKey(t)
	r := l.newRouter(ck)
	if err := m.Import("office", clientConfig(ck, r)); err != nil {
		t.Fatal(err)
	}
	l.net.FailOn("routes")
	err := m.Up(context.Background(), "office")
	var se *StepError
	if !errors.As(err, &se) || se.Step != StepNetwork {
		t.Fatalf("Up: %v, want a StepError at %s", err, StepNetwork)
	}
	wantStates(t, events, "office", StateActivating, StateFailed)
	info := mustGet(t, m, "office")
	if info.State != StateFailed || !containsAll(info.Error, "addresses-routes-dns", "routes") {
		t.Errorf("after failure: state %s error %q", info.State, info.Error)
	}
	if !l.tun("office").isClosed() {
		t.Error("TUN open after a failed Up")
	}
	wantState(t, l.net, "")

	l.net.FailOn("")
	l.newRouter(ck)
	if err := m.Up(context.Background(), "office"); err != nil {
		t.Fatalf("retry: %v", err)
	}
	wantStates(t, events, "office", StateActivating, StateActive)
	if info := mustGet(t, m, "office"); info.Error != "" {
		t.Errorf("error %q kept after a good start", info.Error)
	}
}

func fullTunnel(t *testing.T, addr string) *config.Config {
	return &config.Config{
		Interface: config.Interface{PrivateKey: mustKey(t), Addresses: []netip.Prefix{netip.MustParsePrefix(addr)}},
		Peers: []config.Peer{{
			PublicKey:  mustKey(t).PublicKey(),
			AllowedIPs: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")},
			Endpoint:   routerEndpoint,
		}},
	}
}

func splitTunnel(t *testing.T, addr, allowed string) *config.Config {
	cfg := fullTunnel(t, addr)
	cfg.Peers[0].AllowedIPs = []netip.Prefix{netip.MustParsePrefix(allowed)}
	return cfg
}

func TestManagerRefusesOverlap(t *testing.T) {
	l := newLab(t)
	m := newTestManager(t, l, t.TempDir())
	for name, cfg := range map[string]*config.Config{
		"home":    fullTunnel(t, "10.1.0.2/32"),
		"office":  fullTunnel(t, "10.2.0.2/32"),
		"lab":     splitTunnel(t, "10.3.0.2/32", "10.3.0.0/24"),
		"lab2":    splitTunnel(t, "10.4.0.2/32", "10.3.0.128/25"),
		"storage": splitTunnel(t, "10.5.0.2/32", "10.5.0.0/24"),
	} {
		if err := m.Import(name, cfg); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	if err := m.Up(ctx, "home"); err != nil {
		t.Fatal(err)
	}
	err := m.Up(ctx, "office")
	if !errors.Is(err, ErrConflict) || !containsAll(err.Error(), "office", "home", "0.0.0.0/0") {
		t.Fatalf("second full tunnel: %v, want ErrConflict naming both and 0.0.0.0/0", err)
	}
	if info := mustGet(t, m, "office"); info.State != StateInactive {
		t.Errorf("refused tunnel is %s", info.State)
	}
	if err := m.Down(ctx, "home"); err != nil {
		t.Fatal(err)
	}

	if err := m.Up(ctx, "lab"); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(ctx, "storage"); err != nil {
		t.Fatalf("disjoint split tunnels: %v", err)
	}
	err = m.Up(ctx, "lab2")
	if !errors.Is(err, ErrConflict) || !containsAll(err.Error(), "lab2", "lab ", "10.3.0.128/25", "10.3.0.0/24") {
		t.Fatalf("overlapping split tunnel: %v", err)
	}
	if got := mustGet(t, m, "lab").Interface; got == mustGet(t, m, "storage").Interface {
		t.Errorf("two tunnels share interface %s", got)
	}
}

func TestManagerDelete(t *testing.T) {
	l := newLab(t)
	dir := t.TempDir()
	m := newTestManager(t, l, dir)
	events, cancel := m.Subscribe()
	defer cancel()
	if err := m.Import("home", splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(context.Background(), "home"); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete("home"); !errors.Is(err, ErrActive) {
		t.Fatalf("Delete of an active tunnel: %v, want ErrActive", err)
	}
	if err := m.Down(context.Background(), "home"); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete("home"); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, events, "home", EventRemoved)
	if _, err := os.Stat(filepath.Join(dir, "tunnels", "home.conf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("file still there: %v", err)
	}
	if _, err := m.Get("home"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}
}

func TestManagerNamesAndErrors(t *testing.T) {
	l := newLab(t)
	m := newTestManager(t, l, t.TempDir())
	cfg := splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")
	for _, bad := range []string{"", ".", "..", "a/b", "../etc", "with space", "ünïcode", strings.Repeat("x", 33), "a\x00b"} {
		if err := m.Import(bad, cfg); !errors.Is(err, ErrBadName) {
			t.Errorf("Import(%q): %v, want ErrBadName", bad, err)
		}
	}
	for _, good := range []string{"home-office.1", "a=b+c_d", strings.Repeat("x", 32), "..."} {
		if err := m.Import(good, cfg); err != nil {
			t.Errorf("Import(%q): %v", good, err)
		}
	}
	if err := m.Import("a=b+c_d", cfg); !errors.Is(err, ErrExists) {
		t.Errorf("second import: %v, want ErrExists", err)
	}
	// Names differing only in case would be one file on macOS and Windows.
	err := m.Import("HOME-Office.1", cfg)
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "home-office.1") {
		t.Errorf("import differing only in case: %v, want ErrExists naming home-office.1", err)
	}
	if _, err := m.Get("HOME-Office.1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the refused import was stored: %v", err)
	}
	ctx := context.Background()
	for what, err := range map[string]error{
		"Up":     m.Up(ctx, "nope"),
		"Down":   m.Down(ctx, "nope"),
		"Delete": m.Delete("nope"),
		"Get":    func() error { _, err := m.Get("nope"); return err }(),
		"Config": func() error { _, err := m.Config("nope"); return err }(),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s of a missing tunnel: %v, want ErrNotFound", what, err)
		}
	}
}

func TestStoreFilesAndRestart(t *testing.T) {
	l := newLab(t)
	dir := filepath.Join(t.TempDir(), "state")
	m := newTestManager(t, l, dir)
	cfgs := map[string]*config.Config{
		"home":   splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24"),
		"office": fullTunnel(t, "10.2.0.2/32"),
	}
	for name, cfg := range cfgs {
		if err := m.Import(name, cfg); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, "tunnels"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "home.conf home.json office.conf office.json" {
		t.Errorf("store holds %q, want only the two configs and their owners (no temp files)", names)
	}
	data, err := os.ReadFile(filepath.Join(dir, "tunnels", "home.conf"))
	if err != nil || string(data) != string(cfgs["home"].Marshal()) {
		t.Errorf("home.conf is not config.Marshal output (%v)", err)
	}

	// A corrupt file and a stray temp file appear while the service is down.
	if err := os.WriteFile(filepath.Join(dir, "tunnels", "broken.conf"), []byte("<html>not a config</html>"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tunnels", ".home.conf.123.tmp"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	m.Close(context.Background())

	var logged []string
	var logMu sync.Mutex
	m2 := newTestManager(t, l, dir, func(o *ManagerOptions) {
		o.Logger.Errorf = func(f string, args ...any) {
			logMu.Lock()
			defer logMu.Unlock()
			logged = append(logged, f)
		}
	})
	list := m2.List()
	if len(list) != 3 || list[0].Name != "broken" || list[1].Name != "home" || list[2].Name != "office" {
		t.Fatalf("after restart: %+v", list)
	}
	if list[0].State != StateFailed || !strings.Contains(list[0].Error, "broken.conf") {
		t.Errorf("corrupt file listed as %s %q, want failed with the reason", list[0].State, list[0].Error)
	}
	if len(logged) == 0 {
		t.Error("corrupt file not logged")
	}
	for _, info := range list[1:] {
		if info.State != StateInactive {
			t.Errorf("%s is %s after restart", info.Name, info.State)
		}
		got, err := m2.Config(info.Name)
		if err != nil || string(got.Marshal()) != string(cfgs[info.Name].Marshal()) {
			t.Errorf("%s did not survive the restart: %v", info.Name, err)
		}
	}
	if err := m2.Up(context.Background(), "broken"); err == nil {
		t.Error("Up of a corrupt tunnel succeeded")
	}
	if err := m2.Delete("broken"); err != nil {
		t.Errorf("Delete of a corrupt tunnel: %v", err)
	}
}

// The store keeps its directories and files to the service's user by
// their Unix modes. Windows has no mode bits (Go reports rwx or rw- for
// all there): the service's state directory gets a DACL for SYSTEM and the
// Administrators that its contents inherit (cli's prepareStateDir, tested
// on Windows by TestPrepareStateDirRestrictsAccess).
func TestStoreFileModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix file modes; on Windows the state directory's DACL protects the store: cli's TestPrepareStateDirRestrictsAccess")
	}
	l := newLab(t)
	dir := filepath.Join(t.TempDir(), "state")
	m := newTestManager(t, l, dir)
	if err := m.Import("home", splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, filepath.Join(dir, "tunnels")} {
		st, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, want 0700", d, st.Mode().Perm())
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, "tunnels"))
	if err != nil || len(entries) == 0 {
		t.Fatalf("the store holds %d files (%v)", len(entries), err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", e.Name(), info.Mode().Perm())
		}
	}
}

func TestManagerScripts(t *testing.T) {
	cfgWithScripts := func(t *testing.T) *config.Config {
		cfg := splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")
		cfg.Interface.PostUp = []string{"logger up %i"}
		return cfg
	}
	t.Run("refused by default", func(t *testing.T) {
		l := newLab(t)
		m := newTestManager(t, l, t.TempDir())
		if err := m.Import("s", cfgWithScripts(t)); err != nil {
			t.Fatal(err)
		}
		err := m.Up(context.Background(), "s")
		if !errors.Is(err, ErrScriptsOff) || !strings.Contains(err.Error(), "--allow-scripts") {
			t.Fatalf("Up: %v, want ErrScriptsOff with the hint", err)
		}
		if info := mustGet(t, m, "s"); info.State != StateFailed || !strings.Contains(info.Error, "--allow-scripts") {
			t.Errorf("state %s %q", info.State, info.Error)
		}
		if l.createdTUNs() != 0 || len(l.ranScripts()) != 0 {
			t.Error("something ran although scripts are off")
		}
	})
	t.Run("allowed", func(t *testing.T) {
		l := newLab(t)
		m := newTestManager(t, l, t.TempDir(), func(o *ManagerOptions) { o.AllowScripts = true })
		if err := m.Import("s", cfgWithScripts(t)); err != nil {
			t.Fatal(err)
		}
		if err := m.Up(context.Background(), "s"); err != nil {
			t.Fatal(err)
		}
		if got := l.ranScripts(); len(got) != 1 || got[0] != "logger up s" {
			t.Errorf("scripts ran %q", got)
		}
	})
}

func TestManagerCloseDeactivatesAll(t *testing.T) {
	l := newLab(t)
	m := newTestManager(t, l, t.TempDir())
	events, _ := m.Subscribe()
	ctx := context.Background()
	for name, cfg := range map[string]*config.Config{
		"a": splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24"),
		"b": splitTunnel(t, "10.2.0.2/32", "10.2.0.0/24"),
	} {
		if err := m.Import(name, cfg); err != nil {
			t.Fatal(err)
		}
		if err := m.Up(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	if l.net.State() == "" {
		t.Fatal("nothing applied")
	}
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	wantState(t, l.net, "")
	for _, n := range []string{"a", "b"} {
		if !l.tun(n).isClosed() {
			t.Errorf("TUN of %s open after Close", n)
		}
		if info := mustGet(t, m, n); info.State != StateInactive {
			t.Errorf("%s is %s after Close", n, info.State)
		}
	}
	for range events {
		// drains, then ends: Close closes subscriber channels
	}
	if err := m.Up(ctx, "a"); err == nil {
		t.Error("Up after Close succeeded")
	}
}

func TestManagerConcurrentCalls(t *testing.T) {
	l := newLab(t)
	m := newTestManager(t, l, t.TempDir())
	if err := m.Import("home", splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- m.Up(ctx, "home")
			m.List()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Up: %v", err)
		}
	}
	if n := l.createdTUNs(); n != 1 {
		t.Errorf("%d TUNs created by concurrent Ups, want 1", n)
	}

	// Down and Up racing end in a consistent state with nothing leaked.
	var wg2 sync.WaitGroup
	for i := range 10 {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			if i%2 == 0 {
				m.Down(ctx, "home")
			} else {
				m.Up(ctx, "home")
			}
		}()
	}
	wg2.Wait()
	if err := m.Down(ctx, "home"); err != nil {
		t.Fatal(err)
	}
	wantState(t, l.net, "")
}

func TestSlowSubscriberDoesNotBlock(t *testing.T) {
	l := newLab(t)
	m := newTestManager(t, l, t.TempDir())
	stuck, cancel := m.Subscribe() // never read
	defer cancel()
	if err := m.Import("home", splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cycles := subscriberBuffer // 4 events each: far more than the buffer
	for range cycles {
		if err := m.Up(ctx, "home"); err != nil {
			t.Fatal(err)
		}
		if err := m.Down(ctx, "home"); err != nil {
			t.Fatal(err)
		}
	}
	if len(stuck) != subscriberBuffer {
		t.Errorf("stuck subscriber holds %d events, want a full buffer of %d", len(stuck), subscriberBuffer)
	}
}

func TestManagerImportValidates(t *testing.T) {
	l := newLab(t)
	m := newTestManager(t, l, t.TempDir())
	cfg := splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")
	cfg.Interface.PrivateKey = config.Key{}
	if err := m.Import("nokey", cfg); err == nil {
		t.Fatal("Import of a config without a private key succeeded")
	}
	if len(m.List()) != 0 {
		t.Error("invalid config was stored")
	}
}

// A call that waits for another one on the same tunnel gives up when its
// context ends, and leaves the busy call to finish on its own.
func TestManagerWaitHonoursContext(t *testing.T) {
	l := newLab(t)
	entered, release := make(chan struct{}), make(chan struct{})
	m := newTestManager(t, l, t.TempDir(), func(o *ManagerOptions) {
		create := o.Deps.CreateTUN
		o.Deps.CreateTUN = func(name string, mtu int) (tun.Device, error) {
			close(entered)
			<-release
			return create(name, mtu)
		}
	})
	if err := m.Import("home", splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")); err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() { first <- m.Up(context.Background(), "home") }()
	<-entered // the first Up is inside the engine: the tunnel is busy

	for _, call := range []struct {
		op string
		f  func(context.Context, string) error
	}{{"up", m.Up}, {"down", m.Down}} {
		ctx, cancel := context.WithCancel(context.Background())
		waited := make(chan error, 1)
		go func() { waited <- call.f(ctx, "home") }()
		cancel()
		err := <-waited
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s while busy, context cancelled: got %v, want context.Canceled", call.op, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), call.op+" home: ") {
			t.Errorf("%s error %q does not name the operation and tunnel", call.op, err)
		}
	}
	if got := mustGet(t, m, "home").State; got != StateActivating {
		t.Errorf("state while the first Up runs: %v, want activating", got)
	}

	close(release)
	if err := <-first; err != nil {
		t.Fatalf("the busy Up: %v", err)
	}
	if err := m.Down(context.Background(), "home"); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("up of an unknown tunnel: %v, want ErrNotFound", err)
	}
}

// Switching a tunnel on and off many times, as a laptop does all day,
// leaves no goroutines and no growing heap behind: every engine's device,
// stats watcher and subscriber goroutine ends with its Down.
func TestManagerUpDownCyclesLeakNothing(t *testing.T) {
	l := newLab(t)
	m := newTestManager(t, l, t.TempDir())
	if err := m.Import("home", splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cycle := func(n int) {
		for range n {
			if err := m.Up(ctx, "home"); err != nil {
				t.Fatal(err)
			}
			if err := m.Down(ctx, "home"); err != nil {
				t.Fatal(err)
			}
		}
	}
	// settled waits (bounded) until no more than want goroutines run: a
	// closed device's goroutines end shortly after Close returns.
	settled := func(want int) int {
		n := runtime.NumGoroutine()
		for deadline := time.Now().Add(5 * time.Second); n > want && time.Now().Before(deadline); n = runtime.NumGoroutine() {
			time.Sleep(10 * time.Millisecond)
		}
		return n
	}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}

	cycle(3) // warm up pools and lazily made state
	// The count once the warm-up's goroutines have ended: unchanged over
	// a few samples.
	base := runtime.NumGoroutine()
	for same, deadline := 0, time.Now().Add(5*time.Second); same < 5 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		if n := runtime.NumGoroutine(); n == base {
			same++
		} else {
			base, same = n, 0
		}
	}
	baseHeap := heap()
	cycle(30)
	if n := settled(base); n > base {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines after 30 more up/down cycles, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
	// A leak of one device per cycle would be megabytes (its queues and
	// buffers); allow the noise of the runtime and the test's logs.
	if grown := int64(heap()) - int64(baseHeap); grown > 2<<20 {
		t.Errorf("heap grew by %d KiB over 30 up/down cycles", grown>>10)
	}
	wantState(t, l.net, "")
}

// With nobody subscribed the stats watchers sleep; List and Get read the
// figures afresh, and the first subscriber wakes the watchers up.
func TestManagerStatsWithoutSubscribers(t *testing.T) {
	l := newLab(t)
	m := newTestManager(t, l, t.TempDir())
	ck := mustKey(t)
	r := l.newRouter(ck)
	if err := m.Import("home", clientConfig(ck, r)); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(context.Background(), "home"); err != nil {
		t.Fatal(err)
	}
	client := l.tun("home").ch
	sendPacket(t, client, r.tun, clientIP, routerIP)
	sendPacket(t, r.tun, client, routerIP, clientIP)

	list := m.List()
	if len(list) != 1 || len(list[0].Peers) != 1 || list[0].Peers[0].RxBytes == 0 || list[0].Peers[0].LastHandshake.IsZero() {
		t.Fatalf("List without subscribers shows figures %+v, want the handshake and traffic", list)
	}
	events, cancel := m.Subscribe()
	defer cancel()
	if ev := nextEvent(t, events, "home", EventStats); len(ev.Tunnel.Peers) != 1 || ev.Tunnel.Peers[0].RxBytes == 0 {
		t.Errorf("first stats event after subscribing: %+v", ev.Tunnel.Peers)
	}
	cancel()
	// Subscribing again after the last one left wakes the watcher again.
	events2, cancel2 := m.Subscribe()
	defer cancel2()
	nextEvent(t, events2, "home", EventStats)
}
