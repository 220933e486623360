package tunnel

import (
	"errors"
	"strings"
	"testing"
)

// takenBy is what the manager passes: names of our running tunnels, then
// Deps.InterfaceExists, which compares with case as net.InterfaceByName.
func takenBy(ours []string, exists map[string]bool) func(string) bool {
	return func(n string) bool {
		for _, o := range ours {
			if o == n {
				return true
			}
		}
		return exists[n]
	}
}

func TestAdapterName(t *testing.T) {
	// A Windows laptop: the adapters as GetIfTable2Ex lists them.
	aliases := []string{"Ethernet", "Wi-Fi", "Bluetooth Network Connection", "Loopback Pseudo-Interface 1", "WGDESK-WI-FI"}
	exists := map[string]bool{}
	for _, a := range aliases {
		exists[a] = true
	}
	tests := []struct {
		name   string
		tunnel string
		ours   []string
		want   string
	}{
		{"free name is kept", "home", nil, "home"},
		{"a real adapter's name", "Ethernet", nil, "wgdesk-Ethernet"},
		{"a real adapter's name in other case", "wi-fi", nil, "wgdesk-wi-fi-2"},
		{"ethernet in lower case", "ethernet", nil, "wgdesk-ethernet"},
		{"fallback taken by an adapter too", "Wi-Fi", nil, "wgdesk-Wi-Fi-2"},
		{"our own tunnel holds the name", "home", []string{"home", "wgdesk-home"}, "wgdesk-home-2"},
		{"numbered fallbacks skip what is taken", "Ethernet", []string{"wgdesk-Ethernet", "wgdesk-Ethernet-2"}, "wgdesk-Ethernet-3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := adapterName(tt.tunnel, takenBy(tt.ours, exists), aliases, nil)
			if got != tt.want {
				t.Fatalf("adapterName(%q) = %q, want %q", tt.tunnel, got, tt.want)
			}
			for _, a := range aliases {
				if strings.EqualFold(a, got) {
					t.Fatalf("adapterName(%q) = %q, the name of the adapter %q", tt.tunnel, got, a)
				}
			}
		})
	}
}

// Without the adapter list, only taken is known, and it compares with
// case: the tunnel's own name, the one most likely to be a real adapter's,
// is not used.
func TestAdapterNameWithoutAdapterList(t *testing.T) {
	taken := takenBy(nil, map[string]bool{"Ethernet": true})
	if got := adapterName("ethernet", taken, nil, errors.New("access denied")); got != "wgdesk-ethernet" {
		t.Fatalf("got %q, want wgdesk-ethernet", got)
	}
	if got := adapterName("home", takenBy([]string{"wgdesk-home"}, nil), nil, errors.New("x")); got != "wgdesk-home-2" {
		t.Fatalf("got %q, want wgdesk-home-2", got)
	}
}
