//go:build cgo

package app

import (
	"image/png"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/platform"
	"github.com/wgdesk/wgdesk/tunnel"
)

// fullTestConfig routes everything into the tunnel.
func fullTestConfig(t *testing.T) *config.Config {
	c := testConfig(t)
	c.Peers = c.Peers[:1]
	c.Peers[0].AllowedIPs = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
	return c
}

// findCheck finds the check labelled text under o.
func findCheck(o fyne.CanvasObject, text string) *widget.Check {
	var found *widget.Check
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if found != nil || o == nil || !o.Visible() {
			return
		}
		switch v := o.(type) {
		case *widget.Check:
			if v.Text == text {
				found = v
			}
		case *widget.Card:
			walk(v.Content)
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return found
}

func (h *harness) selectShown(name string) {
	h.t.Helper()
	h.waitFor(name, func() bool { return h.shows(name) })
	test.Tap(h.ui.rows[name])
	if h.ui.selected != name {
		h.t.Fatalf("%s not selected", name)
	}
}

func TestKillSwitchChecksInTheDetailPane(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.svc.SetFirewall(platform.FirewallSupport{KillSwitch: true}) // Windows
	if err := h.svc.Import("home", fullTestConfig(t)); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Import("office", testConfig(t)); err != nil {
		t.Fatal(err)
	}

	// A split tunnel has nothing to protect: no checks.
	h.selectShown("office")
	if findCheck(h.ui.detail, killSwitchLabel) != nil || hasText(h.ui.detail, "Leak protection") {
		t.Errorf("a split tunnel shows the kill switch: %q", texts(h.ui.detail))
	}

	h.selectShown("home")
	ks, lan := findCheck(h.ui.detail, killSwitchLabel), findCheck(h.ui.detail, allowLANLabel)
	if ks == nil || lan == nil {
		t.Fatalf("no kill switch checks for a full tunnel: %q", texts(h.ui.detail))
	}
	if !ks.Checked || ks.Disabled() || lan.Checked || !lan.Disabled() {
		t.Errorf("defaults: kill switch %v (disabled %v), allow lan %v (disabled %v)", ks.Checked, ks.Disabled(), lan.Checked, lan.Disabled())
	}
	for _, want := range []string{"On: while the tunnel is up, everything outside it will be blocked.", "Allowing the local network is not available on this system yet."} {
		if !hasText(h.ui.detail, want) {
			t.Errorf("detail lacks %q: %q", want, texts(h.ui.detail))
		}
	}

	// Up: in force now.
	test.Tap(h.ui.rows["home"].toggle)
	h.waitFor("home active", func() bool {
		return !h.ui.busy["home"] && hasText(h.ui.detail, "On: everything outside the tunnel is blocked.")
	})

	saveScreenshot(t, h, "kill-switch.png")

	// Off from the pane reaches the service.
	test.Tap(ks)
	h.waitFor("kill switch off", func() bool { return !h.ui.pane.options.busy && hasText(h.ui.detail, "Off: if the tunnel drops") })
	if info, _ := h.svc.Get("home"); info.Options.KillSwitch != tunnel.KillSwitchOff || info.KillSwitch != tunnel.KillSwitchDisabled {
		t.Errorf("service after unchecking: %+v, %s", info.Options, info.KillSwitch)
	}
	if ks.Checked || !lan.Disabled() {
		t.Errorf("after off: kill switch %v, allow lan disabled %v", ks.Checked, lan.Disabled())
	}
	test.Tap(ks)
	h.waitFor("kill switch on", func() bool { return hasText(h.ui.detail, "On: everything outside the tunnel is blocked.") })
	if info, _ := h.svc.Get("home"); info.Options.KillSwitch != tunnel.KillSwitchOn {
		t.Errorf("service after checking: %+v", info.Options)
	}
}

func TestAllowLANCheck(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.svc.SetFirewall(platform.FirewallSupport{KillSwitch: true, AllowLAN: true})
	if err := h.svc.Import("home", fullTestConfig(t)); err != nil {
		t.Fatal(err)
	}
	h.selectShown("home")
	lan := findCheck(h.ui.detail, allowLANLabel)
	if lan == nil || lan.Disabled() {
		t.Fatalf("allow lan check missing or disabled where it is available")
	}
	test.Tap(lan)
	h.waitFor("allow lan on", func() bool {
		return !h.ui.pane.options.busy && hasText(h.ui.detail, "will be blocked, except the local network.")
	})
	if info, _ := h.svc.Get("home"); !info.Options.AllowLAN || info.Options.KillSwitch != tunnel.KillSwitchAuto {
		t.Errorf("service after checking allow lan: %+v", info.Options)
	}

	test.Tap(lan)
	h.waitFor("allow lan off", func() bool { return !h.ui.pane.options.busy && hasText(h.ui.detail, "will be blocked.") })

	// The service refuses (its system lost Allow LAN since the window
	// last heard): an error names the tunnel, and the check falls back
	// to the service's value.
	h.svc.SetFirewall(platform.FirewallSupport{KillSwitch: true})
	if lan.Disabled() {
		t.Fatal("allow lan disabled before the service said anything")
	}
	test.Tap(lan)
	h.waitFor("the refusal", func() bool {
		top := h.topOverlay()
		return top != nil && hasText(top, "Could not change the kill switch of home")
	})
	h.waitFor("the check back", func() bool { return !h.ui.pane.options.busy && !lan.Checked })
	if info, _ := h.svc.Get("home"); info.Options.AllowLAN {
		t.Errorf("refused allow lan stored: %+v", info.Options)
	}
}

func TestKillSwitchNotAvailableSaysSo(t *testing.T) {
	h := newHarness(t, true, Options{})
	if err := h.svc.Import("home", fullTestConfig(t)); err != nil {
		t.Fatal(err)
	}
	h.selectShown("home")
	if !hasText(h.ui.detail, "On, but not available on this system yet: traffic outside the tunnel is not blocked.") {
		t.Errorf("detail without a firewall: %q", texts(h.ui.detail))
	}
	if lan := findCheck(h.ui.detail, allowLANLabel); lan == nil || !lan.Disabled() {
		t.Errorf("allow lan enabled where it is not available")
	}
}

func TestRenameKeepsTheOptions(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.svc.SetFirewall(platform.FirewallSupport{KillSwitch: true})
	if err := h.svc.Import("home", fullTestConfig(t)); err != nil {
		t.Fatal(err)
	}
	h.selectShown("home")
	test.Tap(findCheck(h.ui.detail, killSwitchLabel))
	h.waitFor("kill switch off", func() bool { return !h.ui.pane.options.busy && hasText(h.ui.detail, "Off: if the tunnel drops") })
	h.ui.rename("home", "house")
	h.waitFor("house", func() bool { return h.shows("house") && !h.shows("home") })
	if info, err := h.svc.Get("house"); err != nil || info.Options.KillSwitch != tunnel.KillSwitchOff {
		t.Errorf("renamed tunnel's options: %+v, %v", info.Options, err)
	}
}

// saveScreenshot writes the window, as the test app draws it, to
// $WGDESK_SCREENSHOT_DIR/name when that is set (for the README).
func saveScreenshot(t *testing.T, h *harness, name string) {
	dir := os.Getenv("WGDESK_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	h.ui.win.Resize(fyne.NewSize(900, 700))
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, h.ui.win.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
}
