//go:build cgo

package app

import "fyne.io/fyne/v2/widget"

// verdict is a form's judgement of what the user typed: the sentence for
// the form's status line, its tone, and whether the form's action may go
// ahead. Forms compute one after every keystroke and show it with show.
type verdict struct {
	text       string
	importance widget.Importance
	allow      bool
}

// problemVerdict is a verdict that blocks the action: text says what is wrong.
func problemVerdict(text string) verdict {
	return verdict{text: text, importance: widget.DangerImportance}
}

// idleVerdict blocks the action without blaming the input, as when an
// editor holds no changes.
func idleVerdict(text string) verdict {
	return verdict{text: text, importance: widget.LowImportance}
}

// readyVerdict lets the action go ahead, saying text in the tone importance.
func readyVerdict(text string, importance widget.Importance) verdict {
	return verdict{text: text, importance: importance, allow: true}
}

// show puts v on the form: status says it in its tone, and action is
// enabled only when v allows it.
func (v verdict) show(status *widget.Label, action *widget.Button) {
	status.SetText(v.text)
	status.Importance = v.importance
	if v.allow {
		action.Enable()
	} else {
		action.Disable()
	}
	status.Refresh()
}
