//go:build cgo

package app

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/wgdesk/wgdesk/internal/hints"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// fakeInstaller offers when offer is set and, on Install, waits for
// release, runs then (the test starts the service there) and returns err.
type fakeInstaller struct {
	mu       sync.Mutex
	offer    bool
	offers   int
	installs int
	release  chan struct{}
	then     func()
	err      error
}

func (f *fakeInstaller) Offer() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.offers++
	return f.offer
}

func (f *fakeInstaller) Install(progress func(string)) error {
	f.mu.Lock()
	f.installs++
	f.mu.Unlock()
	<-f.release
	progress("Created the local group wgdesk.")
	progress("Registered the service wgdesk.")
	if f.then != nil {
		f.then()
	}
	return f.err
}

// asHints shows goos's texts for the rest of the test.
func asHints(t *testing.T, goos string) {
	old := osHints
	osHints = func() hints.Hints { return hints.For(goos) }
	t.Cleanup(func() { osHints = old })
}

func TestInstallOfferInstallsAndConnects(t *testing.T) {
	asHints(t, "windows")
	inst := &fakeInstaller{offer: true, release: make(chan struct{})}
	h := newHarness(t, false, Options{Installer: inst})
	inst.then = h.serve // the installed service starts
	h.waitFor("the banner", func() bool { return h.ui.banner.Visible() })
	btn := findButton(h.ui.banner, "Install the service")
	if btn == nil {
		t.Fatalf("no install button in the banner: %q", texts(h.ui.banner))
	}
	for _, want := range []string{"sc start wgdesk", "wgdesk service install", "Run as administrator"} {
		if !strings.Contains(h.ui.bannerText.Text, want) {
			t.Errorf("banner lacks %q:\n%s", want, h.ui.bannerText.Text)
		}
	}
	test.Tap(btn)
	if !btn.Disabled() || btn.Text != "Installing…" {
		t.Errorf("while installing: disabled=%v text=%q", btn.Disabled(), btn.Text)
	}
	test.Tap(btn) // a second tap while installing does nothing
	close(inst.release)
	h.waitFor("the report", func() bool { return h.topOverlay() != nil })
	top := h.topOverlay()
	for _, want := range []string{"The wgdesk service is installed", "Registered the service wgdesk.", "net localgroup wgdesk %USERNAME% /add", "sign out and in again"} {
		if !hasText(top, want) {
			t.Errorf("report lacks %q: %q", want, texts(top))
		}
	}
	h.waitFor("the service", func() bool { return !h.ui.banner.Visible() })
	if btn.Visible() || btn.Disabled() || btn.Text != "Install the service" {
		t.Errorf("after the install: visible=%v disabled=%v text=%q", btn.Visible(), btn.Disabled(), btn.Text)
	}
	if inst.installs != 1 {
		t.Errorf("%d installs, want 1", inst.installs)
	}
}

func TestInstallOfferShowsFailure(t *testing.T) {
	asHints(t, "windows")
	inst := &fakeInstaller{offer: true, release: make(chan struct{}), err: errors.New("create service wgdesk: Access is denied.")}
	close(inst.release)
	h := newHarness(t, false, Options{Installer: inst})
	h.waitFor("the banner", func() bool { return h.ui.banner.Visible() })
	btn := findButton(h.ui.banner, "Install the service")
	if btn == nil {
		t.Fatal("no install button")
	}
	test.Tap(btn)
	h.waitFor("the report", func() bool { return h.topOverlay() != nil })
	if top := h.topOverlay(); !hasText(top, "Could not install the service") || !hasText(top, "Access is denied.") {
		t.Errorf("report: %q", texts(top))
	}
	if !btn.Visible() || btn.Disabled() {
		t.Errorf("after a failure the offer stays: visible=%v disabled=%v", btn.Visible(), btn.Disabled())
	}
}

// No offer without an installer, when it declines (not an administrator,
// or installed already), or while the service answers.
func TestInstallNotOffered(t *testing.T) {
	h := newHarness(t, false, Options{})
	h.waitFor("the banner", func() bool { return h.ui.banner.Visible() })
	if findButton(h.ui.banner, "Install the service") != nil {
		t.Error("offered without an installer")
	}

	inst := &fakeInstaller{offer: false}
	h = newHarness(t, false, Options{Installer: inst})
	h.waitFor("the banner", func() bool { return h.ui.banner.Visible() })
	if findButton(h.ui.banner, "Install the service") != nil || inst.offers == 0 {
		t.Errorf("offered though the installer declines (asked %d times)", inst.offers)
	}

	inst = &fakeInstaller{offer: true}
	h = newHarness(t, true, Options{Installer: inst})
	h.waitFor("the service", func() bool { return h.ui.connected })
	if h.ui.installBtn.Visible() || inst.offers != 0 {
		t.Errorf("offered while the service answers: visible=%v, asked %d times", h.ui.installBtn.Visible(), inst.offers)
	}
}

// The banner speaks each OS's language.
func TestBannerHintsPerOS(t *testing.T) {
	denied := &api.Error{Code: api.CodePermissionDenied, Message: "no"}
	for _, tt := range []struct {
		goos       string
		down, deny []string // commands the banner shows on lines of their own
		never      []string
	}{
		{"linux", []string{"sudo systemctl start wgdesk", "sudo wgdesk service"}, []string{"sudo usermod -aG wgdesk $USER"}, nil},
		{"darwin", []string{"sudo wgdesk service install", "sudo launchctl kickstart -k system/io.github.wgdesk.service"}, []string{"sudo dseditgroup -o edit -a $USER -t user wgdesk"}, []string{"systemctl", "usermod", " /run/"}},
		{"windows", []string{"sc start wgdesk", "wgdesk service install"}, []string{"net localgroup wgdesk %USERNAME% /add"}, []string{"sudo", "systemctl", "usermod", " /run/"}},
	} {
		asHints(t, tt.goos)
		socket := map[string]string{"linux": "/run/wgdesk/wgdesk.sock", "darwin": "/var/run/wgdesk/wgdesk.sock", "windows": `\\.\pipe\wgdesk`}[tt.goos]
		for _, c := range []struct {
			err  error
			want []string
		}{{api.ErrServiceDown, tt.down}, {denied, tt.deny}} {
			msg := bannerMessage(c.err, socket)
			var code []string
			for _, s := range bannerSegments(msg) {
				if ts := s.(*widget.TextSegment); ts.Style.TextStyle.Monospace {
					code = append(code, ts.Text)
				}
			}
			if strings.Join(code, "|") != strings.Join(c.want, "|") {
				t.Errorf("%s: %v: commands %q, want %q in\n%s", tt.goos, c.err, code, c.want, msg)
			}
			for _, w := range tt.never {
				if strings.Contains(msg, w) {
					t.Errorf("%s: banner says %q:\n%s", tt.goos, w, msg)
				}
			}
		}
	}
}
