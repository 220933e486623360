//go:build cgo

package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/platform"
	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

func TestCheckConfigText(t *testing.T) {
	good := string(testConfig(t).Marshal())
	if problem, _, line := checkConfigText(good); problem != "" || line != 0 {
		t.Errorf("valid config: %s", problem)
	}
	bad := strings.Replace(good, "MTU = 1380", "MTU = lots", 1)
	problem, _, line := checkConfigText(bad)
	if !strings.Contains(problem, "line ") || !strings.Contains(problem, "MTU") {
		t.Errorf("bad MTU: %q", problem)
	}
	if want := 1 + strings.Count(bad[:strings.Index(bad, "MTU = lots")], "\n"); line != want {
		t.Errorf("bad MTU reported at line %d, want %d", line, want)
	}
}

func TestEditorSavesValidChanges(t *testing.T) {
	h := newHarness(t, true, Options{})
	if err := h.svc.Import("office", testConfig(t)); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the tunnel", func() bool { return h.shows("office") })
	test.Tap(findButton(h.ui.detail, "Edit…"))
	h.waitFor("the editor", func() bool { return h.ui.lastEditor != nil })
	e := h.ui.lastEditor
	if !strings.Contains(e.text.Text, "PrivateKey = ") || !e.save.Disabled() || e.status.Text != "No changes." {
		t.Fatalf("fresh editor: save disabled=%v status %q", e.save.Disabled(), e.status.Text)
	}

	orig := e.text.Text
	e.text.SetText(strings.Replace(orig, "MTU = 1380", "MTU = lots", 1))
	if !e.save.Disabled() || !strings.Contains(e.status.Text, "MTU") {
		t.Errorf("invalid text: save disabled=%v status %q", e.save.Disabled(), e.status.Text)
	}
	// The bad line is marked: a button takes the cursor there.
	badLine := 1 + strings.Count(orig[:strings.Index(orig, "MTU = 1380")], "\n")
	if !e.gotoErr.Visible() || e.gotoErr.Text != fmt.Sprintf("Go to line %d", badLine) {
		t.Fatalf("no way to the bad line: visible=%v %q", e.gotoErr.Visible(), e.gotoErr.Text)
	}
	e.text.CursorRow = 0
	test.Tap(e.gotoErr)
	if e.text.CursorRow != badLine-1 {
		t.Errorf("cursor on row %d after Go to line, want %d", e.text.CursorRow, badLine-1)
	}
	e.text.SetText(strings.Replace(orig, "MTU = 1380", "MTU = 1280", 1))
	if e.gotoErr.Visible() {
		t.Error("Go to line still shown for valid text")
	}
	if e.save.Disabled() {
		t.Fatalf("valid change: save disabled, status %q", e.status.Text)
	}
	test.Tap(e.save)
	h.waitFor("the save", func() bool { return e.status.Text == "Saved." })
	cfg, err := h.svc.Config("office")
	if err != nil || cfg.Interface.MTU != 1280 {
		t.Errorf("stored MTU after save: %v, %v", cfg, err)
	}
}

// flakyStore refuses to import the text "new", and with refuseOptions
// every SetOptions.
type flakyStore struct {
	Client
	calls         []string
	refuseOptions bool
}

func (f *flakyStore) SetOptions(_ context.Context, name string, o api.OptionsJSON) (api.TunnelJSON, error) {
	f.calls = append(f.calls, fmt.Sprintf("options %s %s/%v", name, o.KillSwitch, o.AllowLAN))
	if f.refuseOptions {
		return api.TunnelJSON{}, errors.New("refused")
	}
	return api.TunnelJSON{Name: name, Options: &o}, nil
}

func (f *flakyStore) Delete(_ context.Context, name string) error {
	f.calls = append(f.calls, "delete "+name)
	return nil
}

func (f *flakyStore) Import(_ context.Context, name, text string) ([]config.Warning, error) {
	f.calls = append(f.calls, "import "+name+" "+text)
	if text == "new" {
		return nil, errors.New("refused")
	}
	return nil, nil
}

