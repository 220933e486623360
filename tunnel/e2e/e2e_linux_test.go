package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/internal/netlab"

	goldenfile "github.com/wgdesk/wgdesk/internal/golden"
)

// checkTraffic proves pings to the office LAN pass through the tunnel and
// that the peer's figures show a handshake and growing counters.
func checkTraffic(t *testing.T, l *netlab.Lab, name string) {
	t.Helper()
	if err := l.Ping(netlab.OfficeLAN4); err != nil {
		t.Fatalf("office LAN unreachable through the tunnel: %v", err)
	}
	st := l.Status(name)
	if st.State != "active" || st.Interface == "" || len(st.Peers) != 1 {
		t.Fatalf("status after up: %+v", st)
	}
	p := st.Peers[0]
	if p.PublicKey != l.ServerKey.PublicKey().String() {
		t.Fatalf("peer public key %q, want the server's", p.PublicKey)
	}
	if p.LastHandshake == "" {
		t.Fatalf("no handshake in status: %+v", p)
	}
	if _, err := time.Parse(time.RFC3339, p.LastHandshake); err != nil {
		t.Fatalf("last_handshake %q is not RFC 3339: %v", p.LastHandshake, err)
	}
	if p.Endpoint != "198.51.100.1:51820" {
		t.Fatalf("endpoint %q", p.Endpoint)
	}
	if err := l.Ping(netlab.TunServer4); err != nil {
		t.Fatal(err)
	}
	p2 := l.Status(name).Peers[0]
	if p2.RxBytes <= p.RxBytes || p2.TxBytes <= p.TxBytes {
		t.Fatalf("counters did not grow after a ping: before rx=%d tx=%d, after rx=%d tx=%d", p.RxBytes, p.TxBytes, p2.RxBytes, p2.TxBytes)
	}
	// The packets really crossed the tunnel: the server saw the handshake.
	if out := l.InNS(l.Server, "wg", "show", l.ServerIf(), "latest-handshakes"); strings.Contains(out, "\t0\n") {
		t.Fatalf("the server has no handshake with the client: %q", out)
	}
}

func TestE2ESplitTunnel(t *testing.T) {
	l := netlab.New(t, netlab.Options{DNS: true})
	before := l.Snapshot()
	svc := l.StartService()
	l.Import("office", "10.66.0.0/24, fd42:66::/64, 203.0.113.0/24, 2001:db8:99::/64")
	if got := l.Wgdesk("list"); !strings.Contains(got, "office") {
		t.Fatalf("list lacks the imported tunnel:\n%s", got)
	}
	l.Wgdesk("up", "office")
	checkTraffic(t, l, "office")
	if err := l.Ping(netlab.OfficeLAN6); err != nil {
		t.Fatalf("office LAN over IPv6: %v", err)
	}
	// A split tunnel leaves the default route alone.
	if got := l.InNS(l.Client, "ip", "route", "get", "192.0.2.1"); !strings.Contains(got, "dev "+l.ClientUplink()) {
		t.Fatalf("an address outside AllowedIPs does not use the uplink: %s", got)
	}
	checkDNS(t, l)
	l.Wgdesk("down", "office")
	if st := l.Status("office"); st.State != "inactive" {
		t.Fatalf("state after down: %q", st.State)
	}
	if after := l.Snapshot(); after != before {
		t.Fatalf("down did not restore the namespace (- before, + after):\n%s", goldenfile.Diff(before, after))
	}
	svc.Stop(t)
}

func TestE2EFullTunnel(t *testing.T) {
	l := netlab.New(t, netlab.Options{DNS: true})
	before := l.Snapshot()
	svc := l.StartService()
	l.Import("home", "0.0.0.0/0, ::/0")
	l.Wgdesk("up", "home")
	checkTraffic(t, l, "home")
	if err := l.Ping(netlab.OfficeLAN6); err != nil {
		t.Fatalf("office LAN over IPv6: %v", err)
	}
	// Everything else goes into the tunnel...
	iface := l.Status("home").Interface
	if got := l.InNS(l.Client, "ip", "route", "get", "192.0.2.1"); !strings.Contains(got, "dev "+iface) {
		t.Fatalf("a full tunnel does not carry other traffic: %s", got)
	}
	// ...but the tunnel's own packets to the endpoint keep the uplink.
	rules := l.InNS(l.Client, "ip", "rule", "show")
	mark := ""
	for _, line := range strings.Split(rules, "\n") {
		if i := strings.Index(line, "not from all fwmark "); i >= 0 {
			mark = strings.Fields(line[i+len("not from all fwmark "):])[0]
		}
	}
	if mark == "" {
		t.Fatalf("no `not fwmark` rule for the full tunnel:\n%s", rules)
	}
	if !strings.Contains(rules, "suppress_prefixlength 0") {
		t.Fatalf("no suppress_prefixlength rule:\n%s", rules)
	}
	if got := l.InNS(l.Client, "ip", "route", "get", netlab.UplinkServer, "mark", mark); !strings.Contains(got, "dev "+l.ClientUplink()) {
		t.Fatalf("the endpoint is not reached outside the tunnel: %s", got)
	}
	checkDNS(t, l)
	l.Wgdesk("down", "home")
	if after := l.Snapshot(); after != before {
		t.Fatalf("down did not restore the namespace (- before, + after):\n%s", goldenfile.Diff(before, after))
	}
	svc.Stop(t)
}

