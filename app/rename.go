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

	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// renameTunnel gives tunnel old the name new. The service has no rename,
// so it stores old's full config under new, gives the copy old's options
// (opts; nil or the defaults: nothing to copy) and then deletes old. When
// old cannot be deleted (it was brought up meanwhile, say), the copy is
// deleted again so that one key does not end up in two tunnels. It runs
// off the UI goroutine.
func renameTunnel(ctx context.Context, c Client, old, new string, opts *api.OptionsJSON) error {
	if err := tunnel.CheckName(new); err != nil {
		return fmt.Errorf("rename %s: %w", old, err)
	}
	text, err := c.Config(ctx, old)
	if err != nil {
		return fmt.Errorf("read the config of %s: %w", old, err)
	}
	if _, err := c.Import(ctx, new, text); err != nil {
		return fmt.Errorf("store %s as %s: %w", old, new, err)
	}
	if opts != nil && (opts.KillSwitch != string(tunnel.KillSwitchAuto) && opts.KillSwitch != "" || opts.AllowLAN) {
		if _, err := c.SetOptions(ctx, new, *opts); err != nil {
			err = fmt.Errorf("give %s the kill switch settings of %s: %w", new, old, err)
			if undoErr := c.Delete(ctx, new); undoErr != nil {
				return errors.Join(err, fmt.Errorf("the copy %s is left over, delete it by hand: %w", new, undoErr))
			}
			return err
		}
	}
	if err := c.Delete(ctx, old); err != nil {
		if undoErr := c.Delete(ctx, new); undoErr != nil {
			return errors.Join(
				fmt.Errorf("delete %s after copying it to %s: %w", old, new, err),
				fmt.Errorf("the copy %s is left over, delete it by hand: %w", new, undoErr))
		}
		return fmt.Errorf("delete %s after copying it to %s (the copy is deleted again): %w", old, new, err)
	}
	return nil
}

// checkRename is the problem with renaming old to the typed name, as a
// sentence for the dialog, or "" when the rename may go ahead. taken
// reports whether a tunnel of that name exists.
func checkRename(old, typed string, taken func(string) bool) string {
	name := strings.TrimSpace(typed)
	switch {
	case name == "":
		return "Enter the new name."
	case name == old:
		return "That is its name already."
	case strings.EqualFold(name, old):
		return "Names that differ only in capital letters count as the same name."
	case tunnel.CheckName(name) != nil:
		return "Name may hold letters, digits and _=+.- only, at most 32."
	case taken(name):
		return "A tunnel named " + name + " exists already."
	}
	return ""
}

// renameForm is the Rename dialog's content; the UI keeps the last one so
// tests can fill it in.
type renameForm struct {
	old    string
	entry  *formEntry
	status *widget.Label
	ok     *widget.Button
}

func (r *renameForm) validate(taken func(string) bool) {
	v := readyVerdict("", widget.MediumImportance)
	switch p := checkRename(r.old, r.entry.Text, taken); {
	case p == "":
	case strings.TrimSpace(r.entry.Text) == r.old || strings.TrimSpace(r.entry.Text) == "":
		// nothing typed yet: not a mistake
		v = idleVerdict(p)
	default:
		v = problemVerdict(p)
	}
	v.show(r.status, r.ok)
}

// canRename refuses to rename a tunnel that is up, going up or down, or
// has a switch in flight: deleting the old name would fail, or tear it
// down under the user.
func (u *UI) canRename(name string) bool {
	v, ok := u.model.get(name)
	return ok && !u.busy[name] && (v.State == tunnel.StateInactive || v.State == tunnel.StateFailed)
}

// showRename opens the Rename dialog for name, or says why not.
func (u *UI) showRename(name string) {
	if !u.canRename(name) {
		showMessage("Could not rename "+name, name+" is in use: deactivate it first.", u.win)
		return
	}
	taken := u.model.nameTaken
	r := &renameForm{
		old:    name,
		entry:  newFormEntry(),
		status: widget.NewLabel(""),
		ok:     widget.NewButtonWithIcon("Rename", theme.ConfirmIcon(), nil),
	}
	r.ok.Importance = widget.HighImportance
	r.status.Wrapping = fyne.TextWrapWord
	r.entry.SetText(name)
	r.entry.OnChanged = func(string) { r.validate(taken) }
	r.validate(taken)

	d := dialog.NewCustomWithoutButtons("Rename "+name,
		container.NewVBox(widget.NewLabel("New name:"), r.entry, r.status), u.win)
	submit := func() {
		// The list may have changed since the last keystroke.
		r.validate(taken)
		if r.ok.Disabled() {
			return
		}
		if !u.canRename(name) {
			r.status.SetText("The tunnel is in use: deactivate it first.")
			r.ok.Disable()
			return
		}
		d.Hide()
		u.rename(name, strings.TrimSpace(r.entry.Text))
	}
	r.ok.OnTapped = submit
	r.entry.OnSubmitted = func(string) { submit() }
	r.entry.onEscape = d.Dismiss
	d.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", d.Hide), r.ok})
	d.Resize(fyne.NewSize(420, 200))
	dialogKeys(u.win.Canvas(), d, submit)
	d.Show()
	u.win.Canvas().Focus(r.entry)
	// The old name selected: typing replaces it, as in a file manager.
	r.entry.TypedShortcut(&fyne.ShortcutSelectAll{})
	u.lastRename = r
}

// rename renames old to new in the background; the list follows the
// service's events, and the selection moves to the new name once it is
// there.
func (u *UI) rename(old, new string) {
	var opts *api.OptionsJSON
	if v, ok := u.model.get(old); ok {
		opts = v.Options
	}
	u.busy[old] = true
	u.render()
	go func() {
		ctx, cancel := context.WithTimeout(u.ctx, opTimeout)
		defer cancel()
		err := renameTunnel(ctx, u.client, old, new, opts)
		u.opts.Do(func() {
			delete(u.busy, old)
			if err != nil {
				u.opts.Logf("rename %s to %s: %v", old, new, err)
				u.showError(fmt.Sprintf("Could not rename %s to %s", old, new), err)
			} else {
				u.selectWhenShown(new)
			}
			u.render()
		})
	}()
}
