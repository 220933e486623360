package tray

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/tunnel"
)

// render writes a menu one entry a line: [x] for checked toggles, [ ] for
// unchecked, "-" for separators, (off) for disabled entries.
func render(items []Item) string {
	var b strings.Builder
	for _, it := range items {
		switch it.Action {
		case ActionSeparator:
			b.WriteString("-\n")
			continue
		case ActionToggle:
			if it.Checked {
				b.WriteString("[x] ")
			} else {
				b.WriteString("[ ] ")
			}
			if it.Tunnel != strings.Fields(it.Label)[0] {
				fmt.Fprintf(&b, "<tunnel %q> ", it.Tunnel)
			}
		}
		b.WriteString(it.Label)
		if it.Disabled {
			b.WriteString(" (off)")
		}
		b.WriteString("\n")
	}
	return b.String()
}

const tail = `-
Open wgdesk
Import…
-
Quit
`

func TestMenu(t *testing.T) {
	for _, tc := range []struct {
		name  string
		state State
		want  string
		icon  Icon
	}{
		{
			name:  "service down",
			state: State{Connected: false, Tunnels: []Tunnel{{Name: "home", State: tunnel.StateActive}}},
			want:  "Service not running (off)\n-\nOpen wgdesk\nImport… (off)\n-\nQuit\n",
			icon:  IconError,
		},
		{
			name:  "no tunnels",
			state: State{Connected: true},
			want:  "No tunnels yet (off)\n" + tail,
			icon:  IconDisconnected,
		},
		{
			name: "all inactive",
			state: State{Connected: true, Tunnels: []Tunnel{
				{Name: "home", State: tunnel.StateInactive},
				{Name: "office", State: tunnel.StateInactive},
			}},
			want: "[ ] home\n[ ] office\n" + tail,
			icon: IconDisconnected,
		},
		{
			name: "one active",
			state: State{Connected: true, Tunnels: []Tunnel{
				{Name: "home", State: tunnel.StateActive},
				{Name: "office", State: tunnel.StateInactive},
			}},
			want: "[x] home\n[ ] office\n" + tail,
			icon: IconConnected,
		},
		{
			name: "changing outranks active",
			state: State{Connected: true, Tunnels: []Tunnel{
				{Name: "home", State: tunnel.StateActive},
				{Name: "office", State: tunnel.StateActivating},
				{Name: "lab", State: tunnel.StateDeactivating},
			}},
			want: "[x] home\n[ ] office (connecting…) (off)\n[ ] lab (disconnecting…) (off)\n" + tail,
			icon: IconConnecting,
		},
		{
			name: "waiting for an answer",
			state: State{Connected: true, Tunnels: []Tunnel{
				{Name: "home", State: tunnel.StateInactive, Busy: true},
			}},
			want: "[ ] home (waiting for the service…) (off)\n" + tail,
			icon: IconConnecting,
		},
		{
			name: "waiting for the first handshake",
			state: State{Connected: true, CanDiagnose: true, Tunnels: []Tunnel{
				{Name: "home", State: tunnel.StateActive, Connection: tunnel.ConnConnecting},
				{Name: "office", State: tunnel.StateActive, Connection: tunnel.ConnConnected},
			}},
			want: "[x] home (waiting for a handshake…)\n[x] office\n" + tail,
			icon: IconConnecting,
		},
		{
			name: "no handshake is an error, with a Diagnose entry",
			state: State{Connected: true, CanDiagnose: true, Tunnels: []Tunnel{
				{Name: "home", State: tunnel.StateActive, Connection: tunnel.ConnNoHandshake},
				{Name: "office", State: tunnel.StateActive, Connection: tunnel.ConnConnected},
			}},
			want: "[x] home (no handshake)\nDiagnose home…\n[x] office\n" + tail,
			icon: IconError,
		},
		{
			name: "no Diagnose entry without the doctor",
			state: State{Connected: true, Tunnels: []Tunnel{
				{Name: "home", State: tunnel.StateActive, Connection: tunnel.ConnNoHandshake},
			}},
			want: "[x] home (no handshake)\n" + tail,
			icon: IconError,
		},
		{
			name: "failed outranks everything",
			state: State{Connected: true, Tunnels: []Tunnel{
				{Name: "home", State: tunnel.StateActivating},
				{Name: "office", State: tunnel.StateFailed},
			}},
			want: "[ ] home (connecting…) (off)\n[ ] office (failed)\n" + tail,
			icon: IconError,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := render(Menu(tc.state)); got != tc.want {
				t.Errorf("menu:\n%s\nwant:\n%s", got, tc.want)
			}
			if got := IconFor(tc.state); got != tc.icon {
				t.Errorf("icon %v, want %v", got, tc.icon)
			}
		})
	}
}

func TestMenuDiagnoseNamesTunnel(t *testing.T) {
	items := Menu(State{Connected: true, CanDiagnose: true, Tunnels: []Tunnel{{Name: "a b", State: tunnel.StateActive, Connection: tunnel.ConnNoHandshake}}})
	if items[1].Action != ActionDiagnose || items[1].Tunnel != "a b" {
		t.Fatalf("second item %+v, want Diagnose of %q", items[1], "a b")
	}
}

func TestMenuToggleNamesTunnel(t *testing.T) {
	items := Menu(State{Connected: true, Tunnels: []Tunnel{{Name: "a b", State: tunnel.StateActivating}}})
	if items[0].Action != ActionToggle || items[0].Tunnel != "a b" {
		t.Fatalf("first item %+v, want a toggle of %q", items[0], "a b")
	}
	if items[len(items)-1].Action != ActionQuit {
		t.Fatalf("last item %+v, want Quit", items[len(items)-1])
	}
}
