//go:build cgo

package app

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"github.com/wgdesk/wgdesk/app/tray"
	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
)

// now is 12 s after the fake service's handshakes.
var now = apitest.Since.Add(time.Minute + 12*time.Second)

func TestImportZipAndQRImageAreListed(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.waitFor("the snapshot", func() bool { return h.ui.connected })
	if !hasText(h.ui.list, "No tunnels yet") {
		t.Errorf("empty list does not say so: %q", texts(h.ui.list))
	}

	h.ui.importFiles([]string{"../config/testdata/tunnels.zip", "../config/testdata/routeros-qr-screenshot.png"})
	h.waitFor("the import summary", func() bool { return h.ui.summary != "" })
	h.waitFor("the imported tunnels", func() bool { return len(h.rowNames()) == 3 })

	if got, want := h.rowNames(), []string{"home", "office", "routeros-qr-screenshot"}; !slices.Equal(got, want) {
		t.Errorf("rows %q, want %q", got, want)
	}
	for _, want := range []string{
		"Imported 3 tunnels:",
		"• home (from ../config/testdata/tunnels.zip:home.conf)",
		"• routeros-qr-screenshot (from ../config/testdata/routeros-qr-screenshot.png)",
		"Rejected 1 entry:\n• ../config/testdata/tunnels.zip:broken.conf: Line 6",
		"Skipped (not WireGuard configs):\n• ../config/testdata/tunnels.zip:README.txt",
	} {
		if !strings.Contains(h.ui.summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, h.ui.summary)
		}
	}
	if top := h.topOverlay(); top == nil || !hasText(top, "Imported 3 tunnels") {
		t.Errorf("no summary dialog on the window")
	}
	// The QR code's config reached the service whole: its peer is there.
	info, err := h.svc.Get("routeros-qr-screenshot")
	if err != nil || len(info.Config.Peers) != 1 || info.Config.Peers[0].Endpoint.String() != "vpn.example.com:13231" {
		t.Errorf("stored QR tunnel %+v, %v", info.Config, err)
	}

	// Importing the zip again stores the same configs under new names.
	h.ui.summary = ""
	h.ui.importFiles([]string{"../config/testdata/tunnels.zip"})
	h.waitFor("the second summary", func() bool { return h.ui.summary != "" })
	h.waitFor("the renamed tunnels", func() bool { return h.shows("home-2") && h.shows("office-2") })
}

func TestPasteImportsClipboardText(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.waitFor("the snapshot", func() bool { return h.ui.connected })
	h.ui.app.Clipboard().SetContent(string(testConfig(t).Marshal()))
	test.Tap(findButton(h.ui.win.Content(), "Paste"))
	h.waitFor("the pasted tunnel", func() bool { return h.shows("tunnel") && h.ui.summary != "" })
	if !strings.Contains(h.ui.summary, "• tunnel (from pasted text)") {
		t.Errorf("summary:\n%s", h.ui.summary)
	}

	h.ui.summary = ""
	h.ui.app.Clipboard().SetContent("hello")
	h.ui.importClipboard()
	h.waitFor("the summary", func() bool { return h.ui.summary != "" })
	if !strings.Contains(h.ui.summary, "Rejected 1 entry:\n• pasted text: ") {
		t.Errorf("summary of a bad paste:\n%s", h.ui.summary)
	}
}

