package tunnel

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/platform"
)

// Step names one stage of bringing a tunnel up. A StepError says which one
// failed, so that the GUI can map it to a human sentence in one place.
type Step string

const (
	StepScripts   Step = "scripts"              // scripts refused by policy
	StepResolve   Step = "resolve"              // endpoint host names
	StepPreUp     Step = "pre-up"               // PreUp commands
	StepCreateTUN Step = "create-tun"           // the TUN interface
	StepSetConfig Step = "set-config"           // keys, peers via UAPI
	StepNetwork   Step = "addresses-routes-dns" // platform.Network.Apply
	StepUp        Step = "up"                   // device up (sockets open)
	StepPostUp    Step = "post-up"              // PostUp commands
)

// StepError is the error of a failed up sequence: the step and its cause.
// The teardown has already run when it is returned.
type StepError struct {
	Step Step
	Err  error
}

func (e *StepError) Error() string { return string(e.Step) + ": " + e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }

// DefaultFwMark is the firewall mark (and routing table) a full tunnel uses
// when its config sets none, as wg-quick does.
const DefaultFwMark = 51820

// defaultTUNMTU is the MTU the TUN is created with; the platform sets the
// final MTU on the link (Settings.MTU, automatic when zero).
const defaultTUNMTU = 1420

// Logger receives a component's messages (platform.Logger: either field
// may be nil). Nothing passed to it contains key material.
type Logger = platform.Logger

// Deps are the engine's side effects. Tests swap them for in-process doubles
// (tuntest, bindtest, a fake Network) so the production sequence runs
// without root. Zero fields get the real implementation, except Network,
// which the caller must always provide.
type Deps struct {
	// CreateTUN makes the tunnel interface (default createTUN of
	// tun_*.go: wireguard-go's tun.CreateTUN, which keeps its Linux
	// offloads; on Windows after checking wintun.dll, with the tunnel's
	// stable adapter GUID).
	CreateTUN func(name string, mtu int) (tun.Device, error)
	// NewBind makes the UDP sockets (default conn.NewDefaultBind).
	NewBind func() conn.Bind
	// Network applies addresses, routes, DNS and MTU.
	Network platform.Network
	// Resolve looks up an endpoint host name (default: the system resolver).
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	// RunScript runs one PreUp/PostUp/PreDown/PostDown command, already
	// with %i replaced (default: sh -c).
	RunScript func(ctx context.Context, command string) error
	// InterfaceExists reports whether the OS has an interface of that name
	// (default: net.InterfaceByName); used to pick a free name.
	InterfaceExists func(name string) bool

	// newSettleTimer makes the burst timer of the re-apply loop
	// (rewatch.go); tests fire their own.
	newSettleTimer func() settleTimer
	// watchLinks and watchResume call changed on each change of the
	// network and each resume from sleep until ctx ends, for the
	// endpoint names' loop (ddns.go); nil: not watched. Defaults per OS
	// (ddns_linux.go); tests pass their own.
	watchLinks, watchResume func(ctx context.Context, changed func()) error
}

func (d Deps) withDefaults() Deps {
	if d.NewBind == nil {
		d.NewBind = conn.NewDefaultBind
	}
	if d.Resolve == nil {
		d.Resolve = resolveSystem
	}
	if d.RunScript == nil {
		d.RunScript = runShell
	}
	if d.InterfaceExists == nil {
		d.InterfaceExists = func(name string) bool {
			_, err := net.InterfaceByName(name)
			return err == nil
		}
	}
	if d.watchLinks == nil {
		d.watchLinks = watchLinksOS
	}
	if d.watchResume == nil {
		d.watchResume = watchResumeOS
	}
	if d.newSettleTimer == nil {
		d.newSettleTimer = func() settleTimer { return newRealSettleTimer(rewatchSettle) }
	}
	return d
}

func resolveSystem(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

func runShell(ctx context.Context, command string) error {
	out, err := exec.CommandContext(ctx, "sh", "-c", command).CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if len(msg) > 200 {
			msg = msg[:200] + "..."
		}
		if msg != "" {
			return fmt.Errorf("%w: %s", err, msg)
		}
		return err
	}
	return nil
}

