package tunnel

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/platform"
	"github.com/wgdesk/wgdesk/platform/platformtest"
)

// fwNetwork is the platformtest fake with a firewall: a Firewaller that
// records the kill switch and Allow LAN of every Apply, and can refuse
// to turn the kill switch on, as Windows does for a second tunnel.
type fwNetwork struct {
	*platformtest.Fake
	support platform.FirewallSupport

	mu      sync.Mutex
	applied []string // "ifname ks=on lan=off" per Apply
	refuse  error    // returned by an Apply that turns the kill switch on
	on      map[string]bool
}

func newFWNetwork(support platform.FirewallSupport) *fwNetwork {
	return &fwNetwork{Fake: platformtest.New(), support: support, on: map[string]bool{}}
}

func (n *fwNetwork) Firewall() platform.FirewallSupport { return n.support }

func (n *fwNetwork) Apply(ctx context.Context, ifname string, s platform.Settings) error {
	n.mu.Lock()
	n.applied = append(n.applied, ifname+" ks="+onOff(s.KillSwitch)+" lan="+onOff(s.AllowLAN))
	if s.KillSwitch && !n.on[ifname] && n.refuse != nil {
		err := n.refuse
		n.mu.Unlock()
		return err
	}
	n.mu.Unlock()
	if err := n.Fake.Apply(ctx, ifname, s); err != nil {
		return err
	}
	n.mu.Lock()
	n.on[ifname] = s.KillSwitch
	n.mu.Unlock()
	return nil
}

func (n *fwNetwork) calls() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.applied...)
}

func (n *fwNetwork) killSwitchOn(ifname string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.on[ifname]
}

func TestParseKillSwitch(t *testing.T) {
	for in, want := range map[string]KillSwitch{"": KillSwitchAuto, "auto": KillSwitchAuto, " ON ": KillSwitchOn, "off": KillSwitchOff} {
		if got, err := ParseKillSwitch(in); err != nil || got != want {
			t.Errorf("ParseKillSwitch(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseKillSwitch("yes"); !errors.Is(err, ErrBadOptions) {
		t.Errorf("ParseKillSwitch(yes): %v, want ErrBadOptions", err)
	}
}

func TestKillSwitchFollowsTheConfig(t *testing.T) {
	full := fullTunnel(t, "10.1.0.2/32")
	split := splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")
	v6 := splitTunnel(t, "10.1.0.2/32", "::/0")
	tableOff := fullTunnel(t, "10.1.0.2/32")
	tableOff.Interface.Table = "off"
	fw := platform.FirewallSupport{KillSwitch: true}
	for _, c := range []struct {
		name   string
		cfg    *config.Config
		opts   Options
		fw     platform.FirewallSupport
		up     bool
		full   bool
		ks     bool // KillSwitch in Settings
		status KillSwitchStatus
	}{
		{"full, default", full, Options{}, fw, false, true, true, KillSwitchArmed},
		{"full, default, up", full, Options{}, fw, true, true, true, KillSwitchActive},
		{"full, on, no firewall", full, Options{KillSwitch: KillSwitchOn}, platform.FirewallSupport{}, true, true, true, KillSwitchUnavailable},
		{"full, off", full, Options{KillSwitch: KillSwitchOff}, fw, true, true, false, KillSwitchDisabled},
		{"ipv6 default route only", v6, Options{}, fw, true, true, true, KillSwitchActive},
		{"split, on", split, Options{KillSwitch: KillSwitchOn}, fw, true, false, false, KillSwitchUnused},
		{"full with table off", tableOff, Options{}, fw, true, false, false, KillSwitchUnused},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, err := c.opts.Normalized()
			if err != nil {
				t.Fatal(err)
			}
			if got := IsFullTunnel(c.cfg); got != c.full {
				t.Errorf("IsFullTunnel = %v, want %v", got, c.full)
			}
			ks, lan := firewallSettings(c.cfg, Options{KillSwitch: o.KillSwitch, AllowLAN: true})
			if ks != c.ks || lan != c.ks {
				t.Errorf("firewallSettings = %v, %v; want %v, %v (Allow LAN only with the kill switch)", ks, lan, c.ks, c.ks)
			}
			if got := KillSwitchStatusFor(c.cfg, o, c.fw, c.up && ks); got != c.status {
				t.Errorf("status %q, want %q", got, c.status)
			}
		})
	}
}

