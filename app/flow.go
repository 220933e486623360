//go:build cgo

package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// flowLayout places objects left to right at their minimum size and
// starts a new row when the width runs out, as a row of buttons in a
// narrow window should. Its minimum width is that of its widest object,
// so that it never holds its container wide (Fyne's RowWrapLayout keeps
// the width of its widest row once laid out, which stops a split pane
// from shrinking it); its minimum height is that of the rows it needed at
// the width it was last given.
type flowLayout struct {
	width float32 // the width of the last Layout; 0 before the first
}

func newFlowLayout() *flowLayout { return &flowLayout{} }

// place computes the position of each visible object at width; rows is
// the number of rows used and rowH the height of each.
func (l *flowLayout) place(objs []fyne.CanvasObject, width float32) (pos []fyne.Position, rows int, rowH float32) {
	pad := theme.Padding()
	for _, o := range objs {
		if o.Visible() {
			rowH = max(rowH, o.MinSize().Height)
		}
	}
	var x float32
	for _, o := range objs {
		if !o.Visible() {
			pos = append(pos, fyne.Position{})
			continue
		}
		w := o.MinSize().Width
		if rows == 0 {
			rows = 1
		} else if x+w > width {
			rows++
			x = 0
		}
		pos = append(pos, fyne.NewPos(x, float32(rows-1)*(rowH+pad)))
		x += w + pad
	}
	return pos, rows, rowH
}

// MinSize is the widest object's width by the height of the rows needed
// at the last width (one row before the first layout).
func (l *flowLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var widest float32
	for _, o := range objs {
		if o.Visible() {
			widest = max(widest, o.MinSize().Width)
		}
	}
	width := l.width
	if width <= 0 {
		width = float32(1 << 30) // not laid out yet: everything on one row
	}
	_, rows, rowH := l.place(objs, max(width, widest))
	if rows == 0 {
		return fyne.Size{}
	}
	return fyne.NewSize(widest, float32(rows)*rowH+float32(rows-1)*theme.Padding())
}

// Layout moves and sizes each object; rows follow the width of size.
func (l *flowLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	l.width = size.Width
	pos, _, rowH := l.place(objs, size.Width)
	for i, o := range objs {
		if !o.Visible() {
			continue
		}
		o.Move(pos[i])
		o.Resize(fyne.NewSize(o.MinSize().Width, rowH))
	}
}