// checkDNS proves the config's DNS is in effect: resolv.conf names the
// router and a name only the router knows resolves through the tunnel.
func checkDNS(t *testing.T, l *netlab.Lab) {
	t.Helper()
	rc, err := os.ReadFile(l.ResolvConfPath())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rc), "nameserver "+netlab.TunServer4) || !strings.Contains(string(rc), "home.lan") {
		t.Fatalf("resolv.conf does not carry the tunnel's DNS:\n%s", rc)
	}
	out := l.InNS(l.Client, "getent", "ahostsv4", netlab.OfficeName)
	if !strings.Contains(out, netlab.OfficeLAN4) {
		t.Fatalf("%s did not resolve through the router: %q", netlab.OfficeName, out)
	}
	// The search domain applies too.
	out = l.InNS(l.Client, "getent", "ahostsv4", "office")
	if !strings.Contains(out, netlab.OfficeLAN4) {
		t.Fatalf("search domain home.lan not in effect: %q", out)
	}
}

// A service killed with SIGKILL leaves rules and resolv.conf behind; its
// next start must undo them.
func TestE2EKilledServiceCleansUpAtNextStart(t *testing.T) {
	l := netlab.New(t, netlab.Options{DNS: true})
	before := l.Snapshot()
	svc := l.StartService()
	l.Import("home", "0.0.0.0/0, ::/0")
	l.Wgdesk("up", "home")
	if err := l.Ping(netlab.OfficeLAN4); err != nil {
		t.Fatal(err)
	}
	svc.Kill()
	if l.Snapshot() == before {
		t.Fatal("a killed service left nothing behind; the test proves nothing")
	}
	svc2 := l.StartService()
	if after := l.Snapshot(); after != before {
		t.Fatalf("the next start did not clean up (- before, + after):\n%s", goldenfile.Diff(before, after))
	}
	if st := l.Status("home"); st.State != "inactive" {
		t.Fatalf("after a crash the tunnel should be inactive, is %q", st.State)
	}
	// And the tunnel still works after recovery.
	l.Wgdesk("up", "home")
	if err := l.Ping(netlab.OfficeLAN4); err != nil {
		t.Fatal(err)
	}
	svc2.Stop(t)
	if after := l.Snapshot(); after != before {
		t.Fatalf("SIGTERM did not deactivate the tunnel (- before, + after):\n%s", goldenfile.Diff(before, after))
	}
}

// A caller that is neither root nor in group wgdesk is refused, with a
// message saying how to get access, whether the socket's mode stops it or
// the service's own check does.
func TestE2EStrangerIsRefused(t *testing.T) {
	l := netlab.New(t, netlab.Options{DNS: true})
	l.StartService()
	for _, tool := range []string{"useradd", "userdel", "runuser"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: install Debian's passwd and util-linux (make deps-test)", tool)
		}
	}
	user := "wgdesk-e2e-" + l.ID
	netlab.Run(t, "useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user)
	t.Cleanup(func() { exec.Command("userdel", user).Run() })

	asStranger := func() (string, error) {
		out, err := exec.Command("runuser", "-u", user, "--", l.Bin, "list", "--socket", l.SocketPath()).CombinedOutput()
		return string(out), err
	}
	out, err := asStranger()
	if err == nil {
		t.Fatalf("a stranger could list tunnels:\n%s", out)
	}
	if !strings.Contains(out, "wgdesk") || !strings.Contains(strings.ToLower(out), "group") {
		t.Fatalf("the refusal does not say how to get access:\n%s", out)
	}
	// Open the socket's mode so that only the service's SO_PEERCRED check
	// stands between the stranger and the tunnels.
	if err := os.Chmod(l.SocketPath(), 0o666); err != nil {
		t.Fatal(err)
	}
	out, err = asStranger()
	if err == nil {
		t.Fatalf("the service let a stranger in:\n%s", out)
	}
	if !strings.Contains(out, "group") {
		t.Fatalf("the service's refusal does not say how to get access:\n%s", out)
	}
}
