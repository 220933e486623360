//go:build cgo

package app

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/platform"
)

// routerOSFullText is a RouterOS-style config that routes everything,
// with the router's resolver on its LAN.
func routerOSFullText(t *testing.T) string {
	t.Helper()
	priv, err := config.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	peer, err := config.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return "[Interface]\nPrivateKey = " + priv.String() + "\nAddress = 10.8.0.2/32\nDNS = 192.168.88.1\nMTU = 1420\n\n" +
		"[Peer]\nPublicKey = " + peer.PublicKey().String() + "\nAllowedIPs = 0.0.0.0/0, ::/0\nEndpoint = home.sn.mynetname.net:13231\nPersistentKeepalive = 25\n"
}

// storedText is the wg-quick text the fake service holds for name.
func (h *harness) storedText(name string) string {
	h.t.Helper()
	cfg, err := h.svc.Config(name)
	if err != nil {
		return ""
	}
	return string(cfg.Marshal())
}

// importFile imports text as NAME.conf through the app and waits for the
// summary.
func (h *harness) importFile(name, text string) {
	h.t.Helper()
	p := filepath.Join(h.t.TempDir(), name+".conf")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		h.t.Fatal(err)
	}
	h.ui.summary = ""
	h.ui.importFiles([]string{p})
	h.waitFor("the import summary", func() bool { return h.ui.summary != "" })
}

// sameButAllowedIPs fails unless a and b differ at most in the
// AllowedIPs line.
func sameButAllowedIPs(t *testing.T, a, b string) {
	t.Helper()
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(la) != len(lb) {
		t.Fatalf("lines changed:\n%s\n---\n%s", a, b)
	}
	for i := range la {
		if la[i] != lb[i] && !strings.HasPrefix(la[i], "AllowedIPs = ") {
			t.Errorf("line %d changed: %q -> %q", i+1, la[i], lb[i])
		}
	}
}

func allowedLine(text string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "AllowedIPs = ") {
			return strings.TrimPrefix(l, "AllowedIPs = ")
		}
	}
	return ""
}

func TestScopePromptOnlyForFullTunnels(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.waitFor("the snapshot", func() bool { return h.ui.connected })

	h.importFile("office", string(testConfig(t).Marshal()))
	if h.ui.lastScope != nil {
		t.Fatalf("a split tunnel got the scope prompt")
	}
	h.importFile("home", routerOSFullText(t))
	p := h.ui.lastScope
	if p == nil || p.name != "home" {
		t.Fatalf("no scope prompt for the full tunnel: %+v", p)
	}
	// The prompt waits under the summary.
	if top := h.topOverlay(); !hasText(top, "Imported 1 tunnel") {
		t.Fatalf("the summary is not on top: %q", texts(top))
	}
	test.Tap(findButton(h.topOverlay(), "Close"))
	top := h.topOverlay()
	for _, want := range []string{"home sends all your traffic through the router", "Keep as imported", "Apply"} {
		if !hasText(top, want) {
			t.Errorf("the prompt lacks %q: %q", want, texts(top))
		}
	}
	if o := p.choice.Options; len(o) != 3 || !strings.HasPrefix(o[0], scopeAllLabel) || o[1] != scopeRouterLabel || o[2] != scopePrivateLabel || p.choice.Selected != o[0] {
		t.Errorf("answers %q, selected %q", o, p.choice.Selected)
	}
	// The fake enforces no kill switch: the first answer says so.
	if !strings.Contains(p.choice.Options[0], "no kill switch on this system") {
		t.Errorf("first answer %q", p.choice.Options[0])
	}
	// The router's networks are suggested from the DNS server and the
	// address.
	if got := p.networks.Text; got != "10.8.0.0/24, 192.168.88.0/24" {
		t.Errorf("suggested networks %q", got)
	}
}

