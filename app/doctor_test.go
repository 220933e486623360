//go:build cgo

package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/wgdesk/wgdesk/tunnel/doctor"
)

// failingDiagnosis is a report with a failed handshake and its RouterOS
// fix, a skipped check and an ok one.
var failingDiagnosis = doctor.Report{Checks: []doctor.Check{
	{ID: doctor.CheckEndpoint, Title: "Endpoint", Verdict: doctor.OK, Seen: "The endpoint is the address 198.51.100.1."},
	{ID: doctor.CheckHandshake, Title: "Handshake", Verdict: doctor.Fail,
		Seen: "No handshake: in 6 s this computer sent 444 bytes of handshake initiations to 198.51.100.1:51820 and received 0 bytes.",
		Fix:  "The router drops the initiations, or it does not know this computer's public key.",
		RouterOS: []string{
			`/ip firewall filter add action=accept chain=input comment="allow WireGuard" dst-port=51820 protocol=udp place-before=1`,
			`/interface wireguard peers add allowed-address=10.66.0.2/32 interface=wireguard1 public-key="PUB"`,
		}},
	{ID: doctor.CheckTraffic, Title: "Traffic through the tunnel", Verdict: doctor.Skipped, Seen: "Not checked without a handshake."},
}}

// The detail pane's Diagnose button opens the doctor's window: it runs
// the service's doctor (which activates the inactive tunnel and takes it
// down again), shows each verdict with its fix, copies the RouterOS
// commands, runs again, and says when the doctor could not run.
func TestDiagnoseWindow(t *testing.T) {
	h := newHarness(t, true, Options{})
	if err := h.svc.Import("office", testConfig(t)); err != nil {
		t.Fatal(err)
	}
	h.svc.SetDiagnosis("office", failingDiagnosis)
	h.waitFor("office in the list", func() bool { return h.shows("office") })
	h.ui.selectTunnel("office")
	btn := findButton(h.ui.detail, "Diagnose…")
	if btn == nil {
		t.Fatalf("no Diagnose button in the detail pane: %q", texts(h.ui.detail))
	}
	test.Tap(btn)
	v := h.ui.lastDoctor
	if v == nil || v.win.Title() != "Diagnose office" {
		t.Fatal("no Diagnose window")
	}
	if !strings.Contains(v.status.Text, "Checking office") || v.again.Disabled() == false {
		t.Errorf("while running: %q, Run again enabled %v", v.status.Text, !v.again.Disabled())
	}
	h.waitFor("the report", func() bool { return v.report != nil })
	content := v.win.Content()
	for _, want := range []string{
		"Found the trouble",
		"activated it for the checks and deactivated it again",
		"Endpoint: OK",
		"Handshake: Failed",
		"Fix: The router drops the initiations",
		"Traffic through the tunnel: Skipped",
		`public-key="PUB"`,
	} {
		if !hasText(content, want) {
			t.Errorf("the window lacks %q:\n%s", want, strings.Join(texts(content), "\n"))
		}
	}
	copyBtn := findButton(content, "Copy RouterOS commands")
	if copyBtn == nil || len(v.copies) != 1 {
		t.Fatalf("copy buttons: %d", len(v.copies))
	}
	test.Tap(copyBtn)
	want := strings.Join(failingDiagnosis.Checks[1].RouterOS, "\n") + "\n"
	if got := h.ui.app.Clipboard().Content(); got != want {
		t.Errorf("clipboard %q, want %q", got, want)
	}
	if info, _ := h.svc.Get("office"); info.State != "inactive" {
		t.Errorf("tunnel left %s", info.State)
	}

	// Run again, now healthy, from the window or from the pane's button.
	h.svc.SetDiagnosis("office", doctor.Report{Checks: []doctor.Check{{ID: doctor.CheckHandshake, Title: "Handshake", Verdict: doctor.OK, Seen: "fine"}}})
	v.report = nil
	test.Tap(v.again)
	h.waitFor("the second report", func() bool { return v.report != nil })
	if !strings.HasPrefix(v.status.Text, "Every check passed") || hasText(v.win.Content(), "Copy RouterOS commands") {
		t.Errorf("second run: %q\n%s", v.status.Text, strings.Join(texts(v.win.Content()), "\n"))
	}

	// The tunnel is gone: the window says the doctor could not run.
	if err := h.svc.Delete("office"); err != nil {
		t.Fatal(err)
	}
	test.Tap(v.again)
	h.waitFor("the error", func() bool { return strings.HasPrefix(v.status.Text, "The doctor could not run") })
	if len(v.checks.Objects) != 0 {
		t.Error("an old report stays after a failed run")
	}
	v.win.Close()
	if h.ui.lastDoctor != nil {
		t.Error("a closed window is still the open one")
	}
}
