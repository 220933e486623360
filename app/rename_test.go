//go:build cgo

package app

import (
	"context"
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

func TestRenameDialogRenamesAndKeepsTheSelection(t *testing.T) {
	h := newHarness(t, true, Options{})
	cfg := testConfig(t)
	if err := h.svc.Import("home", cfg); err != nil {
		t.Fatal(err)
	}
	// "aaa" sorts first: it would be selected if the selection were lost.
	if err := h.svc.Import("aaa", testConfig(t)); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the tunnels", func() bool { return h.shows("home") && h.shows("aaa") })
	h.ui.selectTunnel("home")
	test.Tap(findButton(h.ui.detail, "Rename…"))
	r := h.ui.lastRename
	if r == nil || h.topOverlay() == nil {
		t.Fatal("no Rename dialog")
	}
	if !r.ok.Disabled() || r.status.Text != "That is its name already." {
		t.Errorf("unchanged name: ok disabled=%v, status %q", r.ok.Disabled(), r.status.Text)
	}
	r.entry.SetText("")
	test.Type(r.entry, "my home")
	if !r.ok.Disabled() || !strings.HasPrefix(r.status.Text, "Name may hold") {
		t.Errorf("bad name: ok disabled=%v, status %q", r.ok.Disabled(), r.status.Text)
	}
	test.Tap(r.ok) // disabled: nothing happens
	r.entry.SetText("aaa")
	if !r.ok.Disabled() || r.status.Text != "A tunnel named aaa exists already." {
		t.Errorf("taken name: ok disabled=%v, status %q", r.ok.Disabled(), r.status.Text)
	}
	// Names are unique ignoring case, as the service keeps them.
	r.entry.SetText("AAA")
	if !r.ok.Disabled() || r.status.Text != "A tunnel named AAA exists already." {
		t.Errorf("a name taken in other case: ok disabled=%v, status %q", r.ok.Disabled(), r.status.Text)
	}
	r.entry.SetText("Home")
	if !r.ok.Disabled() || !strings.Contains(r.status.Text, "only in capital letters") {
		t.Errorf("a change of case only: ok disabled=%v, status %q", r.ok.Disabled(), r.status.Text)
	}
	r.entry.SetText(strings.Repeat("x", 33))
	if !r.ok.Disabled() {
		t.Errorf("33 characters accepted")
	}
	r.entry.SetText("house")
	if r.ok.Disabled() || r.status.Text != "" {
		t.Fatalf("good name: ok disabled=%v, status %q", r.ok.Disabled(), r.status.Text)
	}
	test.Tap(r.ok)
	h.waitFor("the renamed tunnel, selected", func() bool {
		return h.shows("house") && !h.shows("home") && h.ui.selected == "house" && !h.ui.busy["home"]
	})
	got, err := h.svc.Config("house")
	if err != nil {
		t.Fatal(err)
	}
	if got.Interface.PrivateKey != cfg.Interface.PrivateKey || len(got.Peers) != len(cfg.Peers) {
		t.Errorf("the renamed tunnel holds another config")
	}
	if _, err := h.svc.Config("home"); !errors.Is(err, tunnel.ErrNotFound) {
		t.Errorf("old name still stored: %v", err)
	}
	if got := h.ui.app.Preferences().String(prefSelected); got != "house" {
		t.Errorf("remembered selection %q, want house", got)
	}
	if !hasText(h.ui.detail, "house") {
		t.Errorf("detail pane does not show the new name")
	}
}

func TestRenameRefusesAnActiveTunnel(t *testing.T) {
	h := newHarness(t, true, Options{})
	if err := h.svc.Import("home", testConfig(t)); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the tunnel", func() bool { return h.shows("home") })
	if err := h.svc.SetState("home", tunnel.StateActive); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the tunnel up", func() bool {
		v, _ := h.ui.model.get("home")
		return v.State == tunnel.StateActive
	})
	h.ui.selectTunnel("home")
	test.Tap(findButton(h.ui.detail, "Rename…"))
	if o := h.topOverlay(); o == nil || !hasText(o, "deactivate it first") {
		t.Fatal("no refusal naming the fix")
	}
	if h.ui.lastRename != nil {
		t.Errorf("a Rename dialog opened for an active tunnel")
	}
	if !h.shows("home") {
		t.Errorf("tunnel gone")
	}
}

func TestRenameTunnelAgainstTheService(t *testing.T) {
	h := newHarness(t, true, Options{})
	for _, n := range []string{"home", "office"} {
		if err := h.svc.Import(n, testConfig(t)); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	if err := renameTunnel(ctx, h.ui.client, "home", "office", nil); !api.IsCode(err, api.CodeExists) {
		t.Errorf("rename to a taken name: %v, want code %s", err, api.CodeExists)
	}
	if err := renameTunnel(ctx, h.ui.client, "home", "my home", nil); !errors.Is(err, tunnel.ErrBadName) {
		t.Errorf("rename to a bad name: %v", err)
	}
	if err := renameTunnel(ctx, h.ui.client, "gone", "new", nil); !api.IsCode(err, api.CodeNotFound) {
		t.Errorf("rename of a missing tunnel: %v", err)
	}
	if err := h.svc.SetState("home", tunnel.StateActive); err != nil {
		t.Fatal(err)
	}
	// The service refuses to delete an active tunnel: the copy goes again.
	if err := renameTunnel(ctx, h.ui.client, "home", "house", nil); !api.IsCode(err, api.CodeActive) || !strings.Contains(err.Error(), "copy is deleted again") {
		t.Errorf("rename of an active tunnel: %v", err)
	}
	var names []string
	for _, ti := range h.svc.List() {
		names = append(names, ti.Name)
	}
	if strings.Join(names, " ") != "home office" {
		t.Errorf("tunnels after the failed renames: %v", names)
	}
}

// undeletable fails every Delete, as a service that lost its store would.
type undeletable struct{ Client }

func (undeletable) Delete(context.Context, string) error { return errors.New("store is read-only") }

func TestRenameReportsALeftOverCopy(t *testing.T) {
	h := newHarness(t, true, Options{})
	if err := h.svc.Import("home", testConfig(t)); err != nil {
		t.Fatal(err)
	}
	err := renameTunnel(context.Background(), undeletable{h.ui.client}, "home", "house", nil)
	if err == nil || !strings.Contains(err.Error(), "the copy house is left over") {
		t.Errorf("error %v does not name the left-over copy", err)
	}
}