func TestSaveTextAndOptions(t *testing.T) {
	on := &api.OptionsJSON{KillSwitch: "on", AllowLAN: true}
	def := &api.OptionsJSON{KillSwitch: "auto"}
	off := api.OptionsJSON{KillSwitch: "off"}
	for _, c := range []struct {
		name            string
		newText         string
		stored          *api.OptionsJSON
		want            api.OptionsJSON
		refuseOptions   bool
		calls           string
		now             *api.OptionsJSON
		textErr, optErr bool
	}{
		{name: "nothing changed", newText: "old", stored: on, want: *on, now: on},
		{name: "options only", newText: "old", stored: def, want: off, calls: "options office off/false", now: &off},
		{name: "text only, default options", newText: "ok", stored: def, want: *def, calls: "delete office; import office ok", now: def},
		{name: "text only, options sent again", newText: "ok", stored: on, want: *on,
			calls: "delete office; import office ok; options office on/true", now: on},
		{name: "text and options", newText: "ok", stored: on, want: off,
			calls: "delete office; import office ok; options office off/false", now: &off},
		{name: "text refused, options restored", newText: "new", stored: on, want: off,
			calls: "delete office; import office new; import office old; options office on/true", now: on, textErr: true},
		{name: "text refused, default options", newText: "new", stored: def, want: off,
			calls: "delete office; import office new; import office old", now: def, textErr: true},
		{name: "options refused after the text", newText: "ok", stored: on, want: *on, refuseOptions: true,
			calls: "delete office; import office ok; options office on/true", now: def, optErr: true},
		{name: "a service without options", newText: "ok", stored: nil, want: off, calls: "delete office; import office ok"},
	} {
		f := &flakyStore{refuseOptions: c.refuseOptions}
		now, err, optErr := saveTextAndOptions(context.Background(), f, "office", "old", c.newText, c.stored, c.want, t.Logf)
		if got := strings.Join(f.calls, "; "); got != c.calls {
			t.Errorf("%s: calls %q, want %q", c.name, got, c.calls)
		}
		if (err != nil) != c.textErr || (optErr != nil) != c.optErr {
			t.Errorf("%s: text error %v, options error %v", c.name, err, optErr)
		}
		if (now == nil) != (c.now == nil) || now != nil && *now != *c.now {
			t.Errorf("%s: options now %+v, want %+v", c.name, now, c.now)
		}
	}
}

func TestReplaceConfigRestoresOnFailure(t *testing.T) {
	f := &flakyStore{}
	err := replaceConfig(context.Background(), f, "office", "old", "new")
	if err == nil || !strings.Contains(err.Error(), "the old one is back") {
		t.Errorf("error %v", err)
	}
	if got := strings.Join(f.calls, "; "); got != "delete office; import office new; import office old" {
		t.Errorf("calls: %s", got)
	}
}

// openEditorOf selects name and opens its editor from the detail pane.
func (h *harness) openEditorOf(name string) *editor {
	h.t.Helper()
	h.selectShown(name)
	h.ui.lastEditor = nil
	test.Tap(findButton(h.ui.detail, "Edit…"))
	h.waitFor("the editor of "+name, func() bool { return h.ui.lastEditor != nil })
	return h.ui.lastEditor
}

// optionsSent follows the fake service and returns a function that lists
// the options stored by every SetOptions so far, as "kill switch/allow
// lan".
func (h *harness) optionsSent() func() []string {
	h.t.Helper()
	ch, cancel := h.svc.Subscribe()
	h.t.Cleanup(cancel)
	var sent []string
	return func() []string {
		for {
			select {
			case ev := <-ch:
				if ev.Kind == tunnel.EventOptions {
					sent = append(sent, fmt.Sprintf("%s/%v", ev.Tunnel.Options.KillSwitch, ev.Tunnel.Options.AllowLAN))
				}
			default:
				return sent
			}
		}
	}
}

