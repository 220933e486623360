package platform

import "testing"

// The Linux Network has no firewall yet (issue #11): it must not claim a
// kill switch.
func TestLinuxHasNoKillSwitchYet(t *testing.T) {
	n, err := newLinux(Options{StateDir: t.TempDir()}, linuxSeams{})
	if err != nil {
		t.Fatal(err)
	}
	if got := FirewallOf(n); got != (FirewallSupport{}) {
		t.Errorf("linux claims a firewall: %+v", got)
	}
}
