//go:build cgo

package app

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/wgdesk/wgdesk/config"
)

// exportTo fetches name's full config and writes it to path, mode 0600.
// It runs off the UI goroutine.
func exportTo(ctx context.Context, c Client, name, path string) error {
	text, err := c.Config(ctx, name)
	if err != nil {
		return fmt.Errorf("read the config of %s: %w", name, err)
	}
	return config.WriteSecretFile(path, []byte(text))
}

func (u *UI) showExportDialog(name string) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			u.showError("Could not export "+name, err)
			return
		}
		if w == nil {
			return
		}
		path := w.URI().Path()
		w.Close() // written again below with mode 0600
		go func() {
			ctx, cancel := context.WithTimeout(u.ctx, opTimeout)
			defer cancel()
			err := exportTo(ctx, u.client, name, path)
			u.opts.Do(func() {
				if err != nil {
					u.showError("Could not export "+name, err)
					return
				}
				showMessage("Exported", fmt.Sprintf("Saved %s to %s (readable by you only). It holds the private key.", name, path), u.win)
			})
		}()
	}, u.win)
	d.SetFileName(name + ".conf")
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
}

// qrPNG fetches name's full config and renders it as a QR code.
func qrPNG(ctx context.Context, c Client, name string) ([]byte, error) {
	text, err := c.Config(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("read the config of %s: %w", name, err)
	}
	cfg, _, err := config.Parse([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("parse the config of %s: %w", name, err)
	}
	png, err := cfg.QRPNG()
	if err != nil {
		return nil, fmt.Errorf("encode the config of %s as a QR code: %w", name, err)
	}
	return png, nil
}

// showQR opens a window with the tunnel's config as a QR code, for the
// WireGuard app on a phone.
func (u *UI) showQR(name string) {
	go func() {
		ctx, cancel := context.WithTimeout(u.ctx, opTimeout)
		defer cancel()
		png, err := qrPNG(ctx, u.client, name)
		u.opts.Do(func() {
			if err != nil {
				u.showError("Could not show the QR code of "+name, err)
				return
			}
			w := u.app.NewWindow("QR code: " + name)
			img := canvas.NewImageFromResource(fyne.NewStaticResource(name+".png", png))
			img.FillMode = canvas.ImageFillContain
			img.ScaleMode = canvas.ImageScalePixels
			img.SetMinSize(fyne.NewSize(360, 360))
			note := widget.NewLabel("This code holds the private key: show it only to your own phone.")
			note.Wrapping = fyne.TextWrapWord
			w.SetContent(container.NewBorder(nil, note, nil, nil, img))
			w.Resize(fyne.NewSize(420, 460))
			w.Show()
		})
	}()
}

// confirmDelete asks before deleting name. The buttons say what they do,
// and the one that destroys is marked as such, not as the default.
// Escape cancels; Return does not delete.
func (u *UI) confirmDelete(name string) {
	d := dialog.NewConfirm("Delete "+name+"?",
		"wgdesk forgets this tunnel and its private key. Export it first to keep a copy.",
		func(ok bool) {
			if !ok {
				return
			}
			go func() {
				ctx, cancel := context.WithTimeout(u.ctx, opTimeout)
				defer cancel()
				err := u.client.Delete(ctx, name)
				u.opts.Do(func() {
					if err != nil {
						u.showError("Could not delete "+name, err)
					}
				})
			}()
		}, u.win)
	d.SetConfirmText("Delete")
	d.SetDismissText("Cancel")
	d.SetConfirmImportance(widget.DangerImportance)
	dialogKeys(u.win.Canvas(), d, func() {})
	d.Show()
	u.lastConfirm = d
}
