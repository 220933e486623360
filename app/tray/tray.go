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
}

// Tunnel is one stored tunnel as the tray sees it.
type Tunnel struct {
	Name  string
	State tunnel.State
	// Busy is true while the app waits for an up or down it asked for.
	Busy bool
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
// outranks an active tunnel.
func IconFor(s State) Icon {
	if !s.Connected {
		return IconError
	}
	var changing, active bool
	for _, t := range s.Tunnels {
		switch {
		case t.State == tunnel.StateFailed:
			return IconError
		case t.Busy || t.State == tunnel.StateActivating || t.State == tunnel.StateDeactivating:
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
)

// Item is one entry of the tray menu.
type Item struct {
	Label    string
	Action   Action
	Tunnel   string // for ActionToggle
	Checked  bool   // the tunnel is active
	Disabled bool
}

// Menu lists the tray menu entries: a line on the service when it is not
// reachable, one checkable entry per tunnel (disabled while it changes
// state), then Open, Import and Quit.
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
			}
			items = append(items, it)
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