// EngineOptions describe one tunnel to start.
type EngineOptions struct {
	Name      string         // tunnel name, for messages
	Interface string         // interface name to ask CreateTUN for
	Config    *config.Config // full config, keys included
	// AllowScripts permits PreUp/PostUp/PreDown/PostDown commands.
	AllowScripts bool
	// Options are the tunnel's stored options (kill switch, Allow LAN);
	// the zero value is the default.
	Options Options
	Deps    Deps
	Logger  Logger
	// Reresolve is how old a peer's latest handshake may grow before
	// its endpoint's host name is looked up again (default 135s; see
	// ddns.go).
	Reresolve time.Duration
}

// Engine is one running tunnel: a wireguard-go device on a TUN interface
// with its network settings applied. Start brings it up in one linear
// sequence; Close and a failed Start share one teardown.
type Engine struct {
	name    string
	cfg     *config.Config
	deps    Deps
	log     Logger
	scripts bool

	// applyMu serialises the Network.Apply calls made after start (the
	// re-apply loop, SetOptions, the teardown's removal), so that an
	// older Settings value never lands after a newer one.
	applyMu sync.Mutex

	mu       sync.Mutex
	opts     Options
	tun      tun.Device
	dev      *device.Device
	ifname   string
	applied  bool // Network.Apply was attempted: undo it
	settings platform.Settings
	closed   bool
	// stopRewatch ends the re-apply loop and waits for it (nil when the
	// Network does not watch); see rewatch.go.
	stopRewatch func()

	// reresolve, endpoints (each peer's current address, zero: none),
	// ddnsKick and stopDDNS belong to the endpoint names' loop, ddns.go;
	// ddnsKick and stopDDNS are nil without it.
	reresolve time.Duration
	endpoints []netip.AddrPort
	ddnsKick  chan string
	stopDDNS  func()
}

// scriptsHint is added to ErrScriptsOff: how an administrator enables
// scripts.
const scriptsHint = "an administrator can allow them by starting the service with --allow-scripts"

// CheckScripts returns an error wrapping ErrScriptsOff when cfg has
// PreUp/PostUp/PreDown/PostDown commands and scripts are not allowed.
func CheckScripts(cfg *config.Config, allowed bool) error {
	in := cfg.Interface
	if allowed || len(in.PreUp)+len(in.PostUp)+len(in.PreDown)+len(in.PostDown) == 0 {
		return nil
	}
	return fmt.Errorf("%w (the config has PreUp/PostUp/PreDown/PostDown commands; %s)", ErrScriptsOff, scriptsHint)
}

// StartEngine brings a tunnel up: resolve endpoints, PreUp, create the TUN,
// start the device, set its config over UAPI, apply addresses, routes, DNS
// and MTU, bring the device up, PostUp. When the Network is a
// platform.Watcher, it then applies the settings again after each change of
// the network, until Close (see rewatch.go). On failure it tears down whatever
// was done, in reverse order, and returns a *StepError.
func StartEngine(ctx context.Context, opts EngineOptions) (*Engine, error) {
	if opts.Deps.Network == nil {
		return nil, errors.New("start engine: no platform network")
	}
	e := &Engine{
		name:    opts.Name,
		cfg:     opts.Config,
		deps:    opts.Deps.withDefaults(),
		log:     opts.Logger,
		scripts: opts.AllowScripts,
		opts:    opts.Options,

		reresolve: opts.Reresolve,
	}
	if e.reresolve <= 0 {
		e.reresolve = DefaultReresolve
	}
	if err := e.up(ctx, opts.Interface); err != nil {
		// The teardown must run even when ctx was what failed us.
		if terr := e.teardown(context.WithoutCancel(ctx), false); terr != nil {
			e.log.Error("teardown after failed start: %v", terr)
		}
		return nil, err
	}
	e.startRewatch()
	e.startDDNS()
	return e, nil
}

