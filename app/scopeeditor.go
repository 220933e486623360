//go:build cgo

package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/wgdesk/wgdesk/config"
)

// editorScope is the editor's Traffic control: the scope prompt's three
// answers as a choice that rewrites the AllowedIPs of the text (and only
// them: the text is written back with the config writer, which is how
// the service stores it) and follows the text as the user edits it.
type editorScope struct {
	sel *widget.Select
	box *fyne.Container
	// filling is set while follow selects, so that OnChanged does not
	// take it for the user.
	filling bool
}

func newEditorScope(e *editor) *editorScope {
	s := &editorScope{}
	s.sel = widget.NewSelect([]string{scopeAllLabel, scopeRouterLabel, scopePrivateLabel}, func(l string) {
		if !s.filling {
			s.set(e, scopeOfLabel(l))
		}
	})
	note := widget.NewLabel("Changes the AllowedIPs line. The router's networks start from the config's DNS server and addresses; edit them in the text.")
	note.Wrapping = fyne.TextWrapWord
	note.Importance = widget.LowImportance
	label := widget.NewLabelWithStyle("Traffic", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.box = container.NewVBox(widget.NewSeparator(), container.NewBorder(nil, nil, label, nil, s.sel), note)
	s.box.Hide()
	return s
}

// follow shows the control while the text has a peer to scope (one with
// a default route, or the only one) and selects what its AllowedIPs are.
// It reports whether the control came or went (the editor lays out
// again).
func (s *editorScope) follow(cfg *config.Config) bool {
	var sc config.Scope
	if cfg != nil {
		sc = config.ScopeOf(cfg)
	}
	was := s.box.Visible()
	if sc == "" {
		s.box.Hide()
		return was
	}
	s.filling = true
	s.sel.SetSelected(scopeLabel(sc))
	s.filling = false
	s.box.Show()
	return !was
}

// set rewrites the text's AllowedIPs for sc. A list of networks is
// already the router's networks: choosing them again keeps it.
func (s *editorScope) set(e *editor, sc config.Scope) {
	cfg, _, err := config.Parse([]byte(e.text.Text))
	if err != nil {
		return // the control hides with an invalid text anyway
	}
	if sc == config.ScopeRouter && config.ScopeOf(cfg) == config.ScopeCustom {
		return
	}
	if err := config.SetScope(cfg, sc, config.RouterSuggestion(cfg)); err != nil {
		s.follow(cfg)
		e.status.SetText("The config names no private DNS server or address to take the router's networks from: write them in AllowedIPs.")
		return
	}
	e.text.SetText(string(cfg.Marshal())) // validate follows
	// All but the private ranges keeps the LAN out of the tunnel; under
	// a kill switch (a full tunnel still, with ::/0) only Allow LAN
	// keeps it reachable.
	if o := e.opts; sc == config.ScopePrivate && o.box.Visible() && o.killSwitch.Checked && !o.allowLAN.Disabled() {
		o.allowLAN.SetChecked(true)
	}
}
