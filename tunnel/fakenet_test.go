package tunnel

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/wgdesk/wgdesk/platform"
)

// fakeNetwork is a stand-in platform.Network that records the OS state it
// would leave as text lines, and can fail at one step ("addresses",
// "routes", "dns", "mtu") after doing the steps before it, as a real
// implementation could.
type fakeNetwork struct {
	mu     sync.Mutex
	state  map[string][]string
	failOn string
	calls  int
}

var _ platform.Network = (*fakeNetwork)(nil)

func newFakeNetwork() *fakeNetwork { return &fakeNetwork{state: map[string][]string{}} }

func (f *fakeNetwork) FailOn(step string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failOn = step
}

func (f *fakeNetwork) Apply(ctx context.Context, ifname string, s platform.Settings) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if s.IsZero() {
		delete(f.state, ifname)
		return nil
	}
	var lines []string
	step := func(name string, add func()) error {
		add()
		f.state[ifname] = lines
		if f.failOn == name {
			return fmt.Errorf("set %s on %s: injected failure", name, ifname)
		}
		return nil
	}
	if err := step("addresses", func() {
		for _, a := range s.Addresses {
			lines = append(lines, fmt.Sprintf("addr %s %s", ifname, a))
		}
	}); err != nil {
		return err
	}
	if err := step("routes", func() {
		if s.Table == "off" {
			return
		}
		table := "main"
		for _, r := range s.Routes {
			if r.Bits() == 0 && (s.Table == "" || s.Table == "auto") {
				table = fmt.Sprint(s.FwMark)
			}
		}
		if s.Table != "" && s.Table != "auto" {
			table = s.Table
		}
		for _, r := range s.Routes {
			lines = append(lines, fmt.Sprintf("route %s %s table %s", ifname, r, table))
		}
		if table == fmt.Sprint(s.FwMark) {
			lines = append(lines, fmt.Sprintf("rule not fwmark %d lookup %d", s.FwMark, s.FwMark))
		}
	}); err != nil {
		return err
	}
	if err := step("dns", func() {
		for _, d := range s.DNS {
			lines = append(lines, fmt.Sprintf("dns %s %s", ifname, d))
		}
	}); err != nil {
		return err
	}
	return step("mtu", func() {
		mtu := s.MTU
		if mtu == 0 {
			mtu = 1420
		}
		lines = append(lines, fmt.Sprintf("mtu %s %d", ifname, mtu))
		for _, e := range s.Endpoints {
			lines = append(lines, fmt.Sprintf("endpoint %s %s", ifname, e))
		}
	})
}

func (f *fakeNetwork) Recover(ctx context.Context) error { return nil }

// State is every recorded line, sorted; "" when nothing is applied.
func (f *fakeNetwork) State() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []string
	for _, l := range f.state {
		all = append(all, l...)
	}
	sort.Strings(all)
	return strings.Join(all, "\n")
}