func (e *Engine) up(ctx context.Context, ifname string) error {
	fail := func(step Step, err error) error { return &StepError{Step: step, Err: err} }
	cfg := e.cfg

	if err := CheckScripts(cfg, e.scripts); err != nil {
		return fail(StepScripts, err)
	}

	endpoints, err := e.resolveEndpoints(ctx)
	if err != nil {
		return fail(StepResolve, err)
	}
	e.mu.Lock()
	e.endpoints = endpoints
	e.mu.Unlock()
	testPauseAfter(ctx, StepResolve)

	// The name is known only after CreateTUN on macOS (utunN), so PreUp sees
	// the requested name, as with wg-quick on macOS.
	if err := e.runScripts(ctx, cfg.Interface.PreUp, ifname); err != nil {
		return fail(StepPreUp, err)
	}
	testPauseAfter(ctx, StepPreUp)

	mtu := defaultTUNMTU
	if cfg.Interface.MTU != 0 {
		mtu = int(cfg.Interface.MTU)
	}
	create := e.deps.CreateTUN
	if create == nil {
		create = func(ifname string, mtu int) (tun.Device, error) { return createTUN(e.name, ifname, mtu) }
	}
	t, err := create(ifname, mtu)
	if err != nil {
		return fail(StepCreateTUN, fmt.Errorf("create %s: %w", ifname, err))
	}
	e.mu.Lock()
	e.tun = t
	e.mu.Unlock()
	if real, err := t.Name(); err == nil && real != "" {
		ifname = real
	}
	bindAdapter(e.deps.Network, t, ifname)
	dlog := e.log.Prefixed("device: ")
	dev := device.NewDevice(t, e.deps.NewBind(), &device.Logger{
		Verbosef: orDiscard(dlog.Verbosef),
		Errorf:   orDiscard(dlog.Errorf),
	})
	e.mu.Lock()
	e.dev = dev
	e.ifname = ifname
	e.mu.Unlock()
	testPauseAfter(ctx, StepCreateTUN)

	fwmark := needFwMark(cfg)
	if err := dev.IpcSet(uapiConfig(cfg, endpoints, fwmark)); err != nil {
		// The device is up already when the TUN said so first: then
		// IpcSet opens the port itself.
		if port := cfg.Interface.ListenPort; port != 0 && isAddrInUse(err) {
			return fail(StepSetConfig, &PortInUseError{Port: port})
		}
		// IpcSet errors name the failing key, never its value.
		return fail(StepSetConfig, fmt.Errorf("configure %s: %w", ifname, err))
	}
	testPauseAfter(ctx, StepSetConfig)

	s := settingsFor(cfg, endpoints, fwmark)
	s.KillSwitch, s.AllowLAN = firewallSettings(cfg, e.opts)
	e.mu.Lock()
	e.applied = true
	e.settings = s
	e.mu.Unlock()
	if err := e.deps.Network.Apply(ctx, ifname, s); err != nil {
		return fail(StepNetwork, fmt.Errorf("configure %s: %w", ifname, err))
	}
	testPauseAfter(ctx, StepNetwork)

	if err := dev.Up(); err != nil {
		if port := cfg.Interface.ListenPort; port != 0 && isAddrInUse(err) {
			return fail(StepUp, &PortInUseError{Port: port})
		}
		return fail(StepUp, fmt.Errorf("bring %s up: %w", ifname, err))
	}
	if err := checkListenPort(dev, cfg.Interface.ListenPort); err != nil {
		return fail(StepUp, err)
	}
	testPauseAfter(ctx, StepUp)

	if err := e.runScripts(ctx, cfg.Interface.PostUp, ifname); err != nil {
		return fail(StepPostUp, err)
	}
	testPauseAfter(ctx, StepPostUp)
	e.log.Verbose("tunnel %s is up on %s", e.name, ifname)
	return nil
}

// PortInUseError is the failure of a tunnel whose ListenPort another
// program holds.
type PortInUseError struct{ Port uint16 }

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("UDP port %d is in use by another program; choose another ListenPort or remove it", e.Port)
}

// isAddrInUse reports whether err says a socket's address is taken:
// EADDRINUSE on Unix, WSAEADDRINUSE (10048) on Windows, where Go's
// syscall.EADDRINUSE is a made-up number no socket returns.
func isAddrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, syscall.Errno(10048))
}

// checkListenPort makes sure the device listens on the config's
// ListenPort (0: any). wireguard-go may have opened a random one instead:
// when the TUN reports itself up before the device is brought up, the
// device tries the port on its own, logs the failure, forgets the port and
// opens a random one on the next start, which then succeeds. A peer that
// expects the port would never reach the tunnel.
func checkListenPort(dev *device.Device, want uint16) error {
	if want == 0 {
		return nil
	}
	// The text holds the private key: only the listen_port line is read,
	// and nothing of it goes anywhere.
	text, err := dev.IpcGet()
	if err != nil {
		return fmt.Errorf("read the listen port: %w", err)
	}
	got, err := listenPortOf(text)
	if err != nil {
		return err
	}
	if got != want {
		return &PortInUseError{Port: want}
	}
	return nil
}