func TestStoreOptions(t *testing.T) {
	dir := t.TempDir()
	st, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.save("home", fullTunnel(t, "10.1.0.2/32")); err != nil {
		t.Fatal(err)
	}
	if o, owner, err := st.loadMeta("home"); err != nil || o != DefaultOptions() || owner != nil {
		t.Fatalf("absent options: %+v, %v, %v; want the defaults and no owner", o, owner, err)
	}
	want := Options{KillSwitch: KillSwitchOff, AllowLAN: true, Autostart: true}
	if err := st.saveMeta("home", want, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "tunnels", "home.json")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 { // Windows: the state directory's ACL
		t.Errorf("options file mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if got := string(b); got != "{\n  \"kill_switch\": \"off\",\n  \"allow_lan\": true,\n  \"autostart\": true\n}\n" {
		t.Errorf("stored options:\n%s", got)
	}
	conf, _ := os.ReadFile(filepath.Join(dir, "tunnels", "home.conf"))
	if strings.Contains(strings.ToLower(string(conf)), "kill") {
		t.Error("the options leaked into the wg-quick text")
	}
	loaded, err := st.load()
	if err != nil || len(loaded) != 1 || loaded[0].opts != want || loaded[0].optErr != nil {
		t.Fatalf("load: %+v, %v", loaded, err)
	}

	// A file written before autostart existed loads with it off.
	os.WriteFile(path, []byte(`{"kill_switch": "on", "allow_lan": true}`), 0o600)
	if o, _, err := st.loadMeta("home"); err != nil || o != (Options{KillSwitch: KillSwitchOn, AllowLAN: true}) {
		t.Errorf("options from before autostart: %+v, %v; want autostart off", o, err)
	}

	// A corrupt file gives the defaults (the kill switch on for a full
	// tunnel: the safe side) and says why.
	os.WriteFile(path, []byte(`{"kill_switch": "sometimes"}`), 0o600)
	if o, _, err := st.loadMeta("home"); !errors.Is(err, ErrBadOptions) || o != DefaultOptions() {
		t.Errorf("corrupt options: %+v, %v; want the defaults and ErrBadOptions", o, err)
	}

	if err := st.remove("home"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("options file left after remove: %v", err)
	}
}

func TestManagerSetOptions(t *testing.T) {
	l := newLab(t)
	fwn := newFWNetwork(platform.FirewallSupport{KillSwitch: true})
	l.net = fwn.Fake
	dir := t.TempDir()
	m := newTestManager(t, l, dir, func(o *ManagerOptions) { o.Deps.Network = fwn })
	events, cancel := m.Subscribe()
	defer cancel()
	ctx := context.Background()
	for name, cfg := range map[string]*config.Config{
		"home": fullTunnel(t, "10.1.0.2/32"),
		"lab":  splitTunnel(t, "10.3.0.2/32", "10.3.0.0/24"),
	} {
		if err := m.Import(name, cfg); err != nil {
			t.Fatal(err)
		}
	}

	info := mustGet(t, m, "home")
	if info.Options != DefaultOptions() || !info.FullTunnel || info.KillSwitch != KillSwitchArmed || info.KillSwitchActive() {
		t.Fatalf("new full tunnel: %+v", info)
	}
	if info := mustGet(t, m, "lab"); info.FullTunnel || info.KillSwitch != KillSwitchUnused {
		t.Fatalf("split tunnel: full %v, kill switch %q", info.FullTunnel, info.KillSwitch)
	}

	if err := m.Up(ctx, "home"); err != nil {
		t.Fatal(err)
	}
	ifname := mustGet(t, m, "home").Interface
	if info := mustGet(t, m, "home"); !info.KillSwitchActive() || !fwn.killSwitchOn(ifname) {
		t.Fatalf("up with the default: status %q, firewall on %v", info.KillSwitch, fwn.killSwitchOn(ifname))
	}

	// Off while up: applied at once, stored, announced.
	if err := m.SetOptions(ctx, "home", Options{KillSwitch: KillSwitchOff}); err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(t, events, "home", EventOptions)
	if ev.Tunnel.Options.KillSwitch != KillSwitchOff || ev.Tunnel.KillSwitch != KillSwitchDisabled {
		t.Errorf("options event: %+v", ev.Tunnel)
	}
	if fwn.killSwitchOn(ifname) {
		t.Error("the firewall stayed on after kill switch off")
	}
	if st := mustGet(t, m, "home").State; st != StateActive {
		t.Errorf("tunnel is %s after changing options, want it to stay active", st)
	}

	// On again, but the platform refuses: the old options stay stored and
	// in force.
	fwn.mu.Lock()
	fwn.refuse = errors.New("another tunnel has the kill switch")
	fwn.mu.Unlock()
	if err := m.SetOptions(ctx, "home", Options{KillSwitch: KillSwitchOn}); err == nil || !strings.Contains(err.Error(), "another tunnel") {
		t.Fatalf("refused kill switch: %v", err)
	}
	if info := mustGet(t, m, "home"); info.Options.KillSwitch != KillSwitchOff || info.KillSwitch != KillSwitchDisabled {
		t.Errorf("after a refused change: %+v", info)
	}
	fwn.mu.Lock()
	fwn.refuse = nil
	fwn.mu.Unlock()

	// Allow LAN where the platform cannot honour it is refused.
	err := m.SetOptions(ctx, "home", Options{KillSwitch: KillSwitchOn, AllowLAN: true})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "allow lan is not available") {
		t.Fatalf("allow lan without support: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "tunnels", "home.json")); err != nil {
		t.Fatalf("the options file: %v", err)
	}
	if err := m.SetOptions(ctx, "home", Options{KillSwitch: "maybe"}); !errors.Is(err, ErrBadOptions) {
		t.Errorf("bad value: %v, want ErrBadOptions", err)
	}
	if err := m.SetOptions(ctx, "nothere", Options{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown tunnel: %v", err)
	}

	if err := m.Down(ctx, "home"); err != nil {
		t.Fatal(err)
	}
	calls := strings.Join(fwn.calls(), "\n")
	want := strings.Join([]string{
		ifname + " ks=on lan=off",  // up, default options
		ifname + " ks=off lan=off", // kill switch off while up
		ifname + " ks=on lan=off",  // refused
		ifname + " ks=off lan=off", // down: the zero Settings
	}, "\n")
	if calls != want {
		t.Errorf("applied:\n%s\nwant:\n%s", calls, want)
	}

	// The options survive a restart; an inactive tunnel's change is only
	// stored.
	m.Close(ctx)
	m2 := newTestManager(t, l, dir, func(o *ManagerOptions) { o.Deps.Network = fwn })
	if info := mustGet(t, m2, "home"); info.Options.KillSwitch != KillSwitchOff {
		t.Errorf("after restart: %+v", info.Options)
	}
	if err := m2.SetOptions(ctx, "home", Options{}); err != nil {
		t.Fatal(err)
	}
	if info := mustGet(t, m2, "home"); info.Options != DefaultOptions() || info.KillSwitch != KillSwitchArmed {
		t.Errorf("back to auto: %+v", info)
	}
	if n := len(fwn.calls()); n != 4 {
		t.Errorf("an inactive tunnel's options touched the network (%d applies)", n)
	}
}

func TestManagerKillSwitchUnavailable(t *testing.T) {
	// The platformtest fake, like the Linux and macOS Networks today, is
	// no Firewaller: the service must say so instead of claiming the
	// kill switch is on.
	l := newLab(t)
	m := newTestManager(t, l, t.TempDir())
	if err := m.Import("home", fullTunnel(t, "10.1.0.2/32")); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(context.Background(), "home"); err != nil {
		t.Fatal(err)
	}
	info := mustGet(t, m, "home")
	if info.KillSwitch != KillSwitchUnavailable || info.KillSwitchActive() || info.AllowLANAvailable {
		t.Errorf("without a firewall: %+v", info)
	}
}

func TestDeleteAndImportDropOptions(t *testing.T) {
	l := newLab(t)
	dir := t.TempDir()
	m := newTestManager(t, l, dir)
	if err := m.Import("home", fullTunnel(t, "10.1.0.2/32")); err != nil {
		t.Fatal(err)
	}
	if err := m.SetOptions(context.Background(), "home", Options{KillSwitch: KillSwitchOff}); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete("home"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "tunnels", "home.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("options left after delete: %v", err)
	}
	// A stray options file (a delete cut short) is not inherited.
	os.WriteFile(filepath.Join(dir, "tunnels", "home.json"), marshalOptions(Options{KillSwitch: KillSwitchOff}), 0o600)
	if err := m.Import("home", fullTunnel(t, "10.1.0.2/32")); err != nil {
		t.Fatal(err)
	}
	if o := mustGet(t, m, "home").Options; o != DefaultOptions() {
		t.Errorf("imported tunnel inherited %+v", o)
	}
}

func TestEngineSetOptions(t *testing.T) {
	l := newLab(t)
	fwn := newFWNetwork(platform.FirewallSupport{KillSwitch: true})
	deps := l.deps()
	deps.Network = fwn
	e, err := StartEngine(context.Background(), EngineOptions{
		Name: "home", Interface: "wgd0", Config: fullTunnel(t, "10.1.0.2/32"), Deps: deps,
		Options: Options{KillSwitch: KillSwitchOff},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if e.KillSwitchEnforced() {
		t.Error("kill switch enforced although off")
	}
	// Options that do not change the firewall settings apply nothing.
	if err := e.SetOptions(ctx, Options{KillSwitch: KillSwitchOff, AllowLAN: true}); err != nil {
		t.Fatal(err)
	}
	if n := len(fwn.calls()); n != 1 {
		t.Errorf("%d applies, want only the start's", n)
	}
	if err := e.SetOptions(ctx, Options{KillSwitch: KillSwitchAuto, AllowLAN: true}); err != nil {
		t.Fatal(err)
	}
	if s := e.Settings(); !s.KillSwitch || !s.AllowLAN || len(s.Routes) != 1 || s.FwMark != DefaultFwMark {
		t.Errorf("settings after kill switch on: %+v", s)
	}
	if !e.KillSwitchEnforced() {
		t.Error("kill switch not enforced after on")
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if e.KillSwitchEnforced() {
		t.Error("kill switch reported after close")
	}
	if err := e.SetOptions(ctx, Options{}); err == nil {
		t.Error("SetOptions on a closed engine succeeded")
	}
	want := "wgd0 ks=off lan=off\nwgd0 ks=on lan=on\nwgd0 ks=off lan=off"
	if got := strings.Join(fwn.calls(), "\n"); got != want {
		t.Errorf("applied:\n%s\nwant:\n%s", got, want)
	}
}
