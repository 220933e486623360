package api

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/tunnel"
)

// fakeService is an in-memory tunnel.Service. It deliberately puts the
// FULL config into TunnelInfo, so that tests prove the server redacts on
// its own.
type fakeService struct {
	mu       sync.Mutex
	tunnels  map[string]*fakeTunnel
	subs     map[int]chan tunnel.Event
	nextSub  int
	upErr    error // returned by Up when set
	subbed   chan struct{}
	unsubbed chan struct{}
}

type fakeTunnel struct {
	cfg   *config.Config
	state tunnel.State
	since time.Time
}

var fakeNameRE = regexp.MustCompile(`^[a-zA-Z0-9_=+.-]{1,32}$`)

func newFakeService() *fakeService {
	return &fakeService{
		tunnels:  map[string]*fakeTunnel{},
		subs:     map[int]chan tunnel.Event{},
		subbed:   make(chan struct{}, 16),
		unsubbed: make(chan struct{}, 16),
	}
}

var fakeSince = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func (f *fakeService) infoLocked(name string) tunnel.TunnelInfo {
	t := f.tunnels[name]
	info := tunnel.TunnelInfo{Name: name, State: t.state, Config: t.cfg, Since: t.since}
	if t.state == tunnel.StateActive {
		info.Interface = "wg-" + name
		for i, p := range t.cfg.Peers {
			info.Peers = append(info.Peers, tunnel.PeerStats{
				PublicKey:     p.PublicKey,
				Endpoint:      p.Endpoint.String(),
				RxBytes:       uint64(1000 * (i + 1)),
				TxBytes:       uint64(2000 * (i + 1)),
				LastHandshake: fakeSince.Add(time.Minute),
			})
		}
	}
	return info
}

func (f *fakeService) emitLocked(kind tunnel.EventKind, info tunnel.TunnelInfo) {
	for _, ch := range f.subs {
		select {
		case ch <- tunnel.Event{Kind: kind, Tunnel: info, Time: fakeSince}:
		default:
		}
	}
}

func (f *fakeService) Import(name string, cfg *config.Config) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !fakeNameRE.MatchString(name) {
		return fmt.Errorf("%w: %q", tunnel.ErrBadName, name)
	}
	if _, ok := f.tunnels[name]; ok {
		return fmt.Errorf("import %s: %w", name, tunnel.ErrExists)
	}
	f.tunnels[name] = &fakeTunnel{cfg: cfg, state: tunnel.StateInactive, since: fakeSince}
	f.emitLocked(tunnel.EventAdded, f.infoLocked(name))
	return nil
}

func (f *fakeService) List() []tunnel.TunnelInfo {
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

func (f *fakeService) Get(name string) (tunnel.TunnelInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.tunnels[name]; !ok {
		return tunnel.TunnelInfo{}, fmt.Errorf("get %s: %w", name, tunnel.ErrNotFound)
	}
	return f.infoLocked(name), nil
}

func (f *fakeService) Config(name string) (*config.Config, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tunnels[name]
	if !ok {
		return nil, tunnel.ErrNotFound
	}
	return t.cfg, nil
}

func (f *fakeService) setState(name string, s tunnel.State) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tunnels[name]
	if !ok {
		return tunnel.ErrNotFound
	}
	t.state = s
	t.since = fakeSince.Add(time.Hour)
	f.emitLocked(tunnel.EventState, f.infoLocked(name))
	return nil
}

func (f *fakeService) Up(ctx context.Context, name string) error {
	f.mu.Lock()
	err := f.upErr
	f.mu.Unlock()
	if err != nil {
		return err
	}
	return f.setState(name, tunnel.StateActive)
}

func (f *fakeService) Down(ctx context.Context, name string) error {
	return f.setState(name, tunnel.StateInactive)
}

func (f *fakeService) Delete(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tunnels[name]
	if !ok {
		return tunnel.ErrNotFound
	}
	if t.state == tunnel.StateActive {
		return fmt.Errorf("delete %s: %w", name, tunnel.ErrActive)
	}
	info := f.infoLocked(name)
	delete(f.tunnels, name)
	f.emitLocked(tunnel.EventRemoved, info)
	return nil
}

func (f *fakeService) Subscribe() (<-chan tunnel.Event, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextSub
	f.nextSub++
	ch := make(chan tunnel.Event, 16)
	f.subs[id] = ch
	f.subbed <- struct{}{}
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			f.mu.Lock()
			delete(f.subs, id)
			f.mu.Unlock()
			f.unsubbed <- struct{}{}
		})
	}
}