func TestScopePromptKillSwitchWhereAvailable(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.svc.SetFirewall(platform.FirewallSupport{KillSwitch: true})
	h.waitFor("the snapshot", func() bool { return h.ui.connected })
	h.importFile("home", routerOSFullText(t))
	h.waitFor("the prompt", func() bool { return h.ui.lastScope != nil })
	if got := h.ui.lastScope.choice.Options[0]; got != scopeAllLabel+", with the kill switch" {
		t.Errorf("first answer %q", got)
	}
}

// Each answer rewrites the AllowedIPs of the stored config and nothing
// else; Keep and All leave the text as it was.
func TestScopePromptChoices(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.svc.SetFirewall(platform.FirewallSupport{KillSwitch: true, AllowLAN: true})
	h.waitFor("the snapshot", func() bool { return h.ui.connected })
	text := routerOSFullText(t)

	answer := func(name string, choose func(p *scopePrompt)) (before, after string) {
		t.Helper()
		h.ui.lastScope = nil
		h.importFile(name, text)
		h.waitFor("the prompt of "+name, func() bool { return h.ui.lastScope != nil })
		before = h.storedText(name)
		done := false
		p := h.ui.lastScope
		next := p.answered
		p.answered = func() { done = true; next() }
		choose(p)
		h.waitFor("the answer for "+name, func() bool { return done })
		h.waitFor("the stored config of "+name, func() bool { return h.storedText(name) != "" })
		return before, h.storedText(name)
	}

	before, after := answer("keep", func(p *scopePrompt) { test.Tap(p.cancel) })
	if after != before || allowedLine(after) != "0.0.0.0/0, ::/0" {
		t.Errorf("Keep as imported changed the config:\n%s", after)
	}
	before, after = answer("all", func(p *scopePrompt) { test.Tap(p.apply) })
	if after != before {
		t.Errorf("All traffic changed the config:\n%s", after)
	}

	before, after = answer("router", func(p *scopePrompt) {
		p.choice.SetSelected(scopeRouterLabel)
		p.networks.SetText("")
		test.Type(p.networks, "192.168.88.0/24 bad")
		if !p.apply.Disabled() || !strings.Contains(p.problem.Text, `"bad" is not a network`) {
			t.Errorf("a bad network: apply disabled %v, problem %q", p.apply.Disabled(), p.problem.Text)
		}
		p.networks.SetText("192.168.88.0/24, 10.8.0.0/24")
		if p.apply.Disabled() {
			t.Errorf("Apply stays disabled: %q", p.problem.Text)
		}
		test.Tap(p.apply)
	})
	h.waitFor("the router's networks", func() bool { return allowedLine(h.storedText("router")) == "10.8.0.0/24, 192.168.88.0/24" })
	sameButAllowedIPs(t, before, h.storedText("router"))

	before, _ = answer("private", func(p *scopePrompt) {
		p.choice.SetSelected(scopePrivateLabel)
		if !p.networks.Disabled() {
			t.Error("the networks entry is enabled for private ranges")
		}
		test.Tap(p.apply)
	})
	h.waitFor("the private scope", func() bool {
		cfg, err := h.svc.Config("private")
		return err == nil && config.ScopeOf(cfg) == config.ScopePrivate
	})
	after = h.storedText("private")
	sameButAllowedIPs(t, before, after)
	if l := allowedLine(after); !strings.Contains(l, "192.168.88.1/32") || strings.Contains(l, "0.0.0.0/0") || !strings.HasSuffix(l, "::/0") {
		t.Errorf("private AllowedIPs %s", l)
	}
	// ::/0 keeps it a full tunnel with a kill switch: Allow LAN keeps
	// the private ranges reachable, as the answer promised.
	h.waitFor("Allow LAN", func() bool {
		info, err := h.svc.Get("private")
		return err == nil && info.Options.AllowLAN
	})
	for _, n := range []string{"keep", "all", "router"} {
		if info, _ := h.svc.Get(n); info.Options.AllowLAN {
			t.Errorf("%s got Allow LAN", n)
		}
	}
}

