//go:build cgo

package app

import (
	"bytes"
	"image"
	"image/color"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// trafficGraph draws a peer's receive and send rates over the last
// trafficWindow, newest on the right, scaled to the highest rate shown.
//
// The lines are drawn by plotRates into one raster image, so a frame costs
// one texture however many readings the window holds (a line object per
// interval made every repaint draw hundreds of them), and a new reading
// that changes no pixel (an idle peer) redraws nothing at all.
type trafficGraph struct {
	widget.BaseWidget
	rates []trafficRate

	// The last image drawn for the raster, and what it was drawn from.
	img  *image.RGBA
	plot plotStyle
}

// plotStyle is what an image of the graph depends on besides the rates.
type plotStyle struct {
	w, h, top int // pixels; top: rows kept free for the caption
	rx, tx    color.NRGBA
}

func newTrafficGraph() *trafficGraph {
	g := &trafficGraph{}
	g.ExtendBaseWidget(g)
	return g
}

// SetRates shows rates. Rates that draw the same pixels and caption as
// the shown ones change nothing on screen, so an idle window does not
// repaint for them.
func (g *trafficGraph) SetRates(rates []trafficRate) {
	if slices.Equal(g.rates, rates) {
		return
	}
	oldCaption := g.caption()
	g.rates = rates
	if g.img != nil {
		img := plotRates(rates, g.plot)
		if bytes.Equal(img.Pix, g.img.Pix) && g.caption() == oldCaption {
			return
		}
		g.img = img
	}
	g.Refresh()
}

// image returns the graph at w×h pixels with the caption's top rows free,
// drawing it only when something it depends on changed.
func (g *trafficGraph) image(w, h, top int) *image.RGBA {
	st := plotStyle{w: w, h: h, top: top,
		rx: toNRGBA(theme.Color(theme.ColorNamePrimary)),
		tx: toNRGBA(theme.Color(theme.ColorNameSuccess)),
	}
	if g.img == nil || st != g.plot {
		g.plot = st
		g.img = plotRates(g.rates, st)
	}
	return g.img
}

// caption is the newest rates in words.
func (g *trafficGraph) caption() string {
	if len(g.rates) == 0 {
		return "no figures yet"
	}
	r := g.rates[len(g.rates)-1]
	return "↓ " + humanBytes(uint64(r.rx)) + "/s  ↑ " + humanBytes(uint64(r.tx)) + "/s"
}

func (g *trafficGraph) CreateRenderer() fyne.WidgetRenderer {
	r := &graphRenderer{
		g:       g,
		bg:      canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground)),
		caption: canvas.NewText("", theme.Color(theme.ColorNameForeground)),
	}
	r.raster = canvas.NewRaster(func(w, h int) image.Image {
		top := 0
		if r.size.Height > 0 {
			top = int(float32(h) * r.captionBottom() / r.size.Height)
		}
		return g.image(w, h, top)
	})
	r.caption.TextSize = theme.CaptionTextSize()
	r.objects = []fyne.CanvasObject{r.bg, r.raster, r.caption}
	r.Refresh()
	return r
}

type graphRenderer struct {
	g       *trafficGraph
	bg      *canvas.Rectangle
	raster  *canvas.Raster
	caption *canvas.Text
	size    fyne.Size
	objects []fyne.CanvasObject
}

func (r *graphRenderer) MinSize() fyne.Size {
	return fyne.NewSize(160, 64)
}

func (r *graphRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *graphRenderer) Destroy() {}

// captionBottom is where the plot may start, below the caption.
func (r *graphRenderer) captionBottom() float32 {
	return r.caption.MinSize().Height + 4
}

func (r *graphRenderer) Refresh() {
	// Colours follow the theme, which may change while the app runs.
	r.bg.FillColor = theme.Color(theme.ColorNameInputBackground)
	r.caption.Color = theme.Color(theme.ColorNameForeground)
	r.caption.Text = r.g.caption()
	r.Layout(r.size)
	r.bg.Refresh()
	r.caption.Refresh()
	r.raster.Refresh()
}

func (r *graphRenderer) Layout(size fyne.Size) {
	r.size = size
	r.bg.Resize(size)
	r.raster.Resize(size)
	r.caption.Move(fyne.NewPos(4, 2))
	r.caption.Resize(r.caption.MinSize())
}

// plotRates draws rx and tx rates as lines on a transparent w×h image:
// time runs left to right over trafficWindow ending at the newest rate at
// the right edge, the rate bottom to top from 0 (the last row) to the
// highest rate shown (row st.top). Fewer than two rates draw nothing.
func plotRates(rates []trafficRate, st plotStyle) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, max(st.w, 0), max(st.h, 0)))
	if len(rates) < 2 || st.w < 2 || st.h < 2 {
		return img
	}
	top := min(max(st.top, 0), st.h-2)
	peak := 1.0 // bytes per second; keeps an idle peer's line at the bottom
	for _, x := range rates {
		peak = max(peak, x.rx, x.tx)
	}
	end := rates[len(rates)-1].at
	thick := max(st.h/48, 1) // about 1.5 px at 64 dp on a 1x screen: grows with the scale
	x := func(at time.Time) int {
		age := end.Sub(at).Seconds() / trafficWindow.Seconds()
		return int(float64(st.w-1) * (1 - min(age, 1)))
	}
	y := func(v float64) int {
		return top + int(float64(st.h-1-top)*(1-v/peak))
	}
	for _, dir := range []struct {
		c   color.NRGBA
		val func(trafficRate) float64
	}{
		{st.tx, func(r trafficRate) float64 { return r.tx }},
		{st.rx, func(r trafficRate) float64 { return r.rx }}, // received on top
	} {
		for i := 1; i < len(rates); i++ {
			a, b := rates[i-1], rates[i]
			drawLine(img, x(a.at), y(dir.val(a)), x(b.at), y(dir.val(b)), thick, dir.c)
		}
	}
	return img
}

// drawLine sets the pixels of a line from (x0,y0) to (x1,y1), thick
// pixels wide, stepping along its longer axis.
func drawLine(img *image.RGBA, x0, y0, x1, y1, thick int, c color.NRGBA) {
	dx, dy := x1-x0, y1-y0
	steps := max(abs(dx), abs(dy), 1)
	for i := 0; i <= steps; i++ {
		px := x0 + dx*i/steps
		py := y0 + dy*i/steps
		for ox := 0; ox < thick; ox++ {
			for oy := 0; oy < thick; oy++ {
				img.Set(px-thick/2+ox, py-thick/2+oy, c)
			}
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func toNRGBA(c color.Color) color.NRGBA {
	return color.NRGBAModel.Convert(c).(color.NRGBA)
}
