// Package apitest holds an in-memory tunnel.Service for tests of the API,
// the CLI and the app: no root, no devices, events on every change.
package apitest

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/platform"
	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/doctor"
)

// Service is an in-memory tunnel.Service. Up makes a tunnel active on
// interface "wg-NAME" with fixed figures per peer (rx 1000*i, tx 2000*i,
// handshake at Since plus a minute).
//
// It deliberately puts the FULL config, keys included, into TunnelInfo, so
// that tests prove the API server redacts on its own.
//
// The ...As methods apply the access model's ownership rule
// (Caller.MayChange) and CheckMemberConfig, as the real service does;
// quotas and the scripts check at Up are the Manager's alone.
type Service struct {
	mu      sync.Mutex
	tunnels map[string]*fakeTunnel
	subs    map[int]chan tunnel.Event
	nextSub int
	upErr   error // returned by Up when set
	// fw is what the fake's "platform" enforces (SetFirewall); the zero
	// value enforces no kill switch, like a system without nftables, pf
	// or WFP.
	fw platform.FirewallSupport
	// diagnoses are what Diagnose answers, by tunnel (SetDiagnosis).
	diagnoses map[string]doctor.Report
	// local are the directly connected subnets (SetConnectedSubnets).
	local []config.LocalSubnet
	// Subscribed and Unsubscribed receive a value each time a subscription
	// starts or is cancelled, so tests can wait for either.
	Subscribed   chan struct{}
	Unsubscribed chan struct{}
}

