//go:build ignore

// gen_icons draws the tray icons, two for each connection state:
//
//   - tray-STATE.png, the wgdesk disc, ring and bar in one colour per
//     state, for trays that show colour (Linux, Windows);
//   - tray-template-STATE.svg, a monochrome shield for the macOS menu
//     bar, which wants template images: only the alpha carries the glyph
//     and the OS tints it for light and dark bars. The states differ by
//     shape, not colour: an empty outline (disconnected), a half-filled
//     one (connecting), a solid shield (connected) and an outline with an
//     exclamation mark (error).
//
// Both sets come from the one table below, so they always cover the same
// states. Run from the repository root:
//
//	go run assets/gen_icons.go
package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
	"strings"
)

const size = 64

// shield is the template glyph's outline on a 16x16 grid, the size of a
// macOS menu bar icon in points: a flat top rising to a point in the
// middle, straight sides, and curves meeting at the bottom tip.
const shield = "M8 1.5L13.5 3.5V7.6C13.5 11 11.2 13.4 8 14.6C4.8 13.4 2.5 11 2.5 7.6V3.5Z"

// The template glyphs are built only from the SVG elements and attributes
// Fyne keeps when it recolours a themed resource (path, circle; fill,
// stroke, stroke-width, stroke-linejoin): anything else would be lost
// before the image reaches the menu bar.
var (
	outline = `<path d="` + shield + `" fill="none" stroke="#000" stroke-width="1.5" stroke-linejoin="round"/>`
	solid   = `<path d="` + shield + `" fill="#000" stroke="#000" stroke-width="1.5" stroke-linejoin="round"/>`
	// leftHalf fills the shield's left half, inside the outline.
	leftHalf = `<path d="M8 1.5V14.6C4.8 13.4 2.5 11 2.5 7.6V3.5Z" fill="#000"/>`
	bang     = `<path d="M7 4H9V9H7Z" fill="#000"/><circle cx="8" cy="11" r="1" fill="#000"/>`
)

var states = []struct {
	name  string
	color color.RGBA // of the coloured PNG
	glyph string     // the template SVG's content
}{
	{"disconnected", color.RGBA{0x80, 0x80, 0x80, 0xff}, outline},          // grey
	{"connecting", color.RGBA{0xe0, 0x9a, 0x10, 0xff}, outline + leftHalf}, // amber
	{"connected", color.RGBA{0x2e, 0x9d, 0x4f, 0xff}, solid},               // green
	{"error", color.RGBA{0xc6, 0x28, 0x28, 0xff}, outline + bang},          // red
}

func main() {
	for _, s := range states {
		if err := writePNG("assets/tray-"+s.name+".png", draw(s.color)); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile("assets/tray-template-"+s.name+".svg", []byte(templateSVG(s.glyph)), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// templateSVG wraps glyph in a 16x16 SVG document, one element a line.
func templateSVG(glyph string) string {
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">` + "\n")
	for _, el := range strings.SplitAfter(glyph, "/>") {
		if el != "" {
			fmt.Fprintf(&b, "  %s\n", el)
		}
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// draw renders a disc in c with a white ring and a white horizontal bar,
// anti-aliased by 4x4 supersampling.
func draw(c color.RGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const ss = 4
	white := [3]float64{255, 255, 255}
	fill := [3]float64{float64(c.R), float64(c.G), float64(c.B)}
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			var cov, r, g, b float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					px := (float64(x) + (float64(sx)+0.5)/ss) - size/2
					py := (float64(y) + (float64(sy)+0.5)/ss) - size/2
					d := math.Hypot(px, py)
					if d > size/2-1 {
						continue
					}
					col := fill
					ring := d > size*0.24 && d < size*0.32
					bar := math.Abs(py) < size*0.04 && math.Abs(px) < size*0.36
					if ring || bar {
						col = white
					}
					cov++
					r, g, b = r+col[0], g+col[1], b+col[2]
				}
			}
			if cov == 0 {
				continue
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8(r / cov), uint8(g / cov), uint8(b / cov), uint8(255 * cov / (ss * ss))})
		}
	}
	return img
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
