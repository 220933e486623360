//go:build cgo

package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/wgdesk/wgdesk/config"
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

// flakyStore fails the first import after a delete.
type flakyStore struct {
	Client
	calls []string
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
