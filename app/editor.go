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
)

// editor is a window with a tunnel's full config text, checked by the
// parser on every keystroke.
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
}

// checkConfigText is the editor's verdict on text: "" when it parses,
// else the parser's error with its line and hint, then any warnings.
func checkConfigText(text string) (problem, warnings string, line int) {
	_, ws, err := config.Parse([]byte(text))
	if err != nil {
		var pe *config.ParseError
		if errors.As(err, &pe) {
			line = pe.Line
		}
		return humanText(err), "", line
	}
	for i, w := range ws {
		if i > 0 {
			warnings += "\n"
		}
		warnings += "Warning: " + sentence(w.String())
	}
	return "", warnings, 0
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
	problem, warnings, line := checkConfigText(e.text.Text)
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
	case e.text.Text == e.orig:
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

func (u *UI) openEditor(name, text string) {
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
	note := widget.NewLabel("This text holds the private key. Saving replaces the stored config; the tunnel must be inactive.")
	note.Wrapping = fyne.TextWrapWord
	buttons := container.NewHBox(e.gotoErr, widget.NewButton("Close", e.askClose), e.save)
	e.win.SetContent(container.NewBorder(note, container.NewVBox(e.status, container.NewBorder(nil, nil, nil, buttons)), nil, nil, e.text))
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
	if e.text.Text == e.orig {
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

func (u *UI) saveEditor(e *editor) {
	if v, ok := u.model.get(e.name); ok && v.State != tunnel.StateInactive && v.State != tunnel.StateFailed {
		showMessage("Deactivate first", "Deactivate "+e.name+" before changing its config.", e.win)
		return
	}
	newText := e.text.Text
	e.save.Disable()
	go func() {
		ctx, cancel := context.WithTimeout(u.ctx, opTimeout)
		defer cancel()
		err := replaceConfig(ctx, u.client, e.name, e.orig, newText)
		u.opts.Do(func() {
			if err != nil {
				e.validate()
				d := dialog.NewError(errors.New(humanText(err)), e.win)
				dialogKeys(e.win.Canvas(), d, nil)
				d.Show()
				return
			}
			e.orig = newText
			e.validate()
			e.status.SetText("Saved.")
		})
	}()
}