type fakeTunnel struct {
	owner tunnel.Caller
	cfg   *config.Config
	state tunnel.State
	since time.Time
	opts  tunnel.Options
	conn  tunnel.Connection // while active; "" means connected
}

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9_=+.-]{1,32}$`)

// New returns an empty fake service.
func New() *Service {
	return &Service{
		tunnels:      map[string]*fakeTunnel{},
		subs:         map[int]chan tunnel.Event{},
		Subscribed:   make(chan struct{}, 64),
		Unsubscribed: make(chan struct{}, 64),
	}
}

// Since is the fixed time of every state change and event.
var Since = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func (f *Service) infoLocked(name string) tunnel.TunnelInfo {
	t := f.tunnels[name]
	owner := t.owner
	info := tunnel.TunnelInfo{Name: name, State: t.state, Config: t.cfg, Since: t.since,
		Options: t.opts, FullTunnel: tunnel.IsFullTunnel(t.cfg), AllowLANAvailable: f.fw.AllowLAN, Owner: &owner}
	info.Warnings = tunnel.CollisionWarnings(t.cfg, f.local)
	up := t.state == tunnel.StateActive
	info.KillSwitch = tunnel.KillSwitchStatusFor(t.cfg, t.opts, f.fw, up && f.fw.KillSwitch && t.opts.KillSwitchWanted(t.cfg))
	if t.state == tunnel.StateActive {
		info.Connection = tunnel.ConnConnected // the peers have a handshake
		if t.conn != "" {
			info.Connection = t.conn
		}
		info.Interface = "wg-" + name
		for i, p := range t.cfg.Peers {
			info.Peers = append(info.Peers, tunnel.PeerStats{
				PublicKey:     p.PublicKey,
				Endpoint:      p.Endpoint.String(),
				RxBytes:       uint64(1000 * (i + 1)),
				TxBytes:       uint64(2000 * (i + 1)),
				LastHandshake: Since.Add(time.Minute),
			})
		}
	}
	return info
}

func (f *Service) emitLocked(kind tunnel.EventKind, info tunnel.TunnelInfo) {
	for _, ch := range f.subs {
		select {
		case ch <- tunnel.Event{Kind: kind, Tunnel: info, Time: Since}:
		default:
		}
	}
}

func (f *Service) Import(name string, cfg *config.Config) error {
	return f.ImportAs(tunnel.Administrator, name, cfg)
}

// ImportAs refuses a member's config that CheckMemberConfig refuses.
func (f *Service) ImportAs(who tunnel.Caller, name string, cfg *config.Config) error {
	if !who.Admin {
		if err := tunnel.CheckMemberConfig(cfg); err != nil {
			return fmt.Errorf("import %s: %w", name, err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !nameRE.MatchString(name) {
		return fmt.Errorf("%w: %q", tunnel.ErrBadName, name)
	}
	for other := range f.tunnels { // unique ignoring case, as the service's
		if strings.EqualFold(other, name) {
			return fmt.Errorf("import %s: %w", name, tunnel.ErrExists)
		}
	}
	f.tunnels[name] = &fakeTunnel{owner: who, cfg: cfg, state: tunnel.StateInactive, since: Since, opts: tunnel.DefaultOptions()}
	f.emitLocked(tunnel.EventAdded, f.infoLocked(name))
	return nil
}

func (f *Service) List() []tunnel.TunnelInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	var names []string
	for n := range f.tunnels {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []tunnel.TunnelInfo
	for _, n := range names {
		out = append(out, f.infoLocked(n))
	}
	return out
}

func (f *Service) Get(name string) (tunnel.TunnelInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.tunnels[name]; !ok {
		return tunnel.TunnelInfo{}, fmt.Errorf("get %s: %w", name, tunnel.ErrNotFound)
	}
	return f.infoLocked(name), nil
}

func (f *Service) Config(name string) (*config.Config, error) {
	return f.ConfigAs(tunnel.Administrator, name)
}

func (f *Service) ConfigAs(who tunnel.Caller, name string) (*config.Config, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tunnels[name]
	if !ok {
		return nil, tunnel.ErrNotFound
	}
	if err := mayChange(who, name, t); err != nil {
		return nil, err
	}
	return t.cfg, nil
}

func mayChange(who tunnel.Caller, name string, t *fakeTunnel) error {
	if who.MayChange(&t.owner) {
		return nil
	}
	return fmt.Errorf("%s: %w", name, tunnel.ErrNotOwner)
}

// SetFirewall sets what the fake's platform enforces: with KillSwitch an
// active full tunnel reports its kill switch active, without it
// "unavailable"; without AllowLAN, SetOptions refuses Allow LAN as the
// real service does.
func (f *Service) SetFirewall(fw platform.FirewallSupport) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fw = fw
}

// SetConnectedSubnets sets the subnets the fake's machine is on: every
// tunnel then carries the collisions of its routes with them in
// TunnelInfo.Warnings, in every state (the real service checks at import
// and activation).
func (f *Service) SetConnectedSubnets(local []config.LocalSubnet) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.local = local
}

// SetOptions stores a tunnel's options, with the real service's checks,
// and tells subscribers.
func (f *Service) SetOptions(ctx context.Context, name string, o tunnel.Options) error {
	return f.SetOptionsAs(ctx, tunnel.Administrator, name, o)
}

func (f *Service) SetOptionsAs(ctx context.Context, who tunnel.Caller, name string, o tunnel.Options) error {
	o, err := o.Normalized()
	if err != nil {
		return fmt.Errorf("set options of %s: %w", name, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tunnels[name]
	if !ok {
		return fmt.Errorf("set options of %s: %w", name, tunnel.ErrNotFound)
	}
	if err := mayChange(who, name, t); err != nil {
		return err
	}
	if o.AllowLAN && !t.opts.AllowLAN && !f.fw.AllowLAN {
		return fmt.Errorf("set options of %s: allow lan is not available on this system yet: %w", name, tunnel.ErrUnsupported)
	}
	t.opts = o
	f.emitLocked(tunnel.EventOptions, f.infoLocked(name))
	return nil
}

// SetUpErr makes every later Up fail with err (nil: succeed again).
func (f *Service) SetUpErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.upErr = err
}

// SetState moves a tunnel to state s and tells subscribers, as the real
// service does when a tunnel changes on its own.
func (f *Service) SetState(name string, s tunnel.State) error { return f.setState(name, s) }

// SetConnection sets what an active tunnel's handshakes say (connected
// until called) and tells subscribers with a connection event, as the
// real service does.
func (f *Service) SetConnection(name string, c tunnel.Connection) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tunnels[name]
	if !ok {
		return tunnel.ErrNotFound
	}
	t.conn = c
	f.emitLocked(tunnel.EventConnection, f.infoLocked(name))
	return nil
}

func (f *Service) setState(name string, s tunnel.State) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tunnels[name]
	if !ok {
		return tunnel.ErrNotFound
	}
	t.state = s
	t.since = Since.Add(time.Hour)
	f.emitLocked(tunnel.EventState, f.infoLocked(name))
	return nil
}

func (f *Service) Up(ctx context.Context, name string) error {
	f.mu.Lock()
	err := f.upErr
	f.mu.Unlock()
	if err != nil {
		return err
	}
	return f.setState(name, tunnel.StateActive)
}

func (f *Service) Down(ctx context.Context, name string) error {
	return f.setState(name, tunnel.StateInactive)
}

func (f *Service) Delete(name string) error { return f.DeleteAs(tunnel.Administrator, name) }

func (f *Service) DeleteAs(who tunnel.Caller, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tunnels[name]
	if !ok {
		return tunnel.ErrNotFound
	}
	if err := mayChange(who, name, t); err != nil {
		return err
	}
	if t.state == tunnel.StateActive {
		return fmt.Errorf("delete %s: %w", name, tunnel.ErrActive)
	}
	info := f.infoLocked(name)
	delete(f.tunnels, name)
	f.emitLocked(tunnel.EventRemoved, info)
	return nil
}

func (f *Service) Subscribe() (<-chan tunnel.Event, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextSub
	f.nextSub++
	ch := make(chan tunnel.Event, 16)
	f.subs[id] = ch
	f.Subscribed <- struct{}{}
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			f.mu.Lock()
			delete(f.subs, id)
			f.mu.Unlock()
			f.Unsubscribed <- struct{}{}
		})
	}
}

// SetDiagnosis makes Diagnose answer rep for the tunnel name (its Tunnel
// and Interface are filled in).
func (f *Service) SetDiagnosis(name string, rep doctor.Report) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.diagnoses == nil {
		f.diagnoses = map[string]doctor.Report{}
	}
	f.diagnoses[name] = rep
}

// Diagnose is the connection doctor of the fake: the report SetDiagnosis
// gave, else one where every check is ok. Like the real doctor it
// activates an inactive tunnel for the checks and takes it down again
// (the report says BroughtUp), with the events that go with it.
func (f *Service) Diagnose(ctx context.Context, name string) (doctor.Report, error) {
	f.mu.Lock()
	t, ok := f.tunnels[name]
	if !ok {
		f.mu.Unlock()
		return doctor.Report{}, fmt.Errorf("doctor %s: %w", name, tunnel.ErrNotFound)
	}
	up := t.state == tunnel.StateActive
	rep, scripted := f.diagnoses[name]
	f.mu.Unlock()
	if !scripted {
		rep = doctor.Report{Checks: []doctor.Check{}}
		for _, id := range []string{doctor.CheckEndpoint, doctor.CheckHandshake, doctor.CheckTraffic, doctor.CheckDNS, doctor.CheckMTU, doctor.CheckLAN} {
			rep.Checks = append(rep.Checks, doctor.Check{ID: id, Title: id, Verdict: doctor.OK, Seen: "fine"})
		}
	}
	rep.Tunnel, rep.Interface = name, "wg-"+name
	if !up {
		if err := f.Up(ctx, name); err != nil {
			return doctor.Report{}, fmt.Errorf("bring %s up for the checks: %w", name, err)
		}
		rep.BroughtUp = true
		f.Down(ctx, name)
	}
	return rep, nil
}

var _ tunnel.Service = (*Service)(nil)