func TestEditorKillSwitchChecksFollowTheText(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.svc.SetFirewall(platform.FirewallSupport{KillSwitch: true})
	if err := h.svc.Import("office", testConfig(t)); err != nil {
		t.Fatal(err)
	}
	sent := h.optionsSent()
	e := h.openEditorOf("office")
	if findCheck(e.win.Content(), killSwitchLabel) != nil || hasText(e.win.Content(), "Leak protection") {
		t.Fatalf("the editor of a split tunnel shows the kill switch: %q", texts(e.win.Content()))
	}

	// The first peer now takes everything: the checks appear, with the
	// defaults (kill switch on, LAN blocked and not available here).
	split := e.text.Text
	if !strings.Contains(split, "AllowedIPs = 10.9.0.0/24") {
		t.Fatalf("unexpected text:\n%s", split)
	}
	full := strings.Replace(split, "AllowedIPs = 10.9.0.0/24", "AllowedIPs = 0.0.0.0/0", 1)
	e.text.SetText(full)
	ks, lan := findCheck(e.win.Content(), killSwitchLabel), findCheck(e.win.Content(), allowLANLabel)
	if ks == nil || lan == nil {
		t.Fatalf("no checks for a full tunnel: %q", texts(e.win.Content()))
	}
	if !ks.Checked || ks.Disabled() || lan.Checked || !lan.Disabled() {
		t.Errorf("defaults: kill switch %v (disabled %v), allow lan %v (disabled %v)", ks.Checked, ks.Disabled(), lan.Checked, lan.Disabled())
	}
	// The window made room for them: below the text, above the status.
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject
	text, status := pos(e.text).Y+e.text.Size().Height, pos(e.status).Y
	if ks.Size().Height == 0 || pos(ks).Y < text || pos(ks).Y+ks.Size().Height > pos(lan).Y || pos(lan).Y+lan.Size().Height > status {
		t.Errorf("checks at y %v (height %v) and %v (height %v) overlap each other, the text (ends at %v) or the status (at %v)",
			pos(ks).Y, ks.Size().Height, pos(lan).Y, lan.Size().Height, text, status)
	}
	// A half-typed line leaves them where they are; a split tunnel again
	// hides them.
	e.text.SetText(strings.Replace(split, "AllowedIPs = 10.9.0.0/24", "AllowedIPs = 0.0.0.0/", 1))
	if findCheck(e.win.Content(), killSwitchLabel) == nil {
		t.Error("the checks went away while the text did not parse")
	}
	e.text.SetText(strings.Replace(split, "AllowedIPs = 10.9.0.0/24", "AllowedIPs = 10.9.0.0/16", 1))
	if findCheck(e.win.Content(), killSwitchLabel) != nil {
		t.Error("the checks stayed for a split tunnel")
	}

	// Unchecking and checking again is no change; unchecked is.
	e.text.SetText(full)
	test.Tap(ks)
	if !lan.Disabled() || e.save.Disabled() {
		t.Errorf("kill switch off: allow lan disabled %v, save disabled %v", lan.Disabled(), e.save.Disabled())
	}
	test.Tap(ks)
	e.text.SetText(split)
	if !e.save.Disabled() || e.status.Text != "No changes." {
		t.Errorf("back to the start: save disabled %v, status %q", e.save.Disabled(), e.status.Text)
	}
	e.text.SetText(full)
	test.Tap(ks)
	test.Tap(e.save)
	h.waitFor("the save", func() bool { return e.status.Text == "Saved." })
	info, err := h.svc.Get("office")
	if err != nil || !info.FullTunnel || info.Options.KillSwitch != tunnel.KillSwitchOff {
		t.Fatalf("service after saving: full %v, options %+v, %v", info.FullTunnel, info.Options, err)
	}
	if got := strings.Join(sent(), " "); got != "off/false" {
		t.Errorf("SetOptions calls: %q, want off/false", got)
	}
	if ks.Checked || !e.save.Disabled() {
		t.Errorf("after the save: kill switch %v, save disabled %v", ks.Checked, e.save.Disabled())
	}
}

func TestEditorKeepsOptionsAcrossATextChange(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.svc.SetFirewall(platform.FirewallSupport{KillSwitch: true, AllowLAN: true})
	if err := h.svc.Import("home", fullTestConfig(t)); err != nil {
		t.Fatal(err)
	}
	stored := tunnel.Options{KillSwitch: tunnel.KillSwitchOn, AllowLAN: true, Autostart: true}
	if err := h.svc.SetOptions(context.Background(), "home", stored); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the options", func() bool { v, ok := h.ui.model.get("home"); return ok && v.Options != nil && v.Options.AllowLAN })
	sent := h.optionsSent()
	e := h.openEditorOf("home")
	ks, lan := findCheck(e.win.Content(), killSwitchLabel), findCheck(e.win.Content(), allowLANLabel)
	if ks == nil || lan == nil || !ks.Checked || !lan.Checked || lan.Disabled() {
		t.Fatalf("checks of a tunnel with the kill switch and allow lan on: %q", texts(e.win.Content()))
	}
	// Storing the text deletes and imports, which resets the options:
	// the editor sends them again, with those it does not show
	// (autostart).
	e.text.SetText(strings.Replace(e.text.Text, "MTU = 1380", "MTU = 1280", 1))
	test.Tap(e.save)
	h.waitFor("the save", func() bool { return e.status.Text == "Saved." })
	info, _ := h.svc.Get("home")
	if info.Config.Interface.MTU != 1280 || info.Options != stored {
		t.Errorf("service after saving: MTU %d, options %+v", info.Config.Interface.MTU, info.Options)
	}
	if got := strings.Join(sent(), " "); got != "on/true" {
		t.Errorf("SetOptions calls: %q, want on/true", got)
	}
}

