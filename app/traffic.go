//go:build cgo

package app

import (
	"image/color"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// trafficWindow is how far back a peer's traffic graph reaches, and
// trafficSamples how many counter readings it keeps for it (the service
// sends figures about once a second).
const (
	trafficWindow  = 3 * time.Minute
	trafficSamples = 200
)

// trafficSample is one reading of a peer's byte counters.
type trafficSample struct {
	at     time.Time
	rx, tx uint64
}

// trafficRate is the traffic between two readings, in bytes per second,
// at the time of the later one.
type trafficRate struct {
	at     time.Time
	rx, tx float64
}

// trafficRing keeps the last readings of one peer's counters.
type trafficRing struct {
	buf  []trafficSample
	next int // where the next sample goes
	full bool
}

func newTrafficRing(size int) *trafficRing {
	return &trafficRing{buf: make([]trafficSample, size)}
}

// add records s, overwriting the oldest reading when the ring is full.
// A reading not later than the last one (a repeated event) is ignored.
func (r *trafficRing) add(s trafficSample) {
	if last, ok := r.last(); ok && !s.at.After(last.at) {
		return
	}
	r.buf[r.next] = s
	r.next = (r.next + 1) % len(r.buf)
	if r.next == 0 {
		r.full = true
	}
}

func (r *trafficRing) last() (trafficSample, bool) {
	if r.next == 0 && !r.full {
		return trafficSample{}, false
	}
	return r.buf[(r.next+len(r.buf)-1)%len(r.buf)], true
}

// samples lists the readings, oldest first.
func (r *trafficRing) samples() []trafficSample {
	if !r.full {
		return append([]trafficSample(nil), r.buf[:r.next]...)
	}
	return append(append([]trafficSample(nil), r.buf[r.next:]...), r.buf[:r.next]...)
}

// trafficRates turns consecutive counter readings into rates. A counter
// that went backwards (the interface was made anew) gives no rate for
// that interval but 0.
func trafficRates(s []trafficSample) []trafficRate {
	if len(s) < 2 {
		return nil
	}
	out := make([]trafficRate, 0, len(s)-1)
	for i := 1; i < len(s); i++ {
		dt := s[i].at.Sub(s[i-1].at).Seconds()
		if dt <= 0 {
			continue
		}
		r := trafficRate{at: s[i].at}
		if s[i].rx >= s[i-1].rx {
			r.rx = float64(s[i].rx-s[i-1].rx) / dt
		}
		if s[i].tx >= s[i-1].tx {
			r.tx = float64(s[i].tx-s[i-1].tx) / dt
		}
		out = append(out, r)
	}
	return out
}

// trafficKey names one peer of one tunnel in model.traffic.
func trafficKey(tunnelName, peer string) string { return tunnelName + "\x00" + peer }

// recordTraffic adds the counters of t's peers read at at; a tunnel that
// is not active loses its history, so that its next start draws afresh.
func (m *model) recordTraffic(t api.TunnelJSON, at time.Time) {
	if m.traffic == nil {
		m.traffic = map[string]*trafficRing{}
	}
	if t.State != tunnel.StateActive {
		m.forgetTraffic(t.Name)
		return
	}
	if at.IsZero() {
		return // no time, no rate
	}
	for _, p := range t.Peers {
		k := trafficKey(t.Name, p.PublicKey)
		r, ok := m.traffic[k]
		if !ok {
			r = newTrafficRing(trafficSamples)
			m.traffic[k] = r
		}
		r.add(trafficSample{at: at, rx: p.RxBytes, tx: p.TxBytes})
	}
}

func (m *model) forgetTraffic(name string) {
	prefix := trafficKey(name, "")
	for k := range m.traffic {
		if strings.HasPrefix(k, prefix) {
			delete(m.traffic, k)
		}
	}
}

// rates is the traffic of one peer of one tunnel, oldest first.
func (m *model) rates(tunnelName, peer string) []trafficRate {
	r, ok := m.traffic[trafficKey(tunnelName, peer)]
	if !ok {
		return nil
	}
	return trafficRates(r.samples())
}

// trafficGraph draws a peer's receive and send rates over the last
// trafficWindow, newest on the right, scaled to the highest rate shown.
type trafficGraph struct {
	widget.BaseWidget
	rates []trafficRate
}

func newTrafficGraph() *trafficGraph {
	g := &trafficGraph{}
	g.ExtendBaseWidget(g)
	return g
}

// SetRates shows rates; the same rates again draw nothing (an idle
// window must not redraw).
func (g *trafficGraph) SetRates(rates []trafficRate) {
	if slices.Equal(g.rates, rates) {
		return
	}
	g.rates = rates
	g.Refresh()
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
	r.caption.TextSize = theme.CaptionTextSize()
	r.Refresh()
	return r
}

type graphRenderer struct {
	g        *trafficGraph
	bg       *canvas.Rectangle
	caption  *canvas.Text
	rx, tx   []*canvas.Line
	size     fyne.Size
	children []fyne.CanvasObject
}

func (r *graphRenderer) MinSize() fyne.Size {
	return fyne.NewSize(160, 64)
}

func (r *graphRenderer) Objects() []fyne.CanvasObject { return r.children }

func (r *graphRenderer) Destroy() {}

// Refresh makes one line segment per interval for each direction.
func (r *graphRenderer) Refresh() {
	n := max(len(r.g.rates)-1, 0)
	r.rx = resizeLines(r.rx, n, theme.Color(theme.ColorNamePrimary))
	r.tx = resizeLines(r.tx, n, theme.Color(theme.ColorNameSuccess))
	// Colours follow the theme, which may change while the app runs.
	r.bg.FillColor = theme.Color(theme.ColorNameInputBackground)
	r.caption.Color = theme.Color(theme.ColorNameForeground)
	r.caption.Text = r.g.caption()
	r.children = append(append([]fyne.CanvasObject{r.bg}, lineObjects(r.rx)...), lineObjects(r.tx)...)
	r.children = append(r.children, r.caption)
	r.Layout(r.size)
	canvas.Refresh(r.g)
}

func resizeLines(ls []*canvas.Line, n int, c color.Color) []*canvas.Line {
	for len(ls) < n {
		l := canvas.NewLine(c)
		l.StrokeWidth = 1.5
		ls = append(ls, l)
	}
	for _, l := range ls[:n] {
		l.StrokeColor = c
	}
	return ls[:n]
}

func lineObjects(ls []*canvas.Line) []fyne.CanvasObject {
	out := make([]fyne.CanvasObject, len(ls))
	for i, l := range ls {
		out[i] = l
	}
	return out
}

// Layout places the segments: time runs left to right over
// trafficWindow ending at the newest rate, the rate bottom to top from 0
// to the highest one shown, under the caption.
func (r *graphRenderer) Layout(size fyne.Size) {
	r.size = size
	r.bg.Resize(size)
	r.bg.Move(fyne.NewPos(0, 0))
	capSize := r.caption.MinSize()
	r.caption.Move(fyne.NewPos(4, 2))
	r.caption.Resize(capSize)
	rates := r.g.rates
	if len(rates) < 2 || size.Width <= 0 || size.Height <= 0 {
		return
	}
	top := capSize.Height + 4
	height := max(size.Height-top-2, 1)
	peak := 1.0 // bytes per second; keeps an idle peer's line at the bottom
	for _, x := range rates {
		peak = max(peak, x.rx, x.tx)
	}
	end := rates[len(rates)-1].at
	point := func(at time.Time, v float64) fyne.Position {
		age := float32(end.Sub(at).Seconds() / trafficWindow.Seconds())
		return fyne.NewPos(size.Width*(1-min(age, 1)), top+height*(1-float32(v/peak)))
	}
	for i := 1; i < len(rates); i++ {
		a, b := rates[i-1], rates[i]
		r.rx[i-1].Position1, r.rx[i-1].Position2 = point(a.at, a.rx), point(b.at, b.rx)
		r.tx[i-1].Position1, r.tx[i-1].Position2 = point(a.at, a.tx), point(b.at, b.tx)
	}
}
