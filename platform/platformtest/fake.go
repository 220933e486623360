// Package platformtest provides a fake platform.Network that records the OS
// state it would produce as sorted text lines, for golden tests of code that
// drives a Network (the tunnel engine). It plans with platform.NewPlan, the
// same planning the real implementations use.
package platformtest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/wgdesk/wgdesk/platform"
)

// Steps that FailOn accepts, in the order Apply performs them.
const (
	StepLink      = "link"
	StepAddresses = "addresses"
	StepRoutes    = "routes"
	StepRules     = "rules"
	StepDNS       = "dns"
	StepRecover   = "recover"
)

// ErrInjected is wrapped by every error FailOn causes.
var ErrInjected = errors.New("injected failure")

// Fake is an in-memory platform.Network. Its "OS" holds one line per
// address, route, rule, MTU, fwmark, sysctl and DNS setting; its journal
// survives Crash as a real journal on disk survives a killed service.
type Fake struct {
	// UplinkMTU is the MTU the fake reports for the routes to endpoints
	// and the default route when MTU is automatic; zero means 1500.
	UplinkMTU int

	mu      sync.Mutex
	os      map[string]bool            // the OS state lines
	owned   map[string]map[string]bool // per interface: lines Apply made (in memory)
	journal map[string]map[string]bool // per interface: lines that may exist
	fail    map[string]error           // step -> error
	calls   []string
}

var _ platform.Network = (*Fake)(nil)

// New returns an empty fake.
func New() *Fake {
	return &Fake{
		os:      map[string]bool{},
		owned:   map[string]map[string]bool{},
		journal: map[string]map[string]bool{},
		fail:    map[string]error{},
	}
}

// FailOn makes every later Apply fail at step (one of the Step constants)
// after the earlier steps took effect, as a real failure midway does; the
// error wraps ErrInjected. FailOn(step) with an empty step clears all.
func (f *Fake) FailOn(step string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if step == "" {
		clear(f.fail)
		return
	}
	f.fail[step] = fmt.Errorf("%s: %w", step, ErrInjected)
}

// Crash forgets the in-memory state, as a killed service does; the OS state
// and the journal remain. Recover must be called next.
func (f *Fake) Crash() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.owned)
}

// LinkGone removes every line of interface ifname from the OS state, as the
// kernel does when a TUN's process dies. Rules and DNS settings stay.
func (f *Fake) LinkGone(ifname string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for l := range f.os {
		if lineInterface(l) == ifname && !strings.HasPrefix(l, "dns ") {
			delete(f.os, l)
		}
	}
}

// State returns the OS state as sorted lines, one per line of text, such
// as "addr wg0 10.0.0.2/32" or "rule ipv4 pref 32765 not fwmark 51820
// lookup 51820". It is "" when nothing is configured.
func (f *Fake) State() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(slices.Sorted(maps.Keys(f.os)), "\n")
}

// Calls returns the calls made so far, such as "apply wg0" or
// "apply wg0 zero" or "recover".
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Apply implements platform.Network.
func (f *Fake) Apply(ctx context.Context, ifname string, s platform.Settings) error {
	p, err := platform.NewPlan(ifname, s)
	if err != nil {
		return fmt.Errorf("plan %s: %w", ifname, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	call := "apply " + ifname
	if s.IsZero() {
		call += " zero"
	}
	f.calls = append(f.calls, call)
	if err := ctx.Err(); err != nil {
		return err
	}

	if p.MTU == 0 && p.Up {
		up := f.UplinkMTU
		if up == 0 {
			up = 1500
		}
		p.MTU = platform.AutoMTU(nil, up)
	}
	want := map[string]bool{}
	for _, l := range p.Lines() {
		// The tunnel engine, not the Network, sets the device's fwmark.
		if !strings.HasPrefix(l, "fwmark ") {
			want[l] = true
		}
	}
	prev := f.owned[ifname]
	// Journal first: everything that may exist after this call.
	j := map[string]bool{}
	maps.Copy(j, prev)
	maps.Copy(j, want)
	f.journal[ifname] = j

	cur := map[string]bool{}
	maps.Copy(cur, j)
	defer func() {
		if len(cur) == 0 {
			delete(f.owned, ifname)
		} else {
			f.owned[ifname] = cur
		}
	}()
	// Removal of what is no longer wanted, then addition step by step.
	for l := range prev {
		if !want[l] {
			f.removeLocked(l)
			delete(cur, l)
		}
	}
	for _, step := range []string{StepLink, StepAddresses, StepRoutes, StepRules, StepDNS} {
		if !p.Up {
			break
		}
		if err := f.fail[step]; err != nil {
			return fmt.Errorf("apply %s to %s: %w", step, ifname, err)
		}
		for l := range want {
			if lineStep(l) == step {
				if strings.HasPrefix(l, "mtu ") {
					for o := range f.os { // one MTU per link
						if strings.HasPrefix(o, "mtu "+ifname+" ") {
							delete(f.os, o)
						}
					}
				}
				f.os[l] = true
			}
		}
	}
	if len(want) == 0 {
		delete(f.journal, ifname)
	} else {
		f.journal[ifname] = want
	}
	clear(cur)
	maps.Copy(cur, want)
	return nil
}

// Recover implements platform.Network: it undoes whatever the journal
// holds.
func (f *Fake) Recover(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "recover")
	if err := f.fail[StepRecover]; err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	for ifname, lines := range f.journal {
		for l := range lines {
			f.removeLocked(l)
		}
		delete(f.journal, ifname)
		delete(f.owned, ifname)
	}
	return nil
}

// removeLocked removes a line from the OS state. src_valid_mark is left
// set, as the Linux implementation and wg-quick do.
func (f *Fake) removeLocked(l string) {
	if strings.HasPrefix(l, "sysctl ") {
		return
	}
	delete(f.os, l)
}

// lineStep maps a state line to the Apply step that makes it.
func lineStep(l string) string {
	switch strings.SplitN(l, " ", 2)[0] {
	case "addr":
		return StepAddresses
	case "route":
		return StepRoutes
	case "rule", "sysctl":
		return StepRules
	case "dns":
		return StepDNS
	default: // mtu, fwmark
		return StepLink
	}
}

// lineInterface returns the interface a line belongs to, "" for rules and
// sysctls.
func lineInterface(l string) string {
	f := strings.Fields(l)
	switch f[0] {
	case "rule", "sysctl":
		return ""
	}
	if len(f) > 1 {
		return f[1]
	}
	return ""
}