// Several full tunnels in one import are asked about one after the other.
func TestScopePromptsOneAfterAnother(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.waitFor("the snapshot", func() bool { return h.ui.connected })
	dir := t.TempDir()
	var paths []string
	for _, n := range []string{"a", "b"} {
		p := filepath.Join(dir, n+".conf")
		if err := os.WriteFile(p, []byte(routerOSFullText(t)), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	h.ui.importFiles(paths)
	h.waitFor("the first prompt", func() bool { return h.ui.lastScope != nil })
	if h.ui.lastScope.name != "a" {
		t.Fatalf("first prompt for %s", h.ui.lastScope.name)
	}
	test.Tap(h.ui.lastScope.cancel)
	h.waitFor("the second prompt", func() bool { return h.ui.lastScope.name == "b" })
}

// The editor's Traffic control rewrites the AllowedIPs of the text and
// follows it; the kill switch checks come and go with the full tunnel.
func TestEditorTrafficControl(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.svc.SetFirewall(platform.FirewallSupport{KillSwitch: true, AllowLAN: true})
	cfg, _, err := config.Parse([]byte(routerOSFullText(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Import("home", cfg); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the tunnel", func() bool { return h.shows("home") })
	e := h.openEditorOf("home")
	orig := e.text.Text
	if !e.scope.box.Visible() || e.scope.sel.Selected != scopeAllLabel {
		t.Fatalf("Traffic control: visible %v, selected %q", e.scope.box.Visible(), e.scope.sel.Selected)
	}
	e.scope.sel.SetSelected(scopePrivateLabel)
	sameButAllowedIPs(t, orig, e.text.Text)
	if !strings.Contains(allowedLine(e.text.Text), "192.168.88.1/32") || !e.opts.box.Visible() || !e.opts.allowLAN.Checked {
		t.Errorf("private: %s, kill switch shown %v, allow LAN %v", allowedLine(e.text.Text), e.opts.box.Visible(), e.opts.allowLAN.Checked)
	}
	e.scope.sel.SetSelected(scopeRouterLabel)
	if got := allowedLine(e.text.Text); got != "10.8.0.0/24, 192.168.88.0/24" || e.opts.box.Visible() {
		t.Errorf("router: %s, kill switch shown %v", got, e.opts.box.Visible())
	}
	// Typing follows: the text's own list stays the router's networks.
	e.text.SetText(strings.Replace(e.text.Text, "10.8.0.0/24, 192.168.88.0/24", "192.168.88.0/24", 1))
	if e.scope.sel.Selected != scopeRouterLabel {
		t.Errorf("typed list: %q", e.scope.sel.Selected)
	}
	e.scope.sel.SetSelected(scopeAllLabel)
	// ::/0 went with the router's networks; all traffic brings
	// 0.0.0.0/0 back, the rest of the text as it was.
	if got := allowedLine(e.text.Text); got != "0.0.0.0/0" {
		t.Errorf("all: %s", got)
	}
	sameButAllowedIPs(t, orig, e.text.Text)
	// Several split peers: nothing to scope.
	e.text.SetText(string(testConfig(t).Marshal()))
	if e.scope.box.Visible() {
		t.Error("Traffic control shown for two split peers")
	}
}

// The detail pane shows the service's subnet collision warnings.
func TestDetailShowsCollisionWarnings(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.svc.SetConnectedSubnets([]config.LocalSubnet{{Prefix: netip.MustParsePrefix("10.9.0.0/24"), Interface: "wlan0"}})
	if err := h.svc.Import("office", testConfig(t)); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the tunnel", func() bool { return h.shows("office") })
	h.selectShown("office")
	if !hasText(h.ui.detail, "Warning: The tunnel's 10.9.0.0/24 is also the LAN on wlan0") {
		t.Errorf("detail lacks the warning: %q", texts(h.ui.detail))
	}
}
