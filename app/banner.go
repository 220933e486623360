//go:build cgo

package app

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// bannerView is the text of the banner that says the service is away:
// prose in the normal text colour (a whole paragraph in red is hard to
// read) and lines indented by four spaces as commands in monospace.
type bannerView struct {
	widget.BaseWidget
	Text string // the message as set, for tests and logs
	rich *widget.RichText
}

func newBannerView() *bannerView {
	b := &bannerView{rich: widget.NewRichText()}
	b.rich.Wrapping = fyne.TextWrapWord
	b.ExtendBaseWidget(b)
	return b
}

// SetText shows msg.
func (b *bannerView) SetText(msg string) {
	if msg == b.Text {
		return
	}
	b.Text = msg
	b.rich.Segments = bannerSegments(msg)
	b.rich.Refresh()
}

// bannerSegments splits msg into paragraphs and, for lines indented by
// four spaces, monospace command lines.
func bannerSegments(msg string) []widget.RichTextSegment {
	var segs []widget.RichTextSegment
	var prose []string
	flush := func() {
		if len(prose) > 0 {
			segs = append(segs, &widget.TextSegment{Style: widget.RichTextStyleParagraph, Text: strings.Join(prose, " ")})
			prose = nil
		}
	}
	for _, line := range strings.Split(msg, "\n") {
		if cmd, ok := strings.CutPrefix(line, "    "); ok {
			flush()
			segs = append(segs, &widget.TextSegment{Style: widget.RichTextStyleCodeBlock, Text: strings.TrimSpace(cmd)})
			continue
		}
		prose = append(prose, line)
	}
	flush()
	return segs
}

// bannerTint is the banner's background: the theme's error colour, faint.
func bannerTint() color.Color {
	r, g, b, _ := theme.Color(theme.ColorNameError).RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0x30}
}

func (b *bannerView) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(b.rich)
}
