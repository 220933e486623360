//go:build cgo

package app

import (
	"image"
	"image/color"
	"testing"
)

var (
	rxColor = color.NRGBA{R: 0x20, G: 0x60, B: 0xf0, A: 0xff}
	txColor = color.NRGBA{R: 0x20, G: 0xc0, B: 0x40, A: 0xff}
	plot180 = plotStyle{w: 180, h: 64, top: 12, rx: rxColor, tx: txColor}
)

// rowsWith lists the rows of column x that hold colour c.
func rowsWith(img *image.RGBA, x int, c color.NRGBA) []int {
	var rows []int
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		if toNRGBA(img.At(x, y)) == c {
			rows = append(rows, y)
		}
	}
	return rows
}

// lastColumnWith is the rightmost column holding colour c.
func lastColumnWith(img *image.RGBA, c color.NRGBA) (int, bool) {
	for x := img.Bounds().Max.X - 1; x >= 0; x-- {
		if len(rowsWith(img, x, c)) > 0 {
			return x, true
		}
	}
	return 0, false
}

func TestPlotRatesPlacesLines(t *testing.T) {
	// Received traffic rises to its peak at the newest reading; sent
	// traffic stays at zero.
	rates := []trafficRate{
		{at: sec(0), rx: 0}, {at: sec(60), rx: 500}, {at: sec(120), rx: 1000},
	}
	img := plotRates(rates, plot180)
	if x, ok := lastColumnWith(img, rxColor); !ok || x < 178 {
		t.Fatalf("received line ends at x=%d (drawn %v), want the right edge", x, ok)
	}
	right := rowsWith(img, 179, rxColor)
	if len(right) == 0 || right[0] > plot180.top+1 {
		t.Errorf("peak rate at rows %v, want at the top row %d", right, plot180.top)
	}
	// The oldest reading is 2 of the 3 minutes back: a third of the way.
	third := (plot180.w - 1) / 3
	left := rowsWith(img, third, rxColor)
	if len(left) == 0 || left[len(left)-1] < plot180.h-2 {
		t.Errorf("zero rate at column %d rows %v, want the bottom row", third, left)
	}
	if rows := rowsWith(img, third-4, rxColor); len(rows) != 0 {
		t.Errorf("drawn before the oldest reading, at rows %v", rows)
	}
	// Sent traffic is a flat line at the bottom under the received one.
	for _, x := range []int{100, 170} {
		rows := rowsWith(img, x, txColor)
		if len(rows) == 0 || rows[0] < plot180.h-3 {
			t.Errorf("sent line at column %d rows %v, want only the bottom rows", x, rows)
		}
	}
	if rows := rowsWith(img, 100, rxColor); len(rows) == 0 || rows[0] >= plot180.h-3 || rows[0] <= plot180.top {
		t.Errorf("the received line half way up at column 100 is at rows %v", rows)
	}
}

func TestPlotRatesDrawsNothingWithoutTwoRates(t *testing.T) {
	for _, rates := range [][]trafficRate{nil, {{at: sec(1), rx: 5}}} {
		img := plotRates(rates, plot180)
		if img.Bounds().Dx() != 180 || img.Bounds().Dy() != 64 {
			t.Fatalf("image %v, want 180x64", img.Bounds())
		}
		for i, v := range img.Pix {
			if v != 0 {
				t.Fatalf("%d rates: pixel byte %d is %d, want a transparent image", len(rates), i, v)
			}
		}
	}
	if img := plotRates([]trafficRate{{at: sec(1)}, {at: sec(2)}}, plotStyle{w: 1, h: 1}); len(img.Pix) != 4 {
		t.Errorf("a 1x1 graph has %d bytes", len(img.Pix))
	}
}

func TestTrafficGraphRedrawsOnlyForNewPixels(t *testing.T) {
	g := newTrafficGraph()
	idle := func(from int) []trafficRate {
		var rs []trafficRate
		for i := from; i < from+10; i++ {
			rs = append(rs, trafficRate{at: sec(i)})
		}
		return rs
	}
	g.SetRates(idle(0))
	first := g.image(180, 64, 12)
	// An idle peer's next reading moves the flat line by a second: the
	// same pixels, so the shown image is kept and nothing is redrawn.
	g.SetRates(idle(1))
	if again := g.image(180, 64, 12); again != first {
		t.Errorf("an idle reading that changes no pixel drew a new image")
	}
	if len(g.rates) != 10 || !g.rates[0].at.Equal(sec(1)) {
		t.Errorf("the graph did not keep the new rates: %v", g.rates[0])
	}
	// Traffic changes pixels and the caption: a new image.
	busy := append(idle(2), trafficRate{at: sec(12), rx: 4096})
	g.SetRates(busy)
	if got := g.image(180, 64, 12); got == first {
		t.Errorf("traffic did not draw a new image")
	}
	if got, want := g.caption(), "↓ 4.0 KiB/s  ↑ 0 B/s"; got != want {
		t.Errorf("caption %q, want %q", got, want)
	}
	// A new size draws anew.
	before := g.image(180, 64, 12)
	if g.image(360, 128, 24) == before {
		t.Errorf("a larger raster reused the old image")
	}
}
