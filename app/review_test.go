//go:build cgo

package app

import (
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// pressKey delivers a key as the desktop driver does: to the focused
// widget, else to the canvas's key handler.
func pressKey(c fyne.Canvas, name fyne.KeyName) {
	ev := &fyne.KeyEvent{Name: name}
	if f := c.Focused(); f != nil {
		f.TypedKey(ev)
	} else if h := c.OnTypedKey(); h != nil {
		h(ev)
	}
}

func TestNewTunnelKeysFocusAndTakenName(t *testing.T) {
	h := newHarness(t, true, Options{})
	if err := h.svc.Import("home", testConfig(t)); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the tunnel", func() bool { return h.shows("home") })
	c := h.ui.win.Canvas()

	h.ui.showNewTunnel()
	n := h.ui.newForm
	if got := n.entries["Name"].Text; got != "home-2" {
		t.Errorf("default name %q, want the free home-2", got)
	}
	if c.Focused() != n.entries["Router public key"] {
		t.Errorf("focus on %v, want the router's public key, the first field to fill", c.Focused())
	}
	// An empty field is asked for, not flagged as a mistake.
	if n.status.Importance == 0 || n.status.Text != "Enter the router's public key." || !n.create.Disabled() {
		t.Errorf("fresh form: %q importance %v", n.status.Text, n.status.Importance)
	}
	peer, _ := config.NewPrivateKey()
	n.entries["Router public key"].SetText(peer.PublicKey().String())
	n.entries["Router endpoint"].SetText("vpn.example.com:13231")
	n.entries["Name"].SetText("home")
	if !n.create.Disabled() || n.status.Text != "A tunnel named home exists already." {
		t.Errorf("taken name: create disabled=%v status %q", n.create.Disabled(), n.status.Text)
	}
	// Escape in a field closes the dialog without creating anything.
	c.Focus(n.entries["Name"])
	pressKey(c, fyne.KeyEscape)
	if h.topOverlay() != nil {
		t.Fatal("Escape left the New tunnel dialog open")
	}

	// Return in a field creates, and the new tunnel is selected.
	h.ui.showNewTunnel()
	n = h.ui.newForm
	n.entries["Router public key"].SetText(peer.PublicKey().String())
	n.entries["Router endpoint"].SetText("vpn.example.com:13231")
	n.entries["Router endpoint"].TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if h.topOverlay() != nil {
		t.Fatal("Return left the New tunnel dialog open")
	}
	h.waitFor("home-2 selected", func() bool { return h.shows("home-2") && h.ui.selected == "home-2" })
	if h.ui.summary != "" {
		t.Errorf("a created tunnel got an import summary:\n%s", h.ui.summary)
	}
}

func TestRenameKeysAndSelection(t *testing.T) {
	h := newHarness(t, true, Options{})
	if err := h.svc.Import("home", testConfig(t)); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the tunnel", func() bool { return h.shows("home") })
	c := h.ui.win.Canvas()

	h.ui.showRename("home")
	r := h.ui.lastRename
	if c.Focused() != r.entry {
		t.Fatal("the name field has no focus")
	}
	if r.entry.SelectedText() != "home" {
		t.Errorf("selected %q, want the old name so that typing replaces it", r.entry.SelectedText())
	}
	if r.status.Importance == 0 {
		t.Errorf("the unchanged name is shown as a mistake")
	}
	// Without focus, Escape reaches the dialog's own handler.
	c.Unfocus()
	pressKey(c, fyne.KeyEscape)
	if h.topOverlay() != nil {
		t.Fatal("Escape left the Rename dialog open")
	}
	if c.OnTypedKey() != nil {
		t.Error("the dialog's key handler outlived it")
	}

	h.ui.showRename("home")
	r = h.ui.lastRename
	test.Type(r.entry, "cabin") // replaces the selected old name
	pressKey(c, fyne.KeyReturn)
	h.waitFor("the renamed tunnel, selected", func() bool { return h.shows("cabin") && h.ui.selected == "cabin" })
}

func TestDeleteDialogKeys(t *testing.T) {
	h := newHarness(t, true, Options{})
	if err := h.svc.Import("home", testConfig(t)); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the tunnel", func() bool { return h.shows("home") })
	c := h.ui.win.Canvas()
	h.ui.confirmDelete("home")
	if findButton(h.topOverlay(), "Delete") == nil || findButton(h.topOverlay(), "Cancel") == nil {
		t.Fatalf("buttons %q, want Cancel and Delete", texts(h.topOverlay()))
	}
	pressKey(c, fyne.KeyReturn) // Return must not delete
	if h.topOverlay() == nil {
		t.Fatal("Return closed the Delete confirmation")
	}
	pressKey(c, fyne.KeyEscape)
	if h.topOverlay() != nil {
		t.Fatal("Escape left the Delete confirmation open")
	}
	if _, err := h.svc.Get("home"); err != nil {
		t.Fatalf("deleted by the keyboard: %v", err)
	}
}

func TestShortcutsWaitForOpenDialog(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.waitFor("the snapshot", func() bool { return h.ui.connected })
	sh, ok := h.ui.win.Canvas().(interface{ TypedShortcut(fyne.Shortcut) })
	if !ok {
		t.Fatal("the test canvas takes no shortcuts")
	}
	ctrlN := &desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault}
	sh.TypedShortcut(ctrlN)
	first := h.ui.newForm
	if first == nil || h.topOverlay() == nil {
		t.Fatal("Ctrl+N opened no New tunnel dialog")
	}
	sh.TypedShortcut(ctrlN)
	if h.ui.newForm != first {
		t.Fatal("Ctrl+N opened a second New tunnel dialog over the first")
	}
}

