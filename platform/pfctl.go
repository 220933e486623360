package platform

// The macOS kill switch: when macNetwork puts the pf anchor (pfrules.go)
// in force and takes it away, through pfctl(8) behind the macPFRunner
// seam, which the simulated Mac of the tests implements too.
//
//   - Getting the anchor evaluated. pf evaluates an anchor only where the
//     main ruleset names it. macOS's /etc/pf.conf, which launchd loads
//     at boot, holds `anchor "com.apple/*"`: every anchor below com.apple
//     is evaluated, so ours is one of them (pfAnchor) and the main
//     ruleset is never rewritten. The other way, loading /etc/pf.conf
//     again with an `anchor "wgdesk"` line added (pfctl -f), would replace
//     whatever the user or another program had loaded into the main
//     ruleset since boot, and would have to be undone by loading
//     /etc/pf.conf once more, replacing it again. Mullvad's client avoids
//     that by adding its anchor rule to the main ruleset through pf's
//     ioctls (its pfctl crate), one rule at a time, which the pfctl tool
//     cannot do. Before loading, `pfctl -s rules` must show the
//     com.apple/* anchor. When the main ruleset is empty (pf.conf never
//     loaded) we load /etc/pf.conf, the ruleset macOS itself loads at
//     boot, and nothing needs undoing; when it has rules but not that
//     anchor (an edited pf.conf), the kill switch is refused with a
//     sentence saying so: it would not be in force.
//   - Enabling pf by reference. `pfctl -E` enables pf and takes a
//     reference, printing a token on standard error; `pfctl -X <token>`
//     gives it back, and pf is disabled only when no reference is left
//     (XNU counts `pfctl -e` as one too). A pf that the user or another
//     program enabled therefore stays enabled after our kill switch goes.
//     Each kill-switched tunnel holds its own reference, recorded in its
//     journal entry, so that Recover gives back exactly the references of
//     a killed service: as far as XNU's pf_ioctl.c shows, a reference is
//     kernel state that does not end with the process that took it. The
//     anchor is loaded first, then pf enabled: it is never enabled with a
//     stale anchor. A service killed between `pfctl -E` and writing the
//     token to the journal leaks that one reference: pf stays enabled,
//     with an anchor that Recover has flushed (no rules, nothing blocked).
//   - Order. The anchor goes in before the tunnel's routes and out after
//     them (the Firewaller contract); the journal entry names the kill
//     switch before the anchor is loaded, and its token as soon as there
//     is one. The anchor is pf state: it outlives the service, so a killed
//     service leaves the network closed until Recover at the next start
//     flushes the anchor and gives the references back. A reboot clears
//     both; Recover then finds the tokens invalid and lets them go.
//   - One anchor for all tunnels, replaced as a whole by
//     `pfctl -a <anchor> -f -`, which pfctl loads in one transaction:
//     there is no moment without rules. It is rebuilt whenever its text
//     would change: another tunnel, other endpoints, or other LAN
//     subnets. The LAN subnets are read again at every Apply (netstat,
//     connected_mac.go), and after a network change the tunnel engine
//     applies again (macNetwork is a Watcher), so Allow LAN follows the
//     new Wi-Fi.
//   - Removal flushes only the anchor's filter rules (`-F rules`), never
//     `-F all`: that would also flush every state of the machine, cutting
//     connections that have nothing to do with us.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
)

var _ Firewaller = (*macNetwork)(nil)

// macPFRunner runs pfctl(8). stdin, when not nil, is its standard input.
// The output is what it printed on standard output and standard error
// together: pfctl prints its token and most messages on standard error. A
// failure's error includes the output, as macRunner's do.
type macPFRunner interface {
	pfctl(ctx context.Context, stdin []byte, args ...string) ([]byte, error)
}

// macFirewallLimit is what the service log says about the kill switch.
const macFirewallLimit = "a pf anchor (" + pfAnchor + ") that outlives the service: if the service is killed, the network stays closed until it starts again; without Allow LAN, virtual machines and Internet Sharing clients are cut off too"

// pfConf is the main ruleset macOS loads at boot.
const pfConf = "/etc/pf.conf"

// macPF is the kill switch state of a macNetwork, guarded by its mu.
type macPF struct {
	// on are the kill switches in force, by interface; text is the
	// anchor as last loaded ("" for none).
	on   map[string]pfTunnel
	text string
}

