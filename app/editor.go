//go:build cgo

package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// editor is a window with a tunnel's full config text, checked by the
// parser on every keystroke, and, for a full tunnel, its kill switch and
// Allow LAN (editorOptions).
type editor struct {
	name   string
	orig   string // the text as the service had it
	win    fyne.Window
	text   *widget.Entry
	status *widget.Label
	save   *widget.Button
	// gotoErr moves the cursor to the line the parser complains about;
	// shown only while the text is invalid at a known line.
	gotoErr *widget.Button
	errLine int
	discard *dialog.ConfirmDialog // the last "Discard your changes?" asked
	opts    *editorOptions
	scope   *editorScope // the Traffic control (scopeeditor.go)
}

// checkConfigText is the editor's verdict on text: "" when it parses,
// else the parser's error with its line and hint, then any warnings.
func checkConfigText(text string) (problem, warnings string, line int) {
	_, problem, warnings, line = parseConfigText(text)
	return problem, warnings, line
}

// parseConfigText is checkConfigText that also returns the config, nil
// when the text does not parse.
func parseConfigText(text string) (cfg *config.Config, problem, warnings string, line int) {
	cfg, ws, err := config.Parse([]byte(text))
	if err != nil {
		var pe *config.ParseError
		if errors.As(err, &pe) {
			line = pe.Line
		}
		return nil, humanText(err), "", line
	}
	for i, w := range ws {
		if i > 0 {
			warnings += "\n"
		}
		warnings += "Warning: " + sentence(w.String())
	}
	return cfg, "", warnings, 0
}

// markErrorLine puts the cursor at the start of the line the parser
// complains about and focuses the text, so the user sees where to fix.
func (e *editor) markErrorLine() {
	if e.errLine <= 0 {
		return
	}
	e.text.CursorRow = e.errLine - 1
	e.text.CursorColumn = 0
	e.text.Refresh()
	e.win.Canvas().Focus(e.text)
}

func (e *editor) validate() {
	cfg, problem, warnings, line := parseConfigText(e.text.Text)
	moved := e.opts.follow(cfg)
	moved = e.scope.follow(cfg) || moved
	if c := e.win.Content(); moved && c != nil {
		c.Refresh() // lay out again around the checks that came or went
	}
	e.errLine = line
	if line > 0 {
		e.gotoErr.SetText(fmt.Sprintf("Go to line %d", line))
		e.gotoErr.Show()
	} else {
		e.gotoErr.Hide()
	}
	v := readyVerdict(strings.TrimSpace("Valid. "+warnings), widget.SuccessImportance)
	switch {
	case problem != "":
		v = problemVerdict(problem)
	case !e.unsaved():
		v = idleVerdict("No changes.")
	}
	v.show(e.status, e.save)
}

// replaceConfig stores text under name in place of the old config. The API
// has no update, so it deletes and imports again, and puts the old text
// back when the service refuses the new one. The tunnel must be down.
func replaceConfig(ctx context.Context, c Client, name, oldText, newText string) error {
	if err := c.Delete(ctx, name); err != nil {
		return fmt.Errorf("remove the old config of %s: %w", name, err)
	}
	if _, err := c.Import(ctx, name, newText); err != nil {
		if _, rerr := c.Import(ctx, name, oldText); rerr != nil {
			return fmt.Errorf("store the new config of %s: %w (and restoring the old one failed: %v)", name, err, rerr)
		}
		return fmt.Errorf("store the new config of %s (the old one is back): %w", name, err)
	}
	return nil
}

// showEditor fetches name's config and opens it in an editor window.
func (u *UI) showEditor(name string) {
	go func() {
		ctx, cancel := context.WithTimeout(u.ctx, opTimeout)
		defer cancel()
		text, err := u.client.Config(ctx, name)
		u.opts.Do(func() {
			if err != nil {
				u.showError("Could not read the config of "+name, err)
				return
			}
			u.openEditor(name, text)
		})
	}()
}

// unsaved reports whether the text or the checks differ from what the
// service has.
func (e *editor) unsaved() bool {
	return e.text.Text != e.orig || e.opts.changed()
}

func (u *UI) openEditor(name, text string) {
	var stored *api.OptionsJSON
	lanAvailable := false
	if v, ok := u.model.get(name); ok {
		stored, lanAvailable = v.Options, v.AllowLANAvailable
	}
	e := &editor{
		name:   name,
		orig:   text,
		win:    u.app.NewWindow("Edit " + name),
		text:   widget.NewMultiLineEntry(),
		status: widget.NewLabel(""),
	}
	e.text.TextStyle.Monospace = true
	e.text.SetText(text)
	e.status.Wrapping = fyne.TextWrapWord
	e.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), func() { u.saveEditor(e) })
	e.save.Importance = widget.HighImportance
	e.gotoErr = widget.NewButtonWithIcon("", theme.ErrorIcon(), e.markErrorLine)
	e.gotoErr.Hide()
	e.text.OnChanged = func(string) { e.validate() }
	e.opts = newEditorOptions(stored, lanAvailable, e.validate)
	e.scope = newEditorScope(e)
	note := widget.NewLabel("This text holds the private key. Saving replaces the stored config; the tunnel must be inactive.")
	note.Wrapping = fyne.TextWrapWord
	buttons := container.NewHBox(e.gotoErr, widget.NewButton("Close", e.askClose), e.save)
	e.win.SetContent(container.NewBorder(note, container.NewVBox(e.scope.box, e.opts.box, e.status, container.NewBorder(nil, nil, nil, buttons)), nil, nil, e.text))
	e.win.Resize(fyne.NewSize(640, 520))
	e.win.SetCloseIntercept(e.askClose)
	e.validate()
	e.win.Show()
	e.win.Canvas().Focus(e.text)
	u.lastEditor = e
}

