//go:build cgo

package app

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// logView is the window showing the service's latest log lines, filtered
// by a search text, with Copy to put the shown lines on the clipboard.
type logView struct {
	win    fyne.Window
	filter *widget.Entry
	// text is a selectable label: read-only by nature and drawn in the
	// normal text colour (a disabled Entry greys the text out until it is
	// hard to read).
	text   *widget.Label
	scroll *container.Scroll
	status *widget.Label
	lines  []string
}

// filterLog returns the lines that contain every word of query, ignoring
// case; an empty query keeps every line.
func filterLog(lines []string, query string) []string {
	words := strings.Fields(strings.ToLower(query))
	if len(words) == 0 {
		return lines
	}
	var out []string
next:
	for _, l := range lines {
		low := strings.ToLower(l)
		for _, w := range words {
			if !strings.Contains(low, w) {
				continue next
			}
		}
		out = append(out, l)
	}
	return out
}

// showLog opens the log window (or brings the open one forward) and loads
// the service's log.
func (u *UI) showLog() {
	if u.logView != nil {
		u.logView.win.Show()
		u.logView.win.RequestFocus()
		u.refreshLog()
		return
	}
	v := &logView{
		win:    u.app.NewWindow("wgdesk log"),
		filter: widget.NewEntry(),
		text:   widget.NewLabel(""),
		status: widget.NewLabel(""),
	}
	v.filter.SetPlaceHolder("Filter, for example: office handshake")
	v.filter.OnChanged = func(string) { v.render() }
	v.text.TextStyle.Monospace = true
	v.text.Selectable = true
	v.scroll = container.NewScroll(v.text)
	copyBtn := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() {
		u.app.Clipboard().SetContent(v.shown())
		v.status.SetText("Copied the shown lines.")
	})
	refresh := widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), u.refreshLog)
	top := container.NewBorder(nil, nil, nil, container.NewHBox(refresh, copyBtn), v.filter)
	v.win.SetContent(container.NewBorder(top, v.status, nil, nil, v.scroll))
	v.win.Resize(fyne.NewSize(860, 520))
	v.win.SetOnClosed(func() { u.logView = nil })
	u.logView = v
	v.win.Show()
	v.win.Canvas().Focus(v.filter)
	u.refreshLog()
}

// refreshLog fetches the log in the background and shows it.
func (u *UI) refreshLog() {
	go func() {
		ctx, cancel := context.WithTimeout(u.ctx, opTimeout)
		defer cancel()
		lines, err := u.client.Log(ctx)
		u.opts.Do(func() {
			v := u.logView
			if v == nil {
				return
			}
			if err != nil {
				v.status.SetText("Could not read the service's log. " + humanText(err))
				return
			}
			v.lines = lines
			v.render()
		})
	}()
}

func (v *logView) shown() string { return strings.Join(filterLog(v.lines, v.filter.Text), "\n") }

func (v *logView) render() {
	shown := filterLog(v.lines, v.filter.Text)
	v.text.SetText(strings.Join(shown, "\n"))
	v.scroll.ScrollToBottom() // the newest lines in view
	v.status.SetText(fmt.Sprintf("%d of %d %s shown", len(shown), len(v.lines), plural(len(v.lines), "line", "lines")))
}