// listenPortOf returns the listen_port of a UAPI get text (0 when the
// device has no socket open), reading nothing past the interface lines.
func listenPortOf(text string) (uint16, error) {
	for line := range strings.Lines(text) {
		key, value, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
		switch key {
		case "public_key": // the peers begin
			return 0, nil
		case "listen_port":
			p, err := strconv.ParseUint(value, 10, 16)
			if err != nil {
				return 0, fmt.Errorf("read the listen port: bad listen_port line")
			}
			return uint16(p), nil
		}
	}
	return 0, nil
}

func orDiscard(f func(string, ...any)) func(string, ...any) {
	if f == nil {
		return device.DiscardLogf
	}
	return f
}

// Interface returns the OS interface name of the running tunnel.
func (e *Engine) Interface() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ifname
}

// Settings returns what was given to Network.Apply.
func (e *Engine) Settings() platform.Settings {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.settings
}

// KillSwitchEnforced reports whether the kill switch is in force: the
// settings applied ask for it and the Network enforces it.
func (e *Engine) KillSwitchEnforced() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.settings.KillSwitch && !e.closed && platform.FirewallOf(e.deps.Network).KillSwitch
}

// SetOptions changes the options of the running tunnel: the kill switch
// and Allow LAN are applied at once through Network.Apply, with every
// other setting as it was. When Apply fails the Network has rolled back,
// and the old options stay in force.
func (e *Engine) SetOptions(ctx context.Context, o Options) error {
	e.applyMu.Lock()
	defer e.applyMu.Unlock()
	e.mu.Lock()
	closed, ifname, s := e.closed, e.ifname, e.settings
	e.mu.Unlock()
	if closed {
		return errors.New("set options: tunnel is not running")
	}
	next := s
	next.KillSwitch, next.AllowLAN = firewallSettings(e.cfg, o)
	if next.KillSwitch != s.KillSwitch || next.AllowLAN != s.AllowLAN {
		if err := e.deps.Network.Apply(ctx, ifname, next); err != nil {
			return fmt.Errorf("apply options to %s: %w", ifname, err)
		}
		e.log.Verbose("kill switch %s, allow lan %s on %s", onOff(next.KillSwitch), onOff(next.AllowLAN), ifname)
	}
	e.mu.Lock()
	e.opts, e.settings = o, next
	e.mu.Unlock()
	return nil
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// Close brings the tunnel down: PreDown, device down, network settings
// removed, device and TUN closed, PostDown. It runs every step even when
// one fails and returns the errors joined. Closing twice does nothing.
func (e *Engine) Close(ctx context.Context) error {
	return e.teardown(ctx, true)
}

// teardown undoes the up sequence in reverse order. withScripts runs
// PreDown/PostDown, which wg-quick does on down but not on a failed up.
func (e *Engine) teardown(ctx context.Context, withScripts bool) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	dev, t, ifname, applied, stopRewatch, stopDDNS := e.dev, e.tun, e.ifname, e.applied, e.stopRewatch, e.stopDDNS
	e.mu.Unlock()

	if stopDDNS != nil {
		stopDDNS()
	}
	// The re-apply loop ends first, and a re-apply under way finishes
	// (cut short), so that none can add routes after they are removed.
	if stopRewatch != nil {
		stopRewatch()
	}

	var errs []error
	if withScripts {
		if err := e.runScripts(ctx, e.cfg.Interface.PreDown, ifname); err != nil {
			errs = append(errs, fmt.Errorf("pre-down: %w", err))
		}
	}
	if dev != nil {
		if err := dev.Down(); err != nil {
			errs = append(errs, fmt.Errorf("bring %s down: %w", ifname, err))
		}
	}
	if applied {
		// Under applyMu: a SetOptions under way finishes first (it then
		// finds the engine closed, or its settings are removed here).
		e.applyMu.Lock()
		err := e.deps.Network.Apply(ctx, ifname, platform.Settings{})
		e.applyMu.Unlock()
		if err != nil {
			errs = append(errs, fmt.Errorf("remove settings of %s: %w", ifname, err))
		}
	}
	if dev != nil {
		dev.Close() // closes the TUN too
	} else if t != nil {
		if err := t.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", ifname, err))
		}
	}
	if withScripts {
		if err := e.runScripts(ctx, e.cfg.Interface.PostDown, ifname); err != nil {
			errs = append(errs, fmt.Errorf("post-down: %w", err))
		}
	}
	if len(errs) == 0 {
		e.log.Verbose("tunnel %s is down", e.name)
	}
	return errors.Join(errs...)
}

