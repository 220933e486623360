//go:build cgo

package app

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/software"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/wgdesk/wgdesk/app/tray"
	"github.com/wgdesk/wgdesk/assets"
)

var trayIcons = []tray.Icon{tray.IconDisconnected, tray.IconConnecting, tray.IconConnected, tray.IconError}

// alphaMask draws res at px by px on a transparent canvas, as Fyne draws
// resources, and returns its alpha channel.
func alphaMask(t *testing.T, res fyne.Resource, px int) []uint8 {
	t.Helper()
	img := canvas.NewImageFromResource(res)
	img.FillMode = canvas.ImageFillStretch
	c := software.NewTransparentCanvas()
	c.SetPadded(false)
	c.SetContent(img)
	c.Resize(fyne.NewSquareSize(float32(px)))
	shot := c.Capture()
	b := shot.Bounds()
	out := make([]uint8, 0, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			_, _, _, a := shot.At(x, y).RGBA()
			out = append(out, uint8(a>>8))
		}
	}
	return out
}

func TestTrayIconOnMacOSIsAThemedTemplateSVG(t *testing.T) {
	test.NewTempApp(t)
	seen := map[string]tray.Icon{}
	for _, icon := range trayIcons {
		res := trayIconFor(icon, "darwin")
		// Fyne's driver sends a tray icon to systray.SetTemplateIcon only
		// when it is exactly this type.
		themed, ok := res.(*theme.ThemedResource)
		if !ok {
			t.Fatalf("%v: darwin gets %T, want *theme.ThemedResource", icon, res)
		}
		if !strings.HasSuffix(res.Name(), "tray-template-"+icon.String()+".svg") {
			t.Errorf("%v: resource %q is not the %s template", icon, res.Name(), icon)
		}
		// What the driver hands to the OS is Content(): the SVG after
		// Fyne recoloured it for the theme. It must still be an SVG ...
		content := themed.Content()
		var root struct{ XMLName xml.Name }
		if err := xml.Unmarshal(content, &root); err != nil || root.XMLName.Local != "svg" {
			t.Fatalf("%v: content is not an svg document (root %q, %v):\n%s", icon, root.XMLName.Local, err, content)
		}
		if prev, dup := seen[string(content)]; dup {
			t.Errorf("%v and %v get the same template", prev, icon)
		}
		seen[string(content)] = icon
		// ... with the glyph intact: recolouring may change the colour but
		// must not lose a shape, since only the alpha reaches the menu bar.
		raw := fyne.NewStaticResource("raw-"+icon.String()+".svg", unthemedTemplate(icon))
		for _, px := range []int{16, 32} {
			got, want := alphaMask(t, themed, px), alphaMask(t, raw, px)
			if !bytes.Equal(got, want) {
				t.Errorf("%v at %dpx: the themed icon's shape differs from the template's", icon, px)
			}
			if bytes.Count(want, []byte{0}) == len(want) {
				t.Errorf("%v at %dpx: the template draws nothing", icon, px)
			}
		}
	}
}

func unthemedTemplate(icon tray.Icon) []byte {
	switch icon {
	case tray.IconConnecting:
		return assets.TrayTemplateConnecting
	case tray.IconConnected:
		return assets.TrayTemplateConnected
	case tray.IconError:
		return assets.TrayTemplateError
	}
	return assets.TrayTemplateDisconnected
}

func TestTrayIconElsewhereIsTheColouredPNG(t *testing.T) {
	want := map[tray.Icon][]byte{
		tray.IconDisconnected: assets.TrayDisconnected,
		tray.IconConnecting:   assets.TrayConnecting,
		tray.IconConnected:    assets.TrayConnected,
		tray.IconError:        assets.TrayError,
	}
	for _, goos := range []string{"linux", "windows", "freebsd"} {
		for _, icon := range trayIcons {
			res := trayIconFor(icon, goos)
			if _, themed := res.(fyne.ThemedResource); themed {
				t.Errorf("%s %v: got a themed resource; only the macOS menu bar takes templates", goos, icon)
			}
			if res.Name() != "tray-"+icon.String()+".png" {
				t.Errorf("%s %v: resource is named %q", goos, icon, res.Name())
			}
			if !bytes.Equal(res.Content(), want[icon]) {
				t.Errorf("%s %v: content is not the coloured %s PNG", goos, icon, icon)
			}
			if _, err := png.Decode(bytes.NewReader(res.Content())); err != nil {
				t.Errorf("%s %v: %v", goos, icon, err)
			}
		}
	}
}

func TestTrayResourceFollowsTheRunningOS(t *testing.T) {
	test.NewTempApp(t)
	for _, icon := range trayIcons {
		got, want := trayResource(icon), trayIconFor(icon, hostOS)
		if got.Name() != want.Name() || !bytes.Equal(got.Content(), want.Content()) {
			t.Errorf("%v: trayResource gives %q, want %q", icon, got.Name(), want.Name())
		}
	}
}
