//go:build cgo

package app

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/wgdesk/wgdesk/platform"
)

// "Connect when the computer starts" is in the pane of every tunnel, split
// and full, shows the stored setting and changes it in the service.
func TestAutostartCheckInTheDetailPane(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.svc.SetFirewall(platform.FirewallSupport{KillSwitch: true})
	if err := h.svc.Import("home", fullTestConfig(t)); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Import("office", testConfig(t)); err != nil {
		t.Fatal(err)
	}

	h.selectShown("office")
	auto := findCheck(h.ui.detail, autostartLabel)
	if auto == nil || auto.Checked || auto.Disabled() {
		t.Fatalf("split tunnel: autostart check %v; texts %q", auto, texts(h.ui.detail))
	}
	if !hasText(h.ui.detail, autostartNote) {
		t.Errorf("the check's note is missing: %q", texts(h.ui.detail))
	}
	test.Tap(auto)
	h.waitFor("autostart on", func() bool {
		info, _ := h.svc.Get("office")
		return !h.ui.pane.options.busy && info.Options.Autostart
	})
	if info, _ := h.svc.Get("office"); info.Options.KillSwitch != "auto" || info.Options.AllowLAN {
		t.Errorf("autostart changed the other options: %+v", info.Options)
	}

	// A full tunnel has it beside the kill switch; the kill switch from
	// the pane keeps autostart as stored.
	h.selectShown("home")
	auto, ks := findCheck(h.ui.detail, autostartLabel), findCheck(h.ui.detail, killSwitchLabel)
	if auto == nil || ks == nil || auto.Checked {
		t.Fatalf("full tunnel: autostart %v, kill switch %v", auto, ks)
	}
	test.Tap(auto)
	h.waitFor("home autostart on", func() bool {
		info, _ := h.svc.Get("home")
		return !h.ui.pane.options.busy && info.Options.Autostart
	})
	test.Tap(ks)
	h.waitFor("kill switch off", func() bool { return !h.ui.pane.options.busy && hasText(h.ui.detail, "Off: if the tunnel drops") })
	if info, _ := h.svc.Get("home"); !info.Options.Autostart || info.Options.KillSwitch != "off" {
		t.Errorf("after the kill switch went off: %+v", info.Options)
	}

	// Back to office: the check shows the service's value.
	h.selectShown("office")
	if auto := findCheck(h.ui.detail, autostartLabel); auto == nil || !auto.Checked {
		t.Errorf("office's check does not show autostart on")
	}
	test.Tap(findCheck(h.ui.detail, autostartLabel))
	h.waitFor("autostart off", func() bool {
		info, _ := h.svc.Get("office")
		return !h.ui.pane.options.busy && !info.Options.Autostart
	})
}
