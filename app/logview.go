//go:build cgo

package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wgdesk/wgdesk/tunnel/api"
)

// logView is the window showing the service's latest log lines, filtered
// by a search text, with Copy to put the shown lines on the clipboard.
type logView struct {
	win    fyne.Window
	filter *widget.Entry
	text   *widget.Entry // read-only; an Entry so that lines can be selected
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
		text:   widget.NewMultiLineEntry(),
		status: widget.NewLabel(""),
	}
	v.filter.SetPlaceHolder("Filter, for example: office handshake")
	v.filter.OnChanged = func(string) { v.render() }
	v.text.TextStyle.Monospace = true
	v.text.Wrapping = fyne.TextWrapOff
	v.text.Disable()
	copyBtn := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() {
		u.app.Clipboard().SetContent(v.shown())
		v.status.SetText("Copied the shown lines.")
	})
	refresh := widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), u.refreshLog)
	top := container.NewBorder(nil, nil, nil, container.NewHBox(refresh, copyBtn), v.filter)
	v.win.SetContent(container.NewBorder(top, v.status, nil, nil, v.text))
	v.win.Resize(fyne.NewSize(860, 520))
	v.win.SetOnClosed(func() { u.logView = nil })
	u.logView = v
	v.win.Show()
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
				msg := err.Error()
				if errors.Is(err, api.ErrServiceDown) {
					msg = "the wgdesk service is not running"
				}
				v.status.SetText("Could not read the service's log: " + msg)
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
	v.text.CursorRow = len(shown) // the newest lines in view
	v.status.SetText(fmt.Sprintf("%d of %d %s shown", len(shown), len(v.lines), plural(len(v.lines), "line", "lines")))
}
