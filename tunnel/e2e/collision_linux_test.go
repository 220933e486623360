package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/internal/netlab"
)

// A tunnel route inside the client's uplink subnet (198.51.100.0/24, the
// café's LAN in this lab) is warned about by the real service: in the
// import answer, in the up answer, in status and in the service log,
// each naming both networks and the uplink; down clears it. The tunnel
// still comes up, and the lower half of the subnet (where its endpoint
// is) stays on the uplink.
func TestE2ECollisionWarning(t *testing.T) {
	l := netlab.New(t, netlab.Options{})
	svc := l.StartService()
	path := filepath.Join(l.Dir, "collide.conf")
	if err := os.WriteFile(path, []byte(l.ClientConfig("10.66.0.0/24, 198.51.100.128/25")), 0o600); err != nil {
		t.Fatal(err)
	}
	want := "the tunnel's 198.51.100.128/25 lies inside the LAN 198.51.100.0/24 on " + l.ClientUplink() +
		": while the tunnel is up, hosts of that LAN in 198.51.100.128/25 cannot be reached"

	if out := l.Wgdesk("import", "--name", "collide", path); !strings.Contains(out, "\n  warning: "+want) {
		t.Errorf("import output lacks the warning:\n%s", out)
	}
	out := l.Wgdesk("up", "collide")
	if !strings.Contains(out, "collide is active") || !strings.Contains(out, "\n  warning: "+want) {
		t.Errorf("up output lacks the warning:\n%s", out)
	}
	if st := l.Wgdesk("status", "--json", "collide"); !strings.Contains(st, `"warnings": [`) || !strings.Contains(st, want) {
		t.Errorf("status --json lacks the warning:\n%s", st)
	}
	if err := l.Ping(netlab.TunServer4); err != nil {
		t.Errorf("the tunnel does not pass traffic: %v", err)
	}
	netlab.WaitFor(t, 5*time.Second, "the warning in the service log", func() bool { return strings.Contains(svc.Log(), want) })
	l.Wgdesk("down", "collide")
	if st := l.Wgdesk("status", "collide"); strings.Contains(st, "warning:") {
		t.Errorf("the warning outlived down:\n%s", st)
	}
}

// A route equal to the uplink's subnet: Linux refuses the second route
// to 198.51.100.0/24 ("file exists"), so the start fails, and status
// shows the warning that says why beside the error.
func TestE2ECollisionEqualSubnetFails(t *testing.T) {
	l := netlab.New(t, netlab.Options{})
	l.StartService()
	l.Import("same", "10.66.0.0/24, 198.51.100.0/24")
	_, errOut, err := l.WgdeskResult("up", "same")
	if err == nil {
		t.Fatalf("up of a tunnel routing the uplink's own subnet succeeded")
	}
	st := l.Wgdesk("status", "same")
	want := "warning: the tunnel's 198.51.100.0/24 is also the LAN on " + l.ClientUplink()
	if !strings.Contains(st, "state: failed") || !strings.Contains(st, want) {
		t.Errorf("status after the failed up (%s):\n%s", strings.TrimSpace(errOut), st)
	}
	l.Wgdesk("down", "same")
	if st := l.Wgdesk("status", "same"); strings.Contains(st, "warning:") {
		t.Errorf("the warning outlived down:\n%s", st)
	}
}
