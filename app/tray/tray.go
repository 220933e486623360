// Package tray decides what the system tray shows: which icon and which
// menu entries, as a pure function of the app's state. The app turns the
// result into Fyne menu items; keeping the decision here lets it be tested
// without a display.
package tray

import "github.com/wgdesk/wgdesk/tunnel"

// State is what the tray reflects.
type State struct {
	// Connected is true while the app follows the service's events.
	Connected bool
	// Tunnels are the stored tunnels, in display order.
	Tunnels []Tunnel
	// CanDiagnose: the app can run the connection doctor, so a tunnel
	// without a handshake gets a Diagnose entry.
	CanDiagnose bool
}

// Tunnel is one stored tunnel as the tray sees it.
type Tunnel struct {
	Name  string
	State tunnel.State
	// Busy is true while the app waits for an up or down it asked for.
	Busy bool
	// Connection is what an active tunnel's handshakes say ("" from a
	// service that does not tell).
	Connection tunnel.Connection
}

// Icon is one of the tray icons.
type Icon int

const (
	IconDisconnected Icon = iota // service up, no tunnel active
	IconConnecting               // a tunnel is changing state
	IconConnected                // at least one tunnel is active
	IconError                    // service down or a tunnel failed
)

func (i Icon) String() string {
	switch i {
	case IconDisconnected:
		return "disconnected"
	case IconConnecting:
		return "connecting"
	case IconConnected:
		return "connected"
	case IconError:
		return "error"
	}
	return "unknown"
}

// IconFor picks the icon: an error outranks a change in progress, which
// outranks an active tunnel. An active tunnel without a handshake is an
// error (up, but nothing passes); one still waiting for its first is in
// progress.
func IconFor(s State) Icon {
	if !s.Connected {
		return IconError
	}
	var changing, active bool
	for _, t := range s.Tunnels {
		switch {
		case t.State == tunnel.StateFailed:
			return IconError
		case t.State == tunnel.StateActive && t.Connection == tunnel.ConnNoHandshake:
			return IconError
		case t.Busy || t.State == tunnel.StateActivating || t.State == tunnel.StateDeactivating,
			t.State == tunnel.StateActive && t.Connection == tunnel.ConnConnecting:
			changing = true
		case t.State == tunnel.StateActive:
			active = true
		}
	}
	switch {
	case changing:
		return IconConnecting
	case active:
		return IconConnected
	}
	return IconDisconnected
}

// Action says what a menu entry does.
type Action int

const (
	ActionNone      Action = iota // a label or a separator
	ActionToggle                  // bring Item.Tunnel up if inactive, else down
	ActionOpen                    // show the main window
	ActionImport                  // open the import dialog
	ActionQuit                    // quit the app
	ActionSeparator               // a separator line
	ActionDiagnose                // run the connection doctor on Item.Tunnel
)

// Item is one entry of the tray menu.
type Item struct {
	Label    string
	Action   Action
	Tunnel   string // for ActionToggle and ActionDiagnose
	Checked  bool   // the tunnel is active
	Disabled bool
}

// Menu lists the tray menu entries: a line on the service when it is not
// reachable, one checkable entry per tunnel (disabled while it changes
// state; an active one says when it waits for a handshake or has none,
// followed by a Diagnose entry for the latter when CanDiagnose), then
// Open, Import and Quit.
func Menu(s State) []Item {
	var items []Item
	switch {
	case !s.Connected:
		items = append(items, Item{Label: "Service not running", Disabled: true})
	case len(s.Tunnels) == 0:
		items = append(items, Item{Label: "No tunnels yet", Disabled: true})
	}
	if s.Connected {
		for _, t := range s.Tunnels {
			it := Item{Label: t.Name, Action: ActionToggle, Tunnel: t.Name, Checked: t.State == tunnel.StateActive}
			switch {
			case t.State == tunnel.StateActivating:
				it.Label += " (connecting…)"
				it.Disabled = true
			case t.State == tunnel.StateDeactivating:
				it.Label += " (disconnecting…)"
				it.Disabled = true
			case t.Busy:
				it.Label += " (waiting for the service…)"
				it.Disabled = true
			case t.State == tunnel.StateFailed:
				it.Label += " (failed)"
			case t.State == tunnel.StateActive && t.Connection == tunnel.ConnConnecting:
				it.Label += " (waiting for a handshake…)"
			case t.State == tunnel.StateActive && t.Connection == tunnel.ConnNoHandshake:
				it.Label += " (no handshake)"
			}
			items = append(items, it)
			if s.CanDiagnose && !t.Busy && t.State == tunnel.StateActive && t.Connection == tunnel.ConnNoHandshake {
				items = append(items, Item{Label: "Diagnose " + t.Name + "…", Action: ActionDiagnose, Tunnel: t.Name})
			}
		}
	}
	return append(items,
		Item{Action: ActionSeparator},
		Item{Label: "Open wgdesk", Action: ActionOpen},
		Item{Label: "Import…", Action: ActionImport, Disabled: !s.Connected},
		Item{Action: ActionSeparator},
		Item{Label: "Quit", Action: ActionQuit},
	)
}
