//go:build cgo

package app

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// The per-tunnel options in the detail pane: the kill switch and Allow
// LAN of a full tunnel, and for every tunnel whether the service connects
// it when the computer starts. The service keeps them outside the
// wg-quick text; they are set here, taking effect at once on an active
// tunnel, or in the editor beside the text (editoroptions.go).

// Labels of the checks.
const (
	killSwitchLabel = "Block traffic outside the tunnel (kill switch)"
	allowLANLabel   = "Allow local network (printers, file shares)"
	autostartLabel  = "Connect when the computer starts"
)

// autostartNote says what the autostart check does, under it.
const autostartNote = "The service brings this tunnel up when the computer starts and the network is online, before anyone logs in."

// optionsView holds the option cards of one tunnel's pane.
type optionsView struct {
	name       string
	killSwitch *widget.Check // nil for a split tunnel, as are allowLAN, note, card
	allowLAN   *widget.Check
	note       *widget.Label
	card       *widget.Card // leak protection
	autostart  *widget.Check
	startCard  *widget.Card
	// filling is set while fillOptions sets the checks, so that their
	// OnChanged does not take it for the user.
	filling bool
	busy    bool // a change is on its way to the service
}

// cards are the cards to show, leak protection first.
func (o *optionsView) cards() []fyne.CanvasObject {
	if o == nil {
		return nil
	}
	if o.card == nil {
		return []fyne.CanvasObject{o.startCard}
	}
	return []fyne.CanvasObject{o.card, o.startCard}
}

// newOptionsView builds the cards for v: leak protection for a full
// tunnel (the kill switch does not apply to a split one), startup for
// every tunnel. It returns nil for a service too old to have options.
func (u *UI) newOptionsView(v tunnelView) *optionsView {
	if v.Options == nil {
		return nil
	}
	o := &optionsView{name: v.Name}
	o.autostart = widget.NewCheck(autostartLabel, func(on bool) {
		if o.filling {
			return
		}
		cur := u.currentOptions(o.name)
		cur.Autostart = on
		u.setOptions(o, cur)
	})
	startNote := widget.NewLabel(autostartNote)
	startNote.Wrapping = fyne.TextWrapWord
	o.startCard = widget.NewCard("Startup", "", container.NewVBox(o.autostart, startNote))
	if !v.FullTunnel {
		return o
	}
	o.note = widget.NewLabel("")
	o.note.Wrapping = fyne.TextWrapWord
	o.killSwitch = widget.NewCheck(killSwitchLabel, func(on bool) {
		if o.filling {
			return
		}
		cur := u.currentOptions(o.name)
		cur.KillSwitch = string(tunnel.KillSwitchOff)
		if on {
			cur.KillSwitch = string(tunnel.KillSwitchOn)
		}
		u.setOptions(o, cur)
	})
	o.allowLAN = widget.NewCheck(allowLANLabel, func(on bool) {
		if o.filling {
			return
		}
		cur := u.currentOptions(o.name)
		cur.AllowLAN = on
		u.setOptions(o, cur)
	})
	o.card = widget.NewCard("Leak protection", "", container.NewVBox(o.killSwitch, o.allowLAN, o.note))
	return o
}

// currentOptions are the options the model has for name.
func (u *UI) currentOptions(name string) api.OptionsJSON {
	if v, ok := u.model.get(name); ok && v.Options != nil {
		return *v.Options
	}
	return api.OptionsJSON{KillSwitch: string(tunnel.KillSwitchAuto)}
}

// fillOptions shows v's options and what the kill switch does now.
func (u *UI) fillOptions(o *optionsView, v tunnelView) {
	if o == nil || v.Options == nil {
		return
	}
	if !o.busy {
		o.filling = true
		o.autostart.SetChecked(v.Options.Autostart)
		o.filling = false
	}
	setEnabled(o.autostart, !o.busy)
	if o.killSwitch == nil {
		return
	}
	ksOn := v.Options.KillSwitch != string(tunnel.KillSwitchOff)
	if o.busy {
		// The checks keep what the user asked for until the answer.
		ksOn = o.killSwitch.Checked
	} else {
		o.filling = true
		o.killSwitch.SetChecked(ksOn)
		o.allowLAN.SetChecked(v.Options.AllowLAN)
		o.filling = false
	}
	setEnabled(o.killSwitch, !o.busy)
	// Allow LAN means something only under the kill switch, and cannot
	// be turned on where the system cannot honour it (it can always be
	// turned off).
	setEnabled(o.allowLAN, !o.busy && ksOn && (v.AllowLANAvailable || v.Options.AllowLAN))
	setText(o.note, optionsNote(v))
}

// optionsNote says in a sentence or two what the kill switch does for v.
func optionsNote(v tunnelView) string {
	lan := ""
	if v.Options != nil && v.Options.AllowLAN {
		lan = ", except the local network"
	}
	var s string
	switch v.KillSwitch {
	case tunnel.KillSwitchActive:
		s = "On: everything outside the tunnel is blocked" + lan + "."
	case tunnel.KillSwitchArmed:
		s = "On: while the tunnel is up, everything outside it will be blocked" + lan + "."
	case tunnel.KillSwitchUnavailable:
		s = "On, but not available on this system yet: traffic outside the tunnel is not blocked."
	case tunnel.KillSwitchDisabled:
		s = "Off: if the tunnel drops, traffic goes out unprotected."
	}
	if !v.AllowLANAvailable && v.KillSwitch != tunnel.KillSwitchUnavailable {
		s += " Allowing the local network is not available on this system yet."
	}
	return s
}

func setEnabled(w fyne.Disableable, on bool) {
	switch {
	case on && w.Disabled():
		w.Enable()
	case !on && !w.Disabled():
		w.Disable()
	}
}

// setOptions sends o's new options to the service. The checks show the
// model until the service's event (or answer) comes, and fall back to it
// with an error dialog when the change is refused.
func (u *UI) setOptions(o *optionsView, want api.OptionsJSON) {
	if o.busy || !u.connected {
		u.renderDetail()
		return
	}
	o.busy = true
	u.renderDetail()
	name := o.name
	go func() {
		ctx, cancel := context.WithTimeout(u.ctx, opTimeout)
		defer cancel()
		// The new options come back as an event; on error the checks
		// fall back to the model's.
		got, err := u.client.SetOptions(ctx, name, want)
		u.opts.Do(func() {
			o.busy = false
			if err == nil && got.Name == name {
				// The answer is the tunnel as stored: fold it in now,
				// so that a click that comes before the event starts
				// from these options, not the ones they replaced. Its
				// config is left out, as a stats event's is: the one
				// the model has keys the detail pane, which must not
				// be rebuilt under the user's pointer.
				got.Config = nil
				u.model.apply(api.EventJSON{Kind: api.EventOptions, Tunnel: &got})
			}
			if err != nil {
				u.opts.Logf("set options of %s: %v", name, err)
				title := fmt.Sprintf("Could not change the kill switch of %s", name)
				if want.Autostart != u.currentOptions(name).Autostart {
					title = fmt.Sprintf("Could not change whether %s connects when the computer starts", name)
				}
				u.showText(title, optionsErrorText(err, want))
			}
			u.render()
		})
	}()
}
