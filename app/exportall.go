//go:build cgo

package app

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"github.com/wgdesk/wgdesk/config"
)

// exportAllTo fetches the full config of each named tunnel and writes
// them to path as one zip of NAME.conf entries, the shape the importer
// reads back. The zip is built in memory and written once, mode 0600: it
// holds every private key. It runs off the UI goroutine.
func exportAllTo(ctx context.Context, c Client, names []string, path string, now time.Time) error {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range names {
		text, err := c.Config(ctx, name)
		if err != nil {
			return fmt.Errorf("read the config of %s: %w", name, err)
		}
		h := &zip.FileHeader{Name: name + ".conf", Method: zip.Deflate, Modified: now}
		h.SetMode(0o600)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("add %s to the zip: %w", name, err)
		}
		if _, err := w.Write([]byte(text)); err != nil {
			return fmt.Errorf("add %s to the zip: %w", name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("finish the zip: %w", err)
	}
	return config.WriteSecretFile(path, buf.Bytes())
}

// tunnelNames lists the tunnels the app knows, sorted.
func (u *UI) tunnelNames() []string {
	names := make([]string, 0, len(u.model.tunnels))
	for _, t := range u.model.tunnels {
		names = append(names, t.Name)
	}
	return names
}

// showExportAllDialog asks where to save a zip of every tunnel.
func (u *UI) showExportAllDialog() {
	if len(u.model.tunnels) == 0 {
		showMessage("Nothing to export", "There are no tunnels yet.", u.win)
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			u.showError("Could not export the tunnels", err)
			return
		}
		if w == nil {
			return
		}
		path := w.URI().Path()
		w.Close() // written again with mode 0600
		u.exportAll(path)
	}, u.win)
	d.SetFileName("wgdesk-tunnels.zip")
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
}

// exportAll writes every tunnel the app knows to the zip at path in the
// background and says how it went.
func (u *UI) exportAll(path string) {
	names := u.tunnelNames()
	now := u.opts.Now()
	go func() {
		ctx, cancel := context.WithTimeout(u.ctx, opTimeout)
		defer cancel()
		err := exportAllTo(ctx, u.client, names, path, now)
		u.opts.Do(func() {
			if err != nil {
				u.showError("Could not export the tunnels", err)
				return
			}
			showMessage("Exported", fmt.Sprintf("Saved %d %s to %s (readable by you only). It holds their private keys.",
				len(names), plural(len(names), "tunnel", "tunnels"), path), u.win)
		})
	}()
}