// Firewall implements Firewaller: the kill switch and Allow LAN, when the
// runner can run pfctl (the real one can; a test's may not).
func (n *macNetwork) Firewall() FirewallSupport {
	if _, ok := n.run.(macPFRunner); !ok {
		return FirewallSupport{}
	}
	return FirewallSupport{KillSwitch: true, AllowLAN: true, Limit: macFirewallLimit}
}

// pfTunnelFor returns the kill switch Settings s ask for (plan p), or nil:
// the kill switch is off, pfctl cannot be run, or the tunnel is not a full
// one (no default route, or Table off).
func (n *macNetwork) pfTunnelFor(p macPlan, s Settings) *pfTunnel {
	if _, ok := n.run.(macPFRunner); !ok || !s.KillSwitch || !p.Up || (!p.Full4 && !p.Full6) {
		return nil
	}
	t := pfTunnel{Interface: p.Interface, FullIPv4: p.Full4, FullIPv6: p.Full6, AllowLAN: s.AllowLAN}
	t.Endpoints = uniqueSorted(p.Endpoints, func(e netip.AddrPort) netip.AddrPort { return e }, netip.AddrPort.Compare)
	t.DNS = uniqueSorted(s.DNS, netip.Addr.Unmap, netip.Addr.Compare)
	return &t
}

// killSwitchOnLocked puts want in force before anything else of the
// tunnel is made: journal, anchor, then pf's reference. Nothing to do for
// nil. n.mu is held.
func (n *macNetwork) killSwitchOnLocked(ctx context.Context, e *macEntry, want *pfTunnel) error {
	if want == nil {
		return nil
	}
	if e.KillSwitch == nil {
		e.KillSwitch = &macKillSwitch{} // ours from the moment we ask
		if err := n.journal.saveMac(e); err != nil {
			return fmt.Errorf("journal %s: %w", want.Interface, err)
		}
	}
	next := maps.Clone(n.pf.on)
	if next == nil {
		next = map[string]pfTunnel{}
	}
	next[want.Interface] = *want
	if err := n.setAnchorLocked(ctx, next); err != nil {
		return fmt.Errorf("turn the kill switch on for %s: %w", want.Interface, err)
	}
	if e.KillSwitch.Token == "" {
		token, err := n.pfEnable(ctx)
		if err != nil {
			return fmt.Errorf("turn the kill switch on for %s: %w", want.Interface, err)
		}
		e.KillSwitch.Token = token
		if err := n.journal.saveMac(e); err != nil {
			return fmt.Errorf("journal %s: %w", want.Interface, err)
		}
	}
	return nil
}

// killSwitchOffLocked takes the kill switch of e's interface away after
// everything else of the tunnel: the anchor without it (flushed when no
// tunnel is left), then its reference on pf. The other tunnels' kill
// switches stay. n.mu is held.
func (n *macNetwork) killSwitchOffLocked(ctx context.Context, e *macEntry) error {
	ifname := e.Interface
	_, on := n.pf.on[ifname]
	if !on && e.KillSwitch == nil {
		return nil
	}
	next := maps.Clone(n.pf.on)
	delete(next, ifname)
	if err := n.setAnchorLocked(ctx, next); err != nil {
		return fmt.Errorf("turn the kill switch off for %s: %w", ifname, err)
	}
	if e.KillSwitch != nil && e.KillSwitch.Token != "" {
		if err := n.pfRelease(ctx, e.KillSwitch.Token); err != nil {
			return fmt.Errorf("turn the kill switch off for %s: %w", ifname, err)
		}
	}
	e.KillSwitch = nil
	if err := n.journal.saveMac(e); err != nil {
		return fmt.Errorf("journal %s: %w", ifname, err)
	}
	return nil
}

