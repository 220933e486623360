//go:build cgo

package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// shownColour is the colour the label's text is drawn in, read from its
// renderer so that a verdict whose tone never reached the screen fails.
func shownColour(t *testing.T, l *widget.Label) (string, fyne.ThemeColorName) {
	t.Helper()
	for _, o := range test.WidgetRenderer(l).Objects() {
		rt, ok := o.(*widget.RichText)
		if !ok {
			continue
		}
		if len(rt.Segments) == 0 {
			return "", ""
		}
		seg, ok := rt.Segments[0].(*widget.TextSegment)
		if !ok {
			t.Fatalf("label renders %T", rt.Segments[0])
		}
		return seg.Text, seg.Style.ColorName
	}
	t.Fatal("label renders no rich text")
	return "", ""
}

func TestVerdictShowsTextToneAndAction(t *testing.T) {
	test.NewTempApp(t)
	status := widget.NewLabel("")
	action := widget.NewButton("Go", nil)
	test.NewWindow(widget.NewForm(widget.NewFormItem("", status), widget.NewFormItem("", action)))

	steps := []struct {
		name       string
		v          verdict
		text       string
		importance widget.Importance
		colour     fyne.ThemeColorName
		enabled    bool
	}{
		{"problem", problemVerdict("Name is required"), "Name is required", widget.DangerImportance, theme.ColorNameError, false},
		{"ready", readyVerdict("Ready to create.", widget.SuccessImportance), "Ready to create.", widget.SuccessImportance, theme.ColorNameSuccess, true},
		{"idle", idleVerdict("No changes."), "No changes.", widget.LowImportance, theme.ColorNameDisabled, false},
		{"ready quietly", readyVerdict("", widget.MediumImportance), "", widget.MediumImportance, theme.ColorNameForeground, true},
		{"problem again", problemVerdict("That is its name already."), "That is its name already.", widget.DangerImportance, theme.ColorNameError, false},
	}
	for _, s := range steps {
		s.v.show(status, action)
		if status.Text != s.text {
			t.Errorf("%s: status says %q, want %q", s.name, status.Text, s.text)
		}
		if status.Importance != s.importance {
			t.Errorf("%s: importance %v, want %v", s.name, status.Importance, s.importance)
		}
		if action.Disabled() == s.enabled {
			t.Errorf("%s: action enabled = %v, want %v", s.name, !action.Disabled(), s.enabled)
		}
		if s.text == "" {
			continue
		}
		text, colour := shownColour(t, status)
		if text != s.text || colour != s.colour {
			t.Errorf("%s: label draws %q in %q, want %q in %q", s.name, text, colour, s.text, s.colour)
		}
	}
}