func TestEditorAsksBeforeDiscarding(t *testing.T) {
	h := newHarness(t, true, Options{})
	if err := h.svc.Import("home", testConfig(t)); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the tunnel", func() bool { return h.shows("home") })
	h.ui.openEditor("home", "[Interface]\nPrivateKey = x\n")
	e := h.ui.lastEditor
	if e.win.Canvas().Focused() != e.text {
		t.Error("the editor's text has no focus")
	}
	e.text.SetText(e.text.Text + "# changed\n")
	e.askClose()
	if e.discard == nil || e.win.Canvas().Overlays().Top() == nil {
		t.Fatal("closing with changes did not ask")
	}
	pressKey(e.win.Canvas(), fyne.KeyEscape) // keep editing
	if e.win.Canvas().Overlays().Top() != nil {
		t.Fatal("Escape did not dismiss the question")
	}
	e.askClose()
	e.discard.Confirm()
	// A closed test window forgets its content.
	if e.win.Content() != nil && e.win.Canvas().Overlays().Top() != nil {
		t.Error("Discard did not close the editor")
	}
}

func TestHumanText(t *testing.T) {
	_, _, perr := config.Parse([]byte("[Interface]\nPrivateKey = short\n"))
	if perr == nil {
		t.Fatal("a short key parsed")
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{api.ErrServiceDown, "The wgdesk service is not running."},
		{errors.New("no route to the router"), "No route to the router."},
		{errors.New("done already."), "Done already."},
		{&config.ParseError{Line: 8, Msg: "invalid MTU", Hint: "write a number"}, "Line 8: invalid MTU. Write a number."},
		{config.ErrNoQR, "No QR code was found in the image. Crop closer to the code or take a sharper picture."},
	} {
		if got := humanText(c.err); got != c.want {
			t.Errorf("humanText(%v) = %q, want %q", c.err, got, c.want)
		}
	}
	if got := humanText(perr); !strings.HasPrefix(got, "Line 2: ") || !strings.HasSuffix(got, ".") || strings.Contains(got, ": write") {
		t.Errorf("parse error as %q", got)
	}
}

func TestFlowLayoutWrapsWithoutHoldingWidth(t *testing.T) {
	objs := make([]fyne.CanvasObject, 5)
	for i := range objs {
		r := canvas.NewRectangle(nil)
		r.SetMinSize(fyne.NewSize(100, 30))
		objs[i] = r
	}
	l := newFlowLayout()
	box := container.New(l, objs...)
	box.Resize(fyne.NewSize(1000, 30))
	if m := l.MinSize(objs); m.Width != 100 || m.Height != 30 {
		t.Errorf("wide: min %v, want one row, widest object wide", m)
	}
	if objs[4].Position().Y != 0 {
		t.Errorf("wide: last object at %v, want on the first row", objs[4].Position())
	}
	box.Resize(fyne.NewSize(230, 200))
	// 100 + pad + 100 fits in 230, a third does not: rows of 2, 2, 1.
	if objs[2].Position().X != 0 || objs[2].Position().Y <= 0 || objs[4].Position().Y <= objs[2].Position().Y {
		t.Errorf("narrow: positions %v %v %v", objs[1].Position(), objs[2].Position(), objs[4].Position())
	}
	if m := l.MinSize(objs); m.Width != 100 || m.Height < 3*30 {
		t.Errorf("narrow: min %v, want the widest object's width and three rows", m)
	}
}

func TestBannerShowsCommandsAsCode(t *testing.T) {
	asHints(t, "linux")
	segs := bannerSegments(bannerMessage(api.ErrServiceDown, "/run/wgdesk/wgdesk.sock"))
	var code, prose []string
	for _, s := range segs {
		ts := s.(*widget.TextSegment)
		if ts.Style.TextStyle.Monospace {
			code = append(code, ts.Text)
		} else {
			prose = append(prose, ts.Text)
		}
	}
	if strings.Join(code, "|") != "sudo systemctl start wgdesk|sudo wgdesk service" {
		t.Errorf("commands in monospace: %q", code)
	}
	if len(prose) != 3 || !strings.HasPrefix(prose[0], "The wgdesk service is not running.") {
		t.Errorf("prose: %q", prose)
	}
}
