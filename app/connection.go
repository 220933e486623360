//go:build cgo

package app

// What an active tunnel's handshakes say (tunnel.Connection), in the list,
// the detail pane and the desktop notifications. "Active" means only that
// the interface is up; the service tells whether the peer answered.

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// badgeOf is the list's badge for a tunnel: its state, or for an active
// tunnel what its handshakes say.
func badgeOf(s tunnel.State, c tunnel.Connection) (string, widget.Importance) {
	switch s {
	case tunnel.StateActive:
		switch c {
		case tunnel.ConnConnecting:
			return "Connecting…", widget.WarningImportance
		case tunnel.ConnNoHandshake:
			return "No handshake", widget.DangerImportance
		}
		return stateText(s), widget.SuccessImportance
	case tunnel.StateFailed:
		return stateText(s), widget.DangerImportance
	case tunnel.StateActivating, tunnel.StateDeactivating:
		return stateText(s), widget.WarningImportance
	}
	return stateText(s), widget.LowImportance
}

// connectionText is the detail pane's words for c, after the state; ""
// when the service does not tell.
func connectionText(c tunnel.Connection) string {
	switch c {
	case tunnel.ConnConnecting:
		return "waiting for the first handshake"
	case tunnel.ConnConnected:
		return "connected (the peer answers)"
	case tunnel.ConnNoHandshake:
		return "no handshake: the peer does not answer"
	}
	return ""
}

// notifyEvent sends the desktop notification ev deserves, given the
// tunnel's view before it (ok false: not known yet). "Connected" comes
// with the first handshake, not when the interface comes up (from a
// service that tells; an older one's active state says it as before);
// "no handshake" comes once per activation.
func (u *UI) notifyEvent(ev api.EventJSON, was tunnelView, ok bool) {
	t := ev.Tunnel
	if t == nil {
		return
	}
	if u.noHandshakeSaid == nil {
		u.noHandshakeSaid = map[string]bool{}
	}
	if t.State != tunnel.StateActive {
		delete(u.noHandshakeSaid, t.Name) // the next activation may say it again
	}
	wasState, wasConn := tunnel.State(""), tunnel.Connection("")
	if ok {
		wasState, wasConn = was.State, was.Connection
	}
	var n *fyne.Notification
	switch {
	case ev.Kind == api.EventState && (t.State != tunnel.StateActive || t.Connection == "" || t.Connection == tunnel.ConnConnected):
		// A service that does not tell the connection says "connected"
		// when the interface comes up, as before.
		n = transitionNotification(wasState, *t)
	case ev.Kind == api.EventState && wasState == t.State, ev.Kind != api.EventState && ev.Kind != api.EventConnection:
		return
	case t.State != tunnel.StateActive || (wasState == t.State && wasConn == t.Connection):
		return
	case t.Connection == tunnel.ConnNoHandshake:
		if u.noHandshakeSaid[t.Name] {
			return
		}
		u.noHandshakeSaid[t.Name] = true
		n = connectionNotification(*t, u.opts.OnDiagnose != nil)
	default: // connecting says nothing; the first handshake will
		n = connectionNotification(*t, u.opts.OnDiagnose != nil)
	}
	if n != nil {
		u.app.SendNotification(n)
	}
}

// connectionNotification is the notification for an active tunnel whose
// Connection just changed, or nil. canDiagnose: the app has the doctor
// (Options.OnDiagnose).
func connectionNotification(t api.TunnelJSON, canDiagnose bool) *fyne.Notification {
	switch t.Connection {
	case tunnel.ConnConnected:
		msg := "The peer answered; the tunnel is up."
		if t.Interface != "" {
			msg = "The peer answered; the tunnel is up on " + t.Interface + "."
		}
		return fyne.NewNotification("wgdesk: "+t.Name+" connected", msg)
	case tunnel.ConnNoHandshake:
		msg := "The tunnel is up but the peer does not answer: its firewall may drop the WireGuard port, or it does not know this computer's key. "
		if canDiagnose {
			msg += "Choose Diagnose in the wgdesk menu to find out which."
		} else {
			msg += "`wgdesk doctor " + t.Name + "` finds out which."
		}
		return fyne.NewNotification("wgdesk: "+t.Name+": no handshake", msg)
	}
	return nil
}