// askClose closes the editor, after asking when it holds changes that
// were not saved: closing would lose them without a word.
func (e *editor) askClose() {
	if !e.unsaved() {
		e.win.Close()
		return
	}
	d := dialog.NewConfirm("Discard your changes?",
		"The changes to "+e.name+" are not saved. Close the editor and lose them?",
		func(discard bool) {
			if discard {
				e.win.Close()
			}
		}, e.win)
	d.SetConfirmText("Discard")
	d.SetDismissText("Keep editing")
	d.SetConfirmImportance(widget.DangerImportance)
	dialogKeys(e.win.Canvas(), d, func() {})
	d.Show()
	e.discard = d
}

// saveTextAndOptions stores newText in place of oldText when they differ,
// then want when it differs from the options the service has: stored
// (nil when the service has no options), or after storing the text the
// defaults. It returns the options the service has at the end; err when
// the text was not stored (the old text is back, and its options when
// they were not the defaults), optErr when only the options were not.
func saveTextAndOptions(ctx context.Context, c Client, name, oldText, newText string, stored *api.OptionsJSON, want api.OptionsJSON,
	logf func(string, ...any)) (now *api.OptionsJSON, err, optErr error) {
	now = stored
	if newText != oldText {
		err = replaceConfig(ctx, c, name, oldText, newText)
		if stored != nil {
			// Deleted and imported again: the new text, or on failure
			// the old one, has the default options.
			d := defaultOptions()
			now = &d
			if err != nil && *stored != d {
				if _, rerr := c.SetOptions(ctx, name, *stored); rerr != nil {
					logf("restore the options of %s: %v", name, rerr)
				} else {
					now = stored
				}
			}
		}
		if err != nil {
			return now, err, nil
		}
	}
	if now != nil && want != *now {
		if _, optErr = c.SetOptions(ctx, name, want); optErr == nil {
			now = &want
		}
	}
	return now, nil, optErr
}

// saveEditor stores the editor's text, then its kill switch and Allow
// LAN when they differ from what the service has. The text needs the
// tunnel down; options alone change an active tunnel at once. Storing the
// text resets the service's options to the defaults (it deletes and
// imports), so options other than the defaults are sent again after it.
func (u *UI) saveEditor(e *editor) {
	newText := e.text.Text
	textChanged := newText != e.orig
	if v, ok := u.model.get(e.name); textChanged && ok && v.State != tunnel.StateInactive && v.State != tunnel.StateFailed {
		showMessage("Deactivate first", "Deactivate "+e.name+" before changing its config.", e.win)
		return
	}
	if v, ok := u.model.get(e.name); ok && !e.opts.changed() {
		// The user left the checks alone: save what the service has
		// now, which the detail pane or the CLI may have changed since
		// the editor opened.
		e.opts.lanAvailable = v.AllowLANAvailable
		e.opts.reset(v.Options)
		e.validate()
	}
	oldText, want := e.orig, e.opts.wanted()
	var stored *api.OptionsJSON // nil: the service has no options
	if e.opts.stored != nil {
		s := e.opts.storedOrDefault()
		stored = &s
	}
	e.save.Disable()
	go func() {
		ctx, cancel := context.WithTimeout(u.ctx, opTimeout)
		defer cancel()
		now, err, optErr := saveTextAndOptions(ctx, u.client, e.name, oldText, newText, stored, want, u.opts.Logf)
		u.opts.Do(func() {
			if err != nil {
				e.validate()
				d := dialog.NewError(errors.New(humanText(err)), e.win)
				dialogKeys(e.win.Canvas(), d, nil)
				d.Show()
				return
			}
			e.orig = newText
			// The checks show what the service has now: what they
			// asked for, or after a refusal what it kept.
			e.opts.reset(now)
			e.validate()
			if optErr != nil {
				u.opts.Logf("set options of %s: %v", e.name, optErr)
				what := "The kill switch settings of " + e.name + " are unchanged."
				if textChanged {
					what = "The config of " + e.name + " is saved, but its kill switch settings are not."
				}
				e.status.SetText(what)
				showMessage("Kill switch not changed", what+" "+optionsErrorText(optErr, want), e.win)
				return
			}
			e.status.SetText("Saved.")
		})
	}()
}
