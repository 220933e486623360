//go:build cgo

package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// importExtensions are offered by the file dialog; what a file holds is
// recognised by its content anyway.
var importExtensions = []string{".conf", ".zip", ".png", ".jpg", ".jpeg"}

// maxNameTries bounds the -2, -3, ... suffixes tried when a name is taken.
const maxNameTries = 9

// outcome is what became of one import entry.
type outcome struct {
	Source   string
	Name     string // the name it was stored under
	Warnings []string
	Skipped  bool  // not a config at all (README.txt in a zip)
	Err      error // why it was rejected
	// Full is the config of a stored tunnel that routes 0.0.0.0/0, whose
	// scope the app asks about (scope.go); nil otherwise.
	Full *config.Config
}

// importEntries stores each parsed entry under its suggested name, or the
// first free name-2, name-3, ... It runs off the UI goroutine.
func importEntries(ctx context.Context, c Client, items []config.Imported) []outcome {
	out := make([]outcome, 0, len(items))
	for _, im := range items {
		o := outcome{Source: im.Source, Name: im.Name}
		if im.Err != nil {
			o.Err = im.Err
			o.Skipped = errors.Is(im.Err, config.ErrSkipped)
			out = append(out, o)
			continue
		}
		seen := map[string]bool{}
		for _, w := range im.Warnings {
			seen[w.String()] = true
			o.Warnings = append(o.Warnings, w.String())
		}
		text := string(im.Config.Marshal())
		for i := 1; ; i++ {
			name := im.Name
			if i > 1 {
				name = fmt.Sprintf("%s-%d", im.Name, i)
			}
			ws, err := c.Import(ctx, name, text)
			if api.IsCode(err, api.CodeExists) && i < maxNameTries {
				continue
			}
			o.Name, o.Err = name, err
			if err == nil && config.RoutesAllIPv4(im.Config) {
				o.Full = im.Config
			}
			for _, w := range ws {
				if !seen[w.String()] {
					seen[w.String()] = true
					o.Warnings = append(o.Warnings, w.String())
				}
			}
			break
		}
		out = append(out, o)
	}
	return out
}

// summaryText reports an import: what was added under which name, each
// warning, each rejected entry with its reason, skipped entries last.
func summaryText(outs []outcome) string {
	var added, failed, skipped []string
	for _, o := range outs {
		switch {
		case o.Skipped:
			skipped = append(skipped, "• "+o.Source)
		case o.Err != nil:
			failed = append(failed, "• "+o.Source+": "+humanText(o.Err))
		default:
			s := "• " + o.Name
			if o.Source != o.Name {
				s += " (from " + o.Source + ")"
			}
			for _, w := range o.Warnings {
				s += "\n    Warning: " + sentence(w)
			}
			added = append(added, s)
		}
	}
	var b strings.Builder
	section := func(title string, xs []string) {
		if len(xs) == 0 {
			return
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(title + "\n" + strings.Join(xs, "\n"))
	}
	section(fmt.Sprintf("Imported %d %s:", len(added), plural(len(added), "tunnel", "tunnels")), added)
	section(fmt.Sprintf("Rejected %d entr%s:", len(failed), plural(len(failed), "y", "ies")), failed)
	section("Skipped (not WireGuard configs):", skipped)
	if b.Len() == 0 {
		return "Nothing to import."
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// runImport loads entries off the UI goroutine, stores them and shows the
// summary. load reports a source that could not be read at all.
func (u *UI) runImport(load func() ([]config.Imported, error)) {
	go func() {
		items, err := load()
		var outs []outcome
		if err == nil {
			ctx, cancel := context.WithTimeout(u.ctx, opTimeout)
			outs = importEntries(ctx, u.client, items)
			cancel()
		}
		u.opts.Do(func() {
			if err != nil {
				u.showError("Could not import", err)
				return
			}
			// The first tunnel added is the one the user wants to see.
			for _, o := range outs {
				if o.Err == nil {
					u.selectWhenShown(o.Name)
					break
				}
			}
			// The scope of each full tunnel is asked under the summary, once
			// the service has told whether it has a kill switch for it.
			var full []scopeItem
			for _, o := range outs {
				if o.Full != nil {
					full = append(full, scopeItem{name: o.Name, cfg: o.Full})
				}
			}
			if len(full) == 0 {
				u.showSummary(summaryText(outs))
				return
			}
			u.whenKnown(full, func() {
				u.askScopes(full)
				u.showSummary(summaryText(outs))
			})
		})
	}()
}

// importFiles imports files by path (dropped on the window).
func (u *UI) importFiles(paths []string) {
	u.runImport(func() ([]config.Imported, error) {
		var all []config.Imported
		for _, p := range paths {
			items, err := config.ImportFile(p)
			if err != nil {
				return nil, err
			}
			all = append(all, items...)
		}
		return all, nil
	})
}

// importClipboard imports the clipboard's text.
func (u *UI) importClipboard() {
	text := u.app.Clipboard().Content()
	u.runImport(func() ([]config.Imported, error) {
		if strings.TrimSpace(text) == "" {
			return nil, errors.New("the clipboard holds no text; copy a WireGuard config first")
		}
		return []config.Imported{config.ImportText(text)}, nil
	})
}

func (u *UI) showImportDialog() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			u.showError("Could not open the file", err)
			return
		}
		if r == nil { // cancelled
			return
		}
		u.runImport(func() ([]config.Imported, error) {
			defer r.Close()
			data, err := io.ReadAll(io.LimitReader(r, config.MaxImportFileSize+1))
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", r.URI().Name(), err)
			}
			return config.ImportBytes(r.URI().Name(), data)
		})
	}, u.win)
	d.SetFilter(storage.NewExtensionFileFilter(importExtensions))
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
}

func (u *UI) showSummary(text string) {
	u.summary = text
	u.showText("Import summary", text)
	u.render()
}

// selectWhenShown selects the tunnel name as soon as the list shows it
// (its event may come after the answer) and remembers it for the next
// start, as a click on it would.
func (u *UI) selectWhenShown(name string) {
	u.selectNext = name
	u.preferred = name
	u.app.Preferences().SetString(prefSelected, name)
}