func TestToggleShowsStateInListDetailAndTray(t *testing.T) {
	h := newHarness(t, true, Options{Now: func() time.Time { return now }})
	cfg := testConfig(t)
	if err := h.svc.Import("office", cfg); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Import("home", testConfig(t)); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the tunnels", func() bool { return h.shows("office") && h.shows("home") })
	if got := h.ui.trayIcon; got != tray.IconDisconnected {
		t.Errorf("tray icon %v before, want disconnected", got)
	}

	row := h.ui.rows["office"]
	test.Tap(row)
	if h.ui.selected != "office" || !hasText(h.ui.detail, "office") {
		t.Fatalf("tapping the row did not select office: %q", texts(h.ui.detail))
	}
	pub := cfg.Interface.PublicKey().String()
	for _, want := range []string{"Inactive", pub, "10.9.0.2/32", "10.9.0.1", "51999", "1380", "10.8.0.0/16", "[::1]:51821", "never"} {
		if !hasText(h.ui.detail, want) {
			t.Errorf("inactive detail lacks %q: %q", want, texts(h.ui.detail))
		}
	}

	pane := h.ui.pane
	test.Tap(row.toggle)
	if !row.toggle.Disabled() {
		t.Errorf("switch not disabled while the service works")
	}
	h.waitFor("office active", func() bool { return row.badge.Text == "Active" && !h.ui.busy["office"] })
	if !row.toggle.Checked || row.toggle.Disabled() {
		t.Errorf("switch checked=%v disabled=%v after up", row.toggle.Checked, row.toggle.Disabled())
	}
	for _, want := range []string{"Active on wg-office", "12 s ago", "1000 B", "2.0 KiB", "3.9 KiB"} {
		if !hasText(h.ui.detail, want) {
			t.Errorf("active detail lacks %q: %q", want, texts(h.ui.detail))
		}
	}
	if h.ui.pane != pane {
		t.Errorf("the detail pane was rebuilt for a state change; only its live labels should change")
	}
	if got := h.ui.trayIcon; got != tray.IconConnected {
		t.Errorf("tray icon %v, want connected", got)
	}
	items := h.ui.trayMenu.Items
	if items[0].Label != "home" || items[0].Checked || items[1].Label != "office" || !items[1].Checked {
		t.Fatalf("tray menu starts %q checked=%v, %q checked=%v", items[0].Label, items[0].Checked, items[1].Label, items[1].Checked)
	}
	if last := items[len(items)-1]; !last.IsQuit {
		t.Errorf("last tray item %q is not the quit item", last.Label)
	}

	// The tray's entry brings it down again.
	items[1].Action()
	h.waitFor("office inactive", func() bool { return row.badge.Text == "Inactive" && !h.ui.busy["office"] })
	if row.toggle.Checked || h.ui.trayMenu.Items[1].Checked || h.ui.trayIcon != tray.IconDisconnected {
		t.Errorf("after down: switch %v, tray item %v, icon %v", row.toggle.Checked, h.ui.trayMenu.Items[1].Checked, h.ui.trayIcon)
	}

	// A change the service makes on its own shows too.
	if err := h.svc.SetState("home", "failed"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("home failed", func() bool { return h.ui.rows["home"].badge.Text == "Failed" })
	if h.ui.trayIcon != tray.IconError || h.ui.trayMenu.Items[0].Label != "home (failed)" {
		t.Errorf("tray after a failure: icon %v, item %q", h.ui.trayIcon, h.ui.trayMenu.Items[0].Label)
	}
}

func TestFailedUpShowsErrorAndResetsSwitch(t *testing.T) {
	h := newHarness(t, true, Options{})
	if err := h.svc.Import("office", testConfig(t)); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the tunnel", func() bool { return h.shows("office") })
	h.svc.SetUpErr(errors.New("no route to the router"))
	row := h.ui.rows["office"]
	test.Tap(row.toggle)
	h.waitFor("the answer", func() bool { return !h.ui.busy["office"] })
	top := h.topOverlay()
	if top == nil || !hasText(top, "Could not activate office") || !hasText(top, "No route to the router.") {
		t.Fatalf("no error dialog naming the cause")
	}
	if row.toggle.Checked || row.toggle.Disabled() || row.badge.Text != "Inactive" {
		t.Errorf("after a failed up: checked=%v disabled=%v badge=%q", row.toggle.Checked, row.toggle.Disabled(), row.badge.Text)
	}
}

func TestServiceDownShowsBannerUntilItStarts(t *testing.T) {
	asHints(t, "linux")
	h := newHarness(t, false, Options{})
	h.waitFor("the banner", func() bool { return h.ui.banner.Visible() })
	for _, want := range []string{"not running", "sudo systemctl start wgdesk", "sudo wgdesk service", h.socket} {
		if !strings.Contains(h.ui.bannerText.Text, want) {
			t.Errorf("banner lacks %q:\n%s", want, h.ui.bannerText.Text)
		}
	}
	if h.ui.trayIcon != tray.IconError || h.ui.trayMenu.Items[0].Label != "Service not running" {
		t.Errorf("tray while down: icon %v, first item %q", h.ui.trayIcon, h.ui.trayMenu.Items[0].Label)
	}
	// The window stays usable: the import dialog still opens.
	test.Tap(findButton(h.ui.win.Content(), "Import…"))
	if h.topOverlay() == nil {
		t.Errorf("import dialog did not open while the service is down")
	}
	h.ui.win.Canvas().Overlays().Top().Hide()
	h.ui.win.Canvas().Overlays().Remove(h.ui.win.Canvas().Overlays().Top())

	if err := h.svc.Import("home", testConfig(t)); err != nil {
		t.Fatal(err)
	}
	h.serve()
	test.Tap(findButton(h.ui.banner, "Retry now"))
	h.waitFor("the banner to go", func() bool { return !h.ui.banner.Visible() && h.shows("home") })

	// The service going away brings the banner back.
	h.stop()
	h.waitFor("the banner again", func() bool { return h.ui.banner.Visible() })
	if !strings.Contains(h.ui.bannerText.Text, "service stopped") {
		t.Errorf("banner after the service stopped:\n%s", h.ui.bannerText.Text)
	}
	if h.ui.win.Title() != "wgdesk — service not running" {
		t.Errorf("title %q", h.ui.win.Title())
	}
	if !h.ui.rows["home"].toggle.Disabled() {
		t.Errorf("switch enabled while the service is away")
	}
}

func TestDeleteAsksFirst(t *testing.T) {
	h := newHarness(t, true, Options{})
	if err := h.svc.Import("office", testConfig(t)); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the tunnel", func() bool { return h.shows("office") })
	test.Tap(findButton(h.ui.detail, "Delete…"))
	top := h.topOverlay()
	if top == nil || !hasText(top, "Delete office?") {
		t.Fatal("no confirmation")
	}
	test.Tap(findButton(top, "Cancel"))
	if _, err := h.svc.Get("office"); err != nil {
		t.Fatalf("deleted although refused: %v", err)
	}
	test.Tap(findButton(h.ui.detail, "Delete…"))
	test.Tap(findButton(h.topOverlay(), "Delete"))
	h.waitFor("the row to go", func() bool { return !h.shows("office") })
	if !hasText(h.ui.list, "No tunnels yet") {
		t.Errorf("list after delete: %q", texts(h.ui.list))
	}
}

func TestDropImportsFiles(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.waitFor("the snapshot", func() bool { return h.ui.connected })
	web, err := storage.ParseURI("https://example.com/office.conf")
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs("../config/testdata/tunnels.zip")
	if err != nil {
		t.Fatal(err)
	}
	h.ui.onDropped(fyne.NewPos(10, 10), []fyne.URI{web, storage.NewFileURI(abs)})
	h.waitFor("the dropped tunnels", func() bool { return h.shows("home") && h.shows("office") && h.ui.summary != "" })
	if strings.Contains(h.ui.summary, "example.com") {
		t.Errorf("a web link was imported:\n%s", h.ui.summary)
	}
}
