//go:build cgo

package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

func TestHumanBytes(t *testing.T) {
	for n, want := range map[uint64]string{
		0:             "0 B",
		1023:          "1023 B",
		1024:          "1.0 KiB",
		1536:          "1.5 KiB",
		5 << 20:       "5.0 MiB",
		3 << 30:       "3.0 GiB",
		1<<40 + 1<<39: "1.5 TiB",
	} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestAgo(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		0:                            "just now",
		12 * time.Second:             "12 s ago",
		59 * time.Second:             "59 s ago",
		3 * time.Minute:              "3 min ago",
		5*time.Hour + 59*time.Minute: "5 h ago",
		72 * time.Hour:               "3 days ago",
	} {
		if got := ago(now, now.Add(-d)); got != want {
			t.Errorf("ago(%s) = %q, want %q", d, got, want)
		}
	}
	if got := ago(now, time.Time{}); got != "never" {
		t.Errorf("ago(zero) = %q", got)
	}
}

func TestBannerMessage(t *testing.T) {
	asHints(t, "linux")
	down := fmt.Errorf("%w: start it", api.ErrServiceDown)
	if m := bannerMessage(down, "/run/x.sock"); !strings.Contains(m, "sudo systemctl start wgdesk") || !strings.Contains(m, "/run/x.sock") {
		t.Errorf("service down: %s", m)
	}
	denied := &api.Error{Code: api.CodePermissionDenied, Message: "permission denied"}
	if m := bannerMessage(fmt.Errorf("events: %w", denied), ""); !strings.Contains(m, "usermod -aG wgdesk") {
		t.Errorf("permission denied: %s", m)
	}
	if m := bannerMessage(io.EOF, ""); !strings.Contains(m, "service stopped") {
		t.Errorf("stream closed by the service: %s", m)
	}
	if m := bannerMessage(errors.New("read events: reset"), ""); !strings.Contains(m, "read events: reset") {
		t.Errorf("other: %s", m)
	}
}

func TestSummaryText(t *testing.T) {
	outs := []outcome{
		{Source: "a.zip:home.conf", Name: "home", Warnings: []string{"line 4: port doubled"}},
		{Source: "tunnel", Name: "tunnel"},
		{Source: "a.zip:bad.conf", Name: "bad", Err: errors.New("line 6: bad key")},
		{Source: "a.zip:README.txt", Skipped: true, Err: config.ErrSkipped},
	}
	want := "Imported 2 tunnels:\n" +
		"• home (from a.zip:home.conf)\n    Warning: Line 4: port doubled.\n" +
		"• tunnel\n\n" +
		"Rejected 1 entry:\n• a.zip:bad.conf: Line 6: bad key.\n\n" +
		"Skipped (not WireGuard configs):\n• a.zip:README.txt"
	if got := summaryText(outs); got != want {
		t.Errorf("summary:\n%s\nwant:\n%s", got, want)
	}
	if got := summaryText(nil); got != "Nothing to import." {
		t.Errorf("empty summary %q", got)
	}
}

// fakeImporter records imports and answers exists for taken names.
type fakeImporter struct {
	Client
	taken map[string]bool
	err   error
}

func (f *fakeImporter) Import(_ context.Context, name, text string) ([]config.Warning, error) {
	if f.err != nil {
		return nil, f.err
	}
	if f.taken[name] {
		return nil, &api.Error{Code: api.CodeExists, Message: "exists"}
	}
	f.taken[name] = true
	return []config.Warning{{Message: "from the service"}}, nil
}

func TestImportEntriesPicksFreeNames(t *testing.T) {
	cfg := testConfig(t)
	f := &fakeImporter{taken: map[string]bool{"home": true, "home-2": true}}
	outs := importEntries(context.Background(), f, []config.Imported{
		{Name: "home", Source: "home.conf", Config: cfg, Warnings: []config.Warning{{Line: 2, Message: "local"}}},
		{Name: "x", Source: "x.png", Err: config.ErrNoQR},
	})
	if len(outs) != 2 || outs[0].Name != "home-3" || outs[0].Err != nil {
		t.Fatalf("outcomes %+v", outs)
	}
	if got := strings.Join(outs[0].Warnings, "|"); got != "line 2: local|from the service" {
		t.Errorf("warnings %q", got)
	}
	if !errors.Is(outs[1].Err, config.ErrNoQR) || outs[1].Skipped {
		t.Errorf("QR failure %+v", outs[1])
	}

	f.err = fmt.Errorf("%w: start it", api.ErrServiceDown)
	outs = importEntries(context.Background(), f, []config.Imported{{Name: "a", Source: "a.conf", Config: cfg}})
	if !strings.Contains(summaryText(outs), "a.conf: The wgdesk service is not running.") {
		t.Errorf("service down summary:\n%s", summaryText(outs))
	}
}

func TestExportWritesOwnerOnlyFile(t *testing.T) {
	h := newHarness(t, true, Options{})
	cfg := testConfig(t)
	if err := h.svc.Import("office", cfg); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "office.conf")
	// The save dialog may have created the file with the default mode.
	if err := os.WriteFile(path, []byte("old and longer than the config will ever be, surely"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := exportTo(context.Background(), h.ui.client, "office", path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	got, _, err := config.Parse(data)
	if err != nil {
		t.Fatalf("exported file does not parse: %v\n%s", err, data)
	}
	if got.Interface.PrivateKey != cfg.Interface.PrivateKey {
		t.Errorf("exported private key differs")
	}
	if err := exportTo(context.Background(), h.ui.client, "nope", path); !api.IsCode(err, api.CodeNotFound) {
		t.Errorf("export of a missing tunnel: %v", err)
	}
}

func TestQRHoldsTheWholeConfig(t *testing.T) {
	h := newHarness(t, true, Options{})
	cfg := testConfig(t)
	if err := h.svc.Import("office", cfg); err != nil {
		t.Fatal(err)
	}
	png, err := qrPNG(context.Background(), h.ui.client, "office")
	if err != nil {
		t.Fatal(err)
	}
	text, err := config.DecodeQRFile(png)
	if err != nil {
		t.Fatal(err)
	}
	if text != string(cfg.Marshal()) {
		t.Errorf("QR text:\n%s\nwant:\n%s", text, cfg.Marshal())
	}
	h.waitFor("the tunnel", func() bool { return h.shows("office") })
	windows := len(h.ui.app.Driver().AllWindows())
	h.ui.showQR("office")
	h.waitFor("the QR window", func() bool { return len(h.ui.app.Driver().AllWindows()) == windows+1 })
}
