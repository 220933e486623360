//go:build cgo

package app

import (
	"errors"
	"net/http"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// The kill switch and Allow LAN in the editor. The editor edits the
// wg-quick text; these two settings live beside it (the service stores
// them outside the text, so that an export stays standard), and the
// editor sends them with SetOptions after the text. The checks show only
// while the text is a full tunnel, since a split tunnel has nothing to
// protect: they come and go as the AllowedIPs change.

// editorOptions are the two checks of an editor and the options they
// started from.
type editorOptions struct {
	// stored are the options the service has for the tunnel; nil when
	// the service is too old to have options (the checks never show).
	stored *api.OptionsJSON
	// lanAvailable: the service can keep the LAN open under the kill
	// switch on this system.
	lanAvailable bool
	killSwitch   *widget.Check
	allowLAN     *widget.Check
	box          *fyne.Container
	// filling is set while reset sets the checks, so that their
	// OnChanged does not take it for the user.
	filling bool
}

// newEditorOptions builds the checks for a tunnel whose stored options
// are stored (nil: none to show); changed runs when the user toggles one.
func newEditorOptions(stored *api.OptionsJSON, lanAvailable bool, changed func()) *editorOptions {
	o := &editorOptions{lanAvailable: lanAvailable}
	onChange := func(bool) {
		if o.filling {
			return
		}
		o.enable()
		changed()
	}
	o.killSwitch = widget.NewCheck(killSwitchLabel, onChange)
	o.allowLAN = widget.NewCheck(allowLANLabel, onChange)
	note := widget.NewLabel("Kept with the tunnel, outside this text: an export stays a standard config.")
	note.Wrapping = fyne.TextWrapWord
	note.Importance = widget.LowImportance
	o.box = container.NewVBox(widget.NewSeparator(), widget.NewLabelWithStyle("Leak protection", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		o.killSwitch, o.allowLAN, note)
	o.box.Hide()
	o.reset(stored)
	return o
}

// reset shows stored as the options the service has and sets the checks
// to them.
func (o *editorOptions) reset(stored *api.OptionsJSON) {
	if stored != nil {
		s := *stored
		o.stored = &s
	} else {
		o.stored = nil
	}
	s := o.storedOrDefault()
	o.filling = true
	o.killSwitch.SetChecked(s.KillSwitch != string(tunnel.KillSwitchOff))
	o.allowLAN.SetChecked(s.AllowLAN)
	o.filling = false
	o.enable()
}

// defaultOptions are the options of a freshly imported tunnel.
func defaultOptions() api.OptionsJSON {
	return api.OptionsJSON{KillSwitch: string(tunnel.KillSwitchAuto)}
}

// storedOrDefault are the stored options with the kill switch spelled
// out, or the defaults.
func (o *editorOptions) storedOrDefault() api.OptionsJSON {
	if o.stored == nil {
		return defaultOptions()
	}
	s := *o.stored
	if s.KillSwitch == "" {
		s.KillSwitch = string(tunnel.KillSwitchAuto)
	}
	return s
}

// enable allows Allow LAN only under the kill switch, and only where the
// system can honour it (or it is on already: it can always be turned off).
func (o *editorOptions) enable() {
	setEnabled(o.allowLAN, o.killSwitch.Checked && (o.lanAvailable || o.storedOrDefault().AllowLAN))
}

// follow shows or hides the checks for the text's config cfg; nil (the
// text does not parse) leaves them as they are, so that they do not
// flicker while a line is half typed. It reports whether they came or
// went: the window must then lay itself out again.
func (o *editorOptions) follow(cfg *config.Config) bool {
	was := o.box.Visible()
	switch {
	case o.stored == nil: // the service has no options
		o.box.Hide()
	case cfg == nil:
	case tunnel.IsFullTunnel(cfg):
		o.box.Show()
	default:
		o.box.Hide()
	}
	return o.box.Visible() != was
}

// wanted are the options the checks ask for. Hidden checks ask for the
// stored options: the user did not see them. A checked kill switch keeps
// "auto" when that is stored, so that it goes on following the config.
func (o *editorOptions) wanted() api.OptionsJSON {
	s := o.storedOrDefault()
	if !o.box.Visible() {
		return s
	}
	w := s // what the checks do not show (autostart) stays as stored
	w.AllowLAN = o.allowLAN.Checked
	switch {
	case !o.killSwitch.Checked:
		w.KillSwitch = string(tunnel.KillSwitchOff)
	case s.KillSwitch == string(tunnel.KillSwitchOff):
		w.KillSwitch = string(tunnel.KillSwitchOn)
	}
	return w
}

// changed reports whether the checks ask for other options than the
// stored ones.
func (o *editorOptions) changed() bool {
	return o.stored != nil && o.wanted() != o.storedOrDefault()
}

// optionsErrorText says in a sentence why the service refused want. The
// service refuses Allow LAN as unsupported where it cannot keep the LAN
// open; a service too old for options is unsupported too, but answers
// 404, and humanText has its sentence.
func optionsErrorText(err error, want api.OptionsJSON) string {
	var e *api.Error
	if want.AllowLAN && errors.As(err, &e) && e.Code == api.CodeUnsupported && e.Status != http.StatusNotFound {
		return "This system cannot keep the local network reachable under the kill switch yet, so it stays blocked."
	}
	return humanText(err)
}
