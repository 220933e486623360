//go:build cgo

package app

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/wgdesk/wgdesk/internal/loginstart"
)

func noLookPath(string) (string, error) { return "", errors.New("not on PATH") }

// spyWindow records Show, which the Fyne test driver does not model.
type spyWindow struct {
	fyne.Window
	shown *int
}

func (w spyWindow) Show() { *w.shown++; w.Window.Show() }

type spyApp struct {
	fyne.App
	shown int
}

func (a *spyApp) NewWindow(title string) fyne.Window {
	return spyWindow{a.App.NewWindow(title), &a.shown}
}

type spyTrayApp struct {
	trayApp
	shown int
}

func (a *spyTrayApp) NewWindow(title string) fyne.Window {
	return spyWindow{a.App.NewWindow(title), &a.shown}
}

// Started with --hidden the window stays hidden when a tray holds the
// app, and shows when there is none; started plainly it shows.
func TestShowAtLaunch(t *testing.T) {
	h := newHarness(t, false, Options{})
	for _, tc := range []struct {
		tray, hidden, want bool
	}{{true, true, false}, {true, false, true}, {false, true, true}, {false, false, true}} {
		var u *UI
		var shown *int
		if tc.tray {
			a := &spyTrayApp{trayApp: trayApp{App: test.NewTempApp(t)}}
			u, shown = New(a, h.ui.client, Options{Tray: true}), &a.shown
		} else {
			a := &spyApp{App: test.NewTempApp(t)}
			u, shown = New(a, h.ui.client, Options{Tray: true}), &a.shown // Tray asked, but the app has none
		}
		got := u.ShowAtLaunch(tc.hidden)
		if got != tc.want || (*shown > 0) != tc.want {
			t.Errorf("tray %v, hidden %v: showed %v (Show called %d times), want %v", tc.tray, tc.hidden, got, *shown, tc.want)
		}
	}
}

// The Settings dialog's check writes and removes the XDG entry; where
// the system cannot start the app at login, it is disabled with the
// sentence why.
func TestSettingsStartAtLogin(t *testing.T) {
	cfg := t.TempDir()
	x, err := loginstart.NewXDG(func(string) string { return cfg }, "", "/usr/bin/wgdesk", noLookPath)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, true, Options{Login: x})
	h.ui.showSettings()
	s := h.ui.lastSettings
	if s == nil || s.atLogin.Text != startAtLoginLabel || s.atLogin.Checked || s.atLogin.Disabled() {
		t.Fatalf("settings dialog: %+v", s)
	}
	path := filepath.Join(cfg, "autostart", "wgdesk.desktop")
	test.Tap(s.atLogin)
	if b, err := os.ReadFile(path); err != nil || !strings.Contains(string(b), "Exec=/usr/bin/wgdesk --hidden") {
		t.Errorf("after checking: %v\n%s", err, b)
	}
	s.d.Hide()
	h.ui.showSettings() // opened again, it shows what is stored
	s = h.ui.lastSettings
	if !s.atLogin.Checked {
		t.Error("the check does not show the stored entry")
	}
	test.Tap(s.atLogin)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after unchecking: %v", err)
	}
	s.d.Hide()

	mac := loginstart.Unavailable("Starting at login is not available on macOS yet; add wgdesk in System Settings > General > Login Items.")
	h.ui.opts.Login = mac
	h.ui.showSettings()
	s = h.ui.lastSettings
	if !s.atLogin.Disabled() || s.note.Text != string(mac) {
		t.Errorf("unavailable: disabled %v, note %q", s.atLogin.Disabled(), s.note.Text)
	}
	s.d.Hide()
}
