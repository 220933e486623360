//go:build cgo

package app

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wgdesk/wgdesk/tunnel/api"
	"github.com/wgdesk/wgdesk/tunnel/doctor"
)

// doctorTimeout bounds one run of the doctor: activation, a handshake
// wait and the MTU search.
const doctorTimeout = 3 * time.Minute

// doctorView is the Diagnose window of one tunnel: the service's doctor
// report, one card per check, with the RouterOS commands to copy.
type doctorView struct {
	name     string
	win      fyne.Window
	status   *widget.Label
	progress *widget.ProgressBarInfinite
	checks   *fyne.Container
	again    *widget.Button
	running  bool
	report   *api.DoctorJSON // the last report shown
	copies   map[string]*widget.Button
}

// showDoctor opens the Diagnose window of a tunnel and runs the doctor;
// a window already open for it is raised and runs it again.
func (u *UI) showDoctor(name string) {
	if v := u.lastDoctor; v != nil && v.name == name {
		v.win.Show()
		v.win.RequestFocus()
		u.runDoctor(v)
		return
	}
	if u.lastDoctor != nil {
		u.lastDoctor.win.Close()
	}
	v := &doctorView{
		name:     name,
		win:      u.app.NewWindow("Diagnose " + name),
		status:   widget.NewLabel(""),
		progress: widget.NewProgressBarInfinite(),
		checks:   container.NewVBox(),
	}
	v.status.Wrapping = fyne.TextWrapWord
	v.again = widget.NewButtonWithIcon("Run again", theme.ViewRefreshIcon(), func() { u.runDoctor(v) })
	top := container.NewVBox(container.NewBorder(nil, nil, nil, v.again, v.status), v.progress)
	v.win.SetContent(container.NewBorder(top, nil, nil, nil, container.NewVScroll(v.checks)))
	v.win.Resize(fyne.NewSize(720, 560))
	v.win.SetOnClosed(func() {
		if u.lastDoctor == v {
			u.lastDoctor = nil
		}
	})
	u.lastDoctor = v
	v.win.Show()
	u.runDoctor(v)
}

// runDoctor asks the service for a report in the background and shows
// it when it comes.
func (u *UI) runDoctor(v *doctorView) {
	if v.running {
		return
	}
	v.running = true
	v.again.Disable()
	v.progress.Show()
	v.progress.Start()
	v.status.SetText("Checking " + v.name + ". This takes a few seconds, up to half a minute when the router does not answer; " +
		"an inactive tunnel is activated for the checks and deactivated again.")
	go func() {
		ctx, cancel := context.WithTimeout(u.ctx, doctorTimeout)
		defer cancel()
		rep, err := u.client.Doctor(ctx, v.name)
		u.opts.Do(func() {
			v.running = false
			v.again.Enable()
			v.progress.Stop()
			v.progress.Hide()
			if err != nil {
				u.opts.Logf("doctor %s: %v", v.name, err)
				v.status.SetText("The doctor could not run: " + humanText(err))
				v.checks.Objects = nil
				v.checks.Refresh()
				return
			}
			v.show(u, rep)
		})
	}()
}

// show fills the window with a report.
func (v *doctorView) show(u *UI, rep api.DoctorJSON) {
	v.report = &rep
	v.copies = map[string]*widget.Button{}
	v.status.SetText(doctorSummary(rep))
	var objs []fyne.CanvasObject
	for _, c := range rep.Checks {
		objs = append(objs, v.checkCard(u, c))
	}
	v.checks.Objects = objs
	v.checks.Refresh()
}

// doctorSummary is the sentence above the checks.
func doctorSummary(rep api.DoctorJSON) string {
	fails, warns := 0, 0
	for _, c := range rep.Checks {
		switch c.Verdict {
		case doctor.Fail:
			fails++
		case doctor.Warn:
			warns++
		}
	}
	var s string
	switch {
	case fails > 0:
		s = "Found the trouble: see the checks marked as failed and their fixes."
	case warns > 0:
		s = "The tunnel works, with warnings below."
	default:
		s = "Every check passed: the tunnel works."
	}
	if rep.BroughtUp {
		s += " The tunnel was inactive: the doctor activated it for the checks and deactivated it again."
	}
	return s
}

// verdictIcons and verdictWords show each verdict.
var (
	verdictIcons = map[doctor.Verdict]fyne.Resource{
		doctor.OK:      theme.ConfirmIcon(),
		doctor.Warn:    theme.WarningIcon(),
		doctor.Fail:    theme.ErrorIcon(),
		doctor.Skipped: theme.InfoIcon(),
	}
	verdictWords = map[doctor.Verdict]string{
		doctor.OK:      "OK",
		doctor.Warn:    "Warning",
		doctor.Fail:    "Failed",
		doctor.Skipped: "Skipped",
	}
)

func (v *doctorView) checkCard(u *UI, c doctor.Check) fyne.CanvasObject {
	icon := verdictIcons[c.Verdict]
	if icon == nil {
		icon = theme.QuestionIcon()
	}
	title := widget.NewLabel(c.Title + ": " + verdictWords[c.Verdict])
	title.TextStyle.Bold = true
	switch c.Verdict {
	case doctor.Fail:
		title.Importance = widget.DangerImportance
	case doctor.Warn:
		title.Importance = widget.WarningImportance
	}
	parts := []fyne.CanvasObject{container.NewBorder(nil, nil, widget.NewIcon(icon), nil, title)}
	seen := widget.NewLabel(c.Seen)
	seen.Wrapping = fyne.TextWrapWord
	parts = append(parts, seen)
	if c.Fix != "" {
		fix := widget.NewLabel("Fix: " + c.Fix)
		fix.Wrapping = fyne.TextWrapWord
		parts = append(parts, fix)
	}
	if len(c.RouterOS) > 0 {
		text := strings.Join(c.RouterOS, "\n")
		cmds := widget.NewLabel(text)
		cmds.TextStyle.Monospace = true
		cmds.Selectable = true
		cmds.Wrapping = fyne.TextWrapBreak
		copyBtn := widget.NewButtonWithIcon("Copy RouterOS commands", theme.ContentCopyIcon(), nil)
		copyBtn.OnTapped = func() {
			u.app.Clipboard().SetContent(text + "\n")
			copyBtn.SetText("Copied")
		}
		v.copies[c.ID] = copyBtn
		parts = append(parts, widget.NewLabel("On the router (RouterOS terminal):"), cmds, container.NewHBox(copyBtn))
	}
	return widget.NewCard("", "", container.NewVBox(parts...))
}
