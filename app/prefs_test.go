//go:build cgo

package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/wgdesk/wgdesk/tunnel"
)

// startUI starts a second UI on h's app (and so its preferences) and
// service, stopped at the end of the test.
func (h *harness) startUI(a fyne.App, opts Options) *UI {
	h.t.Helper()
	opts.Do, opts.RetryMin = h.ui.opts.Do, h.ui.opts.RetryMin
	u := New(a, h.ui.client, opts)
	u.Start()
	h.t.Cleanup(func() { h.stopUI(u) })
	return u
}

// stopUI stops u, running the work it queued meanwhile. Safe to call twice.
func (h *harness) stopUI(u *UI) {
	u.cancel()
	for {
		select {
		case f := <-h.queue:
			f()
		case <-u.done:
			return
		}
	}
}

func TestWindowSizeAndSelectionRemembered(t *testing.T) {
	h := newHarness(t, true, Options{})
	for _, name := range []string{"home", "office", "lab"} {
		if err := h.svc.Import(name, testConfig(t)); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.svc.SetState("lab", tunnel.StateActive); err != nil {
		t.Fatal(err)
	}
	first := h.startUI(h.ui.app, Options{})
	h.waitFor("the tunnels", func() bool { return len(first.rows) == 3 })
	if first.selected != "lab" {
		t.Fatalf("first run selected %q, want the active lab", first.selected)
	}
	if got := first.win.Canvas().Size(); got != defaultWindowSize {
		t.Errorf("first run window %v, want %v", got, defaultWindowSize)
	}
	test.Tap(first.rows["office"])
	first.win.Resize(fyne.NewSize(700, 480))
	first.win.Close()
	h.stopUI(first)

	second := h.startUI(h.ui.app, Options{})
	h.waitFor("the tunnels again", func() bool { return len(second.rows) == 3 })
	if second.selected != "office" {
		t.Errorf("second run selected %q, want office as chosen before", second.selected)
	}
	if got, want := second.win.Canvas().Size(), fyne.NewSize(700, 480); got != want {
		t.Errorf("second run window %v, want %v", got, want)
	}
	h.stopUI(second)

	// The remembered tunnel is gone: the active one is selected instead.
	if err := h.svc.Delete("office"); err != nil {
		t.Fatal(err)
	}
	third := h.startUI(h.ui.app, Options{})
	h.waitFor("the two tunnels", func() bool { return len(third.rows) == 2 })
	if third.selected != "lab" {
		t.Errorf("with office deleted %q is selected, want lab", third.selected)
	}
}

func TestSavedWindowSizeIgnoresSlivers(t *testing.T) {
	p := test.NewTempApp(t).Preferences()
	if got := savedWindowSize(p); got != defaultWindowSize {
		t.Errorf("nothing saved: %v", got)
	}
	p.SetFloat(prefWidth, 100)
	p.SetFloat(prefHeight, 600)
	if got := savedWindowSize(p); got != defaultWindowSize {
		t.Errorf("a 100 px wide window came back: %v", got)
	}
	p.SetFloat(prefWidth, 1024)
	if got := savedWindowSize(p); got != fyne.NewSize(1024, 600) {
		t.Errorf("saved 1024x600, got %v", got)
	}
}
