package assets

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fyne-io/oksvg"
	"github.com/srwiley/rasterx"
)

// states are the tray's connection states, in the order of app/tray.Icon.
var states = []string{"disconnected", "connecting", "connected", "error"}

// embedded maps each state to the bytes this package embeds for it.
func embedded() map[string][2][]byte {
	return map[string][2][]byte{
		"disconnected": {TrayDisconnected, TrayTemplateDisconnected},
		"connecting":   {TrayConnecting, TrayTemplateConnecting},
		"connected":    {TrayConnected, TrayTemplateConnected},
		"error":        {TrayError, TrayTemplateError},
	}
}

// statesOnDisk lists the STATE of every file named prefix+STATE+suffix in
// this folder.
func statesOnDisk(t *testing.T, prefix, suffix string) []string {
	t.Helper()
	matches, err := filepath.Glob(prefix + "*" + suffix)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range matches {
		s := strings.TrimSuffix(strings.TrimPrefix(m, prefix), suffix)
		if strings.HasPrefix(s, "template-") && prefix == "tray-" {
			continue // tray-template-*.png would be a third set
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func TestBothTraySetsCoverTheSameFourStates(t *testing.T) {
	want := slices.Sorted(slices.Values(states))
	if got := statesOnDisk(t, "tray-", ".png"); !slices.Equal(got, want) {
		t.Errorf("coloured tray icons on disk are for %v, want %v", got, want)
	}
	if got := statesOnDisk(t, "tray-template-", ".svg"); !slices.Equal(got, want) {
		t.Errorf("template tray icons on disk are for %v, want %v", got, want)
	}
	// Each variable holds its own state's file, not a neighbour's.
	for s, pair := range embedded() {
		for i, name := range []string{"tray-" + s + ".png", "tray-template-" + s + ".svg"} {
			disk, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(pair[i], disk) {
				t.Errorf("the embedded icon for %s is not %s", s, name)
			}
		}
	}
}

func TestColouredTrayIconsDecodeAndDiffer(t *testing.T) {
	imgs := map[string]image.Image{}
	for s, pair := range embedded() {
		img, err := png.Decode(bytes.NewReader(pair[0]))
		if err != nil {
			t.Fatalf("decode tray-%s.png: %v", s, err)
		}
		if b := img.Bounds(); b.Dx() != b.Dy() || b.Dx() < 16 {
			t.Errorf("tray-%s.png is %dx%d, want a square of at least 16", s, b.Dx(), b.Dy())
		}
		if opaque(img) == 0 {
			t.Errorf("tray-%s.png is fully transparent", s)
		}
		imgs[s] = img
	}
	for i, a := range states {
		for _, b := range states[i+1:] {
			if samePixels(imgs[a], imgs[b]) {
				t.Errorf("tray-%s.png and tray-%s.png look the same", a, b)
			}
		}
	}
}

// keptByFyne lists, per SVG element, the attributes Fyne keeps when it
// recolours a theme.ThemedResource (fyne.io/fyne/v2/internal/svg); an
// element or attribute outside this list would silently vanish before the
// icon reaches the macOS menu bar.
var keptByFyne = map[string][]string{
	"svg":     {"xmlns", "width", "height", "viewBox"},
	"g":       {"id", "fill", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin", "stroke-dasharray", "transform"},
	"path":    {"d"},
	"rect":    {"x", "y", "width", "height"},
	"circle":  {"cx", "cy", "r"},
	"ellipse": {"cx", "cy", "rx", "ry"},
	"polygon": {"points"},
}

var paintAttrs = []string{"fill", "fill-opacity", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin", "stroke-dasharray", "transform"}

func checkFyneKeeps(svg []byte) error {
	d := xml.NewDecoder(bytes.NewReader(svg))
	root := true
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		name := el.Name.Local
		if root && name != "svg" {
			return fmt.Errorf("root element is <%s>, want <svg>", name)
		}
		root = false
		allowed, ok := keptByFyne[name]
		if !ok {
			return fmt.Errorf("fyne drops <%s>", name)
		}
		if name != "svg" && name != "g" {
			allowed = append(slices.Clone(allowed), paintAttrs...)
		}
		for _, a := range el.Attr {
			if !slices.Contains(allowed, a.Name.Local) {
				return fmt.Errorf("fyne drops %s on <%s>", a.Name.Local, name)
			}
		}
	}
}

// rasterize draws svg into a px by px image with the same SVG renderer
// Fyne uses.
func rasterize(t *testing.T, svg []byte, px int) *image.NRGBA {
	t.Helper()
	icon, err := oksvg.ReadIconStream(bytes.NewReader(svg), oksvg.StrictErrorMode)
	if err != nil {
		t.Fatalf("parse svg: %v", err)
	}
	if icon.ViewBox.W != 16 || icon.ViewBox.H != 16 {
		t.Errorf("viewBox is %vx%v, want 16x16, the menu bar's size in points", icon.ViewBox.W, icon.ViewBox.H)
	}
	icon.SetTarget(0, 0, float64(px), float64(px))
	img := image.NewNRGBA(image.Rect(0, 0, px, px))
	icon.Draw(rasterx.NewDasher(px, px, rasterx.NewScannerGV(px, px, img, img.Bounds())), 1)
	return img
}

func TestTemplateTrayIconsAreDistinctMonochromeGlyphs(t *testing.T) {
	masks := map[string]*image.NRGBA{}
	for _, s := range states {
		svg := embedded()[s][1]
		if err := checkFyneKeeps(svg); err != nil {
			t.Errorf("tray-template-%s.svg: %v", s, err)
		}
		for _, px := range []int{16, 22, 32} {
			img := rasterize(t, svg, px)
			covered := 0
			for i := 0; i < len(img.Pix); i += 4 {
				p := img.Pix[i : i+4]
				if p[3] == 0 {
					continue
				}
				covered++
				if p[0] != 0 || p[1] != 0 || p[2] != 0 {
					t.Errorf("tray-template-%s.svg at %dpx paints colour %v: a template icon is black, its alpha is the glyph", s, px, p)
					break
				}
			}
			// A glyph, not a speck or a filled square.
			if frac := float64(covered) / float64(px*px); frac < 0.15 || frac > 0.85 {
				t.Errorf("tray-template-%s.svg at %dpx covers %.0f%% of the square", s, px, 100*frac)
			}
			if px == 16 {
				masks[s] = img
			}
		}
	}
	// At the menu bar's 16 px each state must differ from every other by
	// the equivalent of several fully changed pixels, not a smudge.
	const minPixels = 8
	for i, a := range states {
		for _, b := range states[i+1:] {
			if d := alphaDistance(masks[a], masks[b]); d < minPixels {
				t.Errorf("at 16px the %s and %s templates differ by %.1f pixels, want at least %d", a, b, d, minPixels)
			}
		}
	}
}

func opaque(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a > 0 {
				n++
			}
		}
	}
	return n
}

func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}

// alphaDistance sums how much the alpha of a and b differ, in whole
// pixels (a pixel going from clear to opaque counts 1).
func alphaDistance(a, b *image.NRGBA) float64 {
	var sum float64
	for i := 3; i < len(a.Pix); i += 4 {
		d := int(a.Pix[i]) - int(b.Pix[i])
		if d < 0 {
			d = -d
		}
		sum += float64(d) / 255
	}
	return sum
}