// setAnchorLocked makes the anchor hold exactly the kill switches on,
// reading the LAN subnets when they are needed. Nothing is loaded when
// the text would not change; with no tunnel the anchor is flushed even if
// this run did not load it (a journal named it). n.mu is held.
func (n *macNetwork) setAnchorLocked(ctx context.Context, on map[string]pfTunnel) error {
	tunnels := slices.Collect(maps.Values(on))
	slices.SortFunc(tunnels, func(a, b pfTunnel) int { return strings.Compare(a.Interface, b.Interface) })
	var lan []netip.Prefix
	if pfAllowLAN(tunnels) {
		subnets, err := n.ConnectedSubnets()
		if err != nil {
			return fmt.Errorf("read the lan subnets: %w", err)
		}
		for _, s := range subnets {
			lan = append(lan, s.Prefix)
		}
	}
	text := pfAnchorText(tunnels, lan)
	switch {
	case text == "":
		if _, err := n.pfctl(ctx, nil, "-a", pfAnchor, "-F", "rules"); err != nil {
			return fmt.Errorf("flush pf anchor %s: %w", pfAnchor, err)
		}
		if n.pf.text != "" {
			n.logf("kill switch off: pf anchor %s flushed", pfAnchor)
		}
	case text != n.pf.text:
		if err := n.pfReferencedLocked(ctx); err != nil {
			return err
		}
		if _, err := n.pfctl(ctx, []byte(text), "-a", pfAnchor, "-f", "-"); err != nil {
			return fmt.Errorf("load pf anchor %s: %w", pfAnchor, err)
		}
		n.logf("kill switch in force:\n%s", text)
	}
	n.pf.on, n.pf.text = on, text
	return nil
}

// pfReferencedLocked makes sure that the main ruleset evaluates our
// anchor (see the top of this file).
func (n *macNetwork) pfReferencedLocked(ctx context.Context) error {
	for try := 0; ; try++ {
		out, err := n.pfctl(ctx, nil, "-s", "rules")
		if err != nil {
			return fmt.Errorf("read pf's main ruleset: %w", err)
		}
		rules := pfRuleLines(out)
		for _, l := range rules {
			if strings.HasPrefix(l, `anchor "com.apple/*"`) {
				return nil
			}
		}
		if len(rules) > 0 || try > 0 {
			return fmt.Errorf("pf's main ruleset has no `anchor \"com.apple/*\"` line, so it would not evaluate the kill switch's anchor %s: restore that line of macOS's %s and load it with pfctl -f %s", pfAnchor, pfConf, pfConf)
		}
		n.logf("pf's main ruleset is empty: loading %s, as macOS does at boot", pfConf)
		if _, err := n.pfctl(ctx, nil, "-f", pfConf); err != nil {
			return fmt.Errorf("load pf's main ruleset from %s: %w", pfConf, err)
		}
	}
}

// pfRuleLines returns the rules in pfctl -s rules output, without the
// notes pfctl prints around them ("No ALTQ support in kernel").
func pfRuleLines(out []byte) []string {
	var rules []string
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "", strings.HasPrefix(l, "No ALTQ"), strings.HasPrefix(l, "ALTQ "), strings.HasPrefix(l, "pfctl:"):
		default:
			rules = append(rules, l)
		}
	}
	return rules
}

// pfEnable enables pf by reference and returns the token (pfctl -E
// prints "Token : 12345").
func (n *macNetwork) pfEnable(ctx context.Context) (string, error) {
	out, err := n.pfctl(ctx, nil, "-E")
	if err != nil {
		return "", fmt.Errorf("enable pf: %w", err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "Token :"); ok {
			if tok := strings.TrimSpace(rest); tok != "" && strings.Trim(tok, "0123456789") == "" {
				return tok, nil
			}
		}
	}
	return "", fmt.Errorf("enable pf: no token in pfctl -E output %q", bytes.TrimSpace(out))
}

// pfRelease gives back the reference of token. A reference that is gone
// already (pf disabled by somebody with pfctl -d, which drops them all, or
// a reboot) is not an error.
func (n *macNetwork) pfRelease(ctx context.Context, token string) error {
	_, err := n.pfctl(ctx, nil, "-X", token)
	if err != nil && isPFReferenceGone(err) {
		n.logf("pf reference %s was gone already: %v", token, err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("give back pf reference %s: %w", token, err)
	}
	return nil
}

// isPFReferenceGone tells pfctl -X's failures for a pf that is not
// enabled (ENOENT) or a token it does not know (EINVAL).
func isPFReferenceGone(err error) bool {
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "not enabled") || strings.Contains(s, "token") || strings.Contains(s, "invalid argument")
}

func (n *macNetwork) pfctl(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	r, ok := n.run.(macPFRunner)
	if !ok {
		return nil, errors.New("pfctl cannot be run here")
	}
	n.logf("pfctl %s", strings.Join(args, " "))
	return r.pfctl(ctx, stdin, args...)
}
