package platform

import "testing"

// Windows (WFP) and Linux (nftables) enforce a kill switch; the macOS
// Network and the fallback must not claim one, so that the service tells
// the user it is not available rather than pretend it is on.
func TestNoKillSwitchWithoutAFirewall(t *testing.T) {
	for name, n := range map[string]Network{
		"macos without pfctl": newMacNetwork(Options{StateDir: t.TempDir()}, nil),
		"unsupported":         unsupported{os: "plan9"},
	} {
		if got := FirewallOf(n); got != (FirewallSupport{}) {
			t.Errorf("%s claims a firewall: %+v", name, got)
		}
	}
}

func TestFirewallSettingsAreNotZero(t *testing.T) {
	if (Settings{KillSwitch: true}).IsZero() || (Settings{AllowLAN: true}).IsZero() {
		t.Error("a firewall setting counts as nothing")
	}
}
