//go:build ignore

// gen_icons draws the tray icons: the wgdesk disc, ring and bar in one
// colour per state. Run from the repository root:
//
//	go run assets/gen_icons.go
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
)

const size = 64

func main() {
	icons := map[string]color.RGBA{
		"assets/tray-disconnected.png": {0x80, 0x80, 0x80, 0xff}, // grey
		"assets/tray-connecting.png":   {0xe0, 0x9a, 0x10, 0xff}, // amber
		"assets/tray-connected.png":    {0x2e, 0x9d, 0x4f, 0xff}, // green
		"assets/tray-error.png":        {0xc6, 0x28, 0x28, 0xff}, // red
	}
	for path, c := range icons {
		if err := write(path, draw(c)); err != nil {
			log.Fatal(err)
		}
	}
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

func write(path string, img image.Image) error {
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