// Stats reads the peers' live figures from the device.
func (e *Engine) Stats() ([]PeerStats, error) {
	e.mu.Lock()
	dev, closed := e.dev, e.closed
	e.mu.Unlock()
	if dev == nil || closed {
		return nil, errors.New("read stats: tunnel is not running")
	}
	// IpcGet also prints private_key=; parseUAPIStats skips it and the
	// text goes nowhere else.
	text, err := dev.IpcGet()
	if err != nil {
		return nil, fmt.Errorf("read stats: %w", err)
	}
	return parseUAPIStats(text)
}

func (e *Engine) runScripts(ctx context.Context, cmds []string, ifname string) error {
	for i, c := range cmds {
		cmd := strings.ReplaceAll(c, "%i", ifname)
		e.log.Verbose("run script %d of %d", i+1, len(cmds))
		if err := e.deps.RunScript(ctx, cmd); err != nil {
			return fmt.Errorf("command %d of %d: %w", i+1, len(cmds), err)
		}
	}
	return nil
}

// resolveEndpoints returns each peer's endpoint as an address (the zero
// AddrPort for a peer without one). Host names are resolved now, IPv4
// preferred, as wg-quick does.
func (e *Engine) resolveEndpoints(ctx context.Context) ([]netip.AddrPort, error) {
	out := make([]netip.AddrPort, len(e.cfg.Peers))
	for i, p := range e.cfg.Peers {
		if p.Endpoint.IsZero() {
			continue
		}
		addr, err := netip.ParseAddr(p.Endpoint.Host)
		if err != nil {
			addrs, rerr := e.deps.Resolve(ctx, p.Endpoint.Host)
			if rerr != nil {
				return nil, fmt.Errorf("look up %s: %w", p.Endpoint.Host, rerr)
			}
			var ok bool
			if addr, ok = pickAddr(addrs); !ok {
				return nil, fmt.Errorf("look up %s: no addresses", p.Endpoint.Host)
			}
		}
		out[i] = netip.AddrPortFrom(addr.Unmap(), p.Endpoint.Port)
	}
	return out, nil
}

// pickAddr prefers the first IPv4 address, else the first valid one.
func pickAddr(addrs []netip.Addr) (netip.Addr, bool) {
	for _, a := range addrs {
		if a.Unmap().Is4() {
			return a.Unmap(), true
		}
	}
	for _, a := range addrs {
		if a.IsValid() {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// hasDefaultRoute reports whether any peer routes 0.0.0.0/0 or ::/0.
func hasDefaultRoute(cfg *config.Config) bool {
	for _, p := range cfg.Peers {
		for _, pfx := range p.AllowedIPs {
			if pfx.Bits() == 0 {
				return true
			}
		}
	}
	return false
}

// needFwMark returns the fwmark the device needs: the config's, or
// DefaultFwMark for a full tunnel whose Table is automatic (its policy
// rules tell the tunnel's own packets apart by the mark), else zero.
func needFwMark(cfg *config.Config) uint32 {
	if cfg.Interface.FwMark != 0 {
		return cfg.Interface.FwMark
	}
	if t := cfg.Interface.Table; (t == "" || t == "auto") && hasDefaultRoute(cfg) {
		return DefaultFwMark
	}
	return 0
}

// settingsFor is what the platform must do for cfg.
func settingsFor(cfg *config.Config, endpoints []netip.AddrPort, fwmark uint32) platform.Settings {
	s := platform.Settings{
		Addresses: append([]netip.Prefix(nil), cfg.Interface.Addresses...),
		Table:     cfg.Interface.Table,
		FwMark:    fwmark,
		MTU:       int(cfg.Interface.MTU),
		DNS:       append([]netip.Addr(nil), cfg.Interface.DNS...),
		DNSSearch: append([]string(nil), cfg.Interface.DNSSearch...),
	}
	seen := map[netip.Prefix]bool{}
	for _, p := range cfg.Peers {
		for _, pfx := range p.AllowedIPs {
			pfx = pfx.Masked()
			if !seen[pfx] {
				seen[pfx] = true
				s.Routes = append(s.Routes, pfx)
			}
		}
	}
	for _, ep := range endpoints {
		if ep.IsValid() {
			s.Endpoints = append(s.Endpoints, ep)
		}
	}
	return s
}