func TestEditorChangesOptionsOfAnActiveTunnel(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.svc.SetFirewall(platform.FirewallSupport{KillSwitch: true, AllowLAN: true})
	if err := h.svc.Import("home", fullTestConfig(t)); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Up(context.Background(), "home"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("home active", func() bool { v, ok := h.ui.model.get("home"); return ok && v.State == tunnel.StateActive })
	sent := h.optionsSent()
	e := h.openEditorOf("home")
	// The text needs the tunnel down; the options alone do not.
	test.Tap(findCheck(e.win.Content(), allowLANLabel))
	test.Tap(e.save)
	h.waitFor("the save", func() bool { return e.status.Text == "Saved." })
	if info, _ := h.svc.Get("home"); info.State != tunnel.StateActive || info.Options != (tunnel.Options{KillSwitch: tunnel.KillSwitchAuto, AllowLAN: true}) {
		t.Errorf("service after saving: %s, options %+v", info.State, info.Options)
	}
	if got := strings.Join(sent(), " "); got != "auto/true" {
		t.Errorf("SetOptions calls: %q, want auto/true", got)
	}
	e.text.SetText(strings.Replace(e.text.Text, "MTU = 1380", "MTU = 1280", 1))
	test.Tap(e.save)
	if top := e.win.Canvas().Overlays().Top(); top == nil || !hasText(top, "Deactivate home before changing its config.") {
		t.Error("a text change of an active tunnel was not refused")
	}
}

func TestEditorRefusedOptionsKeepTheText(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.svc.SetFirewall(platform.FirewallSupport{KillSwitch: true, AllowLAN: true})
	if err := h.svc.Import("home", fullTestConfig(t)); err != nil {
		t.Fatal(err)
	}
	e := h.openEditorOf("home")
	lan := findCheck(e.win.Content(), allowLANLabel)
	test.Tap(lan)
	e.text.SetText(strings.Replace(e.text.Text, "MTU = 1380", "MTU = 1280", 1))
	// The system lost Allow LAN since the editor opened.
	h.svc.SetFirewall(platform.FirewallSupport{KillSwitch: true})
	test.Tap(e.save)
	h.waitFor("the refusal", func() bool {
		top := e.win.Canvas().Overlays().Top()
		return top != nil && hasText(top, "The config of home is saved, but its kill switch settings are not.")
	})
	top := e.win.Canvas().Overlays().Top()
	if !hasText(top, "This system cannot keep the local network reachable under the kill switch yet, so it stays blocked.") {
		t.Errorf("the refusal does not say why: %q", texts(top))
	}
	info, _ := h.svc.Get("home")
	if info.Config.Interface.MTU != 1280 || info.Options.AllowLAN {
		t.Errorf("service after the refusal: MTU %d, options %+v", info.Config.Interface.MTU, info.Options)
	}
	// The editor shows what the service kept: the text is saved, the
	// check is back off, nothing is left to save.
	if lan.Checked || !e.save.Disabled() || e.orig != e.text.Text {
		t.Errorf("editor after the refusal: allow lan %v, save disabled %v, text saved %v", lan.Checked, e.save.Disabled(), e.orig == e.text.Text)
	}
}

func TestEditorSavesOptionsChangedElsewhere(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.svc.SetFirewall(platform.FirewallSupport{KillSwitch: true})
	if err := h.svc.Import("home", fullTestConfig(t)); err != nil {
		t.Fatal(err)
	}
	e := h.openEditorOf("home")
	// The kill switch is turned off elsewhere (the detail pane, the
	// CLI) while the editor is open; the editor's checks were not
	// touched, so saving the text keeps it off.
	if err := h.svc.SetOptions(context.Background(), "home", tunnel.Options{KillSwitch: tunnel.KillSwitchOff}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the options", func() bool {
		v, ok := h.ui.model.get("home")
		return ok && v.Options != nil && v.Options.KillSwitch == "off"
	})
	e.text.SetText(strings.Replace(e.text.Text, "MTU = 1380", "MTU = 1280", 1))
	test.Tap(e.save)
	h.waitFor("the save", func() bool { return e.status.Text == "Saved." })
	info, _ := h.svc.Get("home")
	if info.Config.Interface.MTU != 1280 || info.Options.KillSwitch != tunnel.KillSwitchOff {
		t.Errorf("service after saving: MTU %d, options %+v", info.Config.Interface.MTU, info.Options)
	}
	if ks := findCheck(e.win.Content(), killSwitchLabel); ks == nil || ks.Checked {
		t.Error("the editor's kill switch check does not show the saved setting")
	}
}
