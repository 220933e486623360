package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/internal/netlab"
)

// A tunnel marked "connect at startup" comes up when the service starts
// again (a reboot, as far as the service can tell) and handshakes with
// the Debian peer; one not marked stays down. With the uplink down at
// start, the service waits and says why, and brings the tunnel up once
// the uplink is back.
func TestE2EAutostart(t *testing.T) {
	l := netlab.New(t, netlab.Options{})
	svc := l.StartService()
	l.Import("office", "10.66.0.0/24, fd42:66::/64")
	l.Import("other", "203.0.113.0/24")
	if out := l.Wgdesk("set", "office", "autostart=on"); !strings.Contains(out, "connect at startup: on") {
		t.Fatalf("set autostart=on:\n%s", out)
	}
	if out := l.Wgdesk("status", "--json", "office"); !strings.Contains(out, `"autostart": true`) {
		t.Fatalf("status --json lacks autostart:\n%s", out)
	}
	svc.Stop(t)

	// The service starts again: office comes up by itself.
	svc = l.StartService()
	netlab.WaitFor(t, 20*time.Second, "office up at start", func() bool { return l.Status("office").State == "active" })
	checkTraffic(t, l, "office")
	if st := l.Status("other"); st.State != "inactive" {
		t.Errorf("a tunnel not marked for autostart is %s", st.State)
	}
	if !strings.Contains(svc.Log(), "autostart: office is up") {
		t.Errorf("the log does not say office came up at start:\n%s", svc.Log())
	}
	svc.Stop(t)

	// Offline at start: no route to the endpoint, no default route.
	uplink := l.ClientUplink()
	l.InNS(l.Client, "ip", "link", "set", uplink, "down")
	svc = l.StartService()
	netlab.WaitFor(t, 15*time.Second, "the service saying it waits", func() bool {
		return strings.Contains(svc.Log(), "autostart: office waits for the network: no default route and no route to "+netlab.UplinkServer)
	})
	if st := l.Status("office"); st.State != "inactive" {
		t.Fatalf("office is %s while the uplink is down", st.State)
	}
	l.InNS(l.Client, "ip", "link", "set", uplink, "up")
	l.InNS(l.Client, "ip", "route", "replace", "default", "via", netlab.UplinkServer)
	// The pauses double from 1s: within 20s it has looked again.
	netlab.WaitFor(t, 30*time.Second, "office up once the uplink is back", func() bool { return l.Status("office").State == "active" })
	checkTraffic(t, l, "office")

	// Turned off, it stays down at the next start.
	l.Wgdesk("set", "office", "autostart=off")
	svc.Stop(t)
	svc = l.StartService()
	time.Sleep(2 * time.Second) // what autostart would do happens within this
	if st := l.Status("office"); st.State != "inactive" || strings.Contains(svc.Log(), "autostart:") {
		t.Errorf("office is %s at start with autostart off; log:\n%s", st.State, svc.Log())
	}
	svc.Stop(t)
}
