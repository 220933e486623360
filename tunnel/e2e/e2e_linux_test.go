package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/platform"
)

type peerStatus struct {
	PublicKey     string `json:"public_key"`
	Endpoint      string `json:"endpoint"`
	RxBytes       uint64 `json:"rx_bytes"`
	TxBytes       uint64 `json:"tx_bytes"`
	LastHandshake string `json:"last_handshake"`
}

type tunnelStatus struct {
	Name      string       `json:"name"`
	State     string       `json:"state"`
	Interface string       `json:"interface"`
	Peers     []peerStatus `json:"peers"`
}

func (l *lab) status(name string) tunnelStatus {
	l.t.Helper()
	out := l.wgdesk("status", "--json", name)
	var st tunnelStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		l.t.Fatalf("status --json %s is not a tunnel object: %v\n%s", name, err, out)
	}
	return st
}

// importConfig writes a client config to a file and imports it.
func (l *lab) importConfig(name, allowedIPs string) {
	l.t.Helper()
	path := filepath.Join(l.dir, name+".conf")
	if err := os.WriteFile(path, []byte(l.clientConfig(allowedIPs)), 0o600); err != nil {
		l.t.Fatal(err)
	}
	l.wgdesk("import", "--name", name, path)
}

// checkTraffic proves pings to the office LAN pass through the tunnel and
// that the peer's figures show a handshake and growing counters.
func (l *lab) checkTraffic(name string) {
	t := l.t
	t.Helper()
	if err := l.ping(officeLAN4); err != nil {
		t.Fatalf("office LAN unreachable through the tunnel: %v", err)
	}
	st := l.status(name)
	if st.State != "active" || st.Interface == "" || len(st.Peers) != 1 {
		t.Fatalf("status after up: %+v", st)
	}
	p := st.Peers[0]
	if p.PublicKey != l.serverKey.PublicKey().String() {
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
	if err := l.ping(tunServer4); err != nil {
		t.Fatal(err)
	}
	p2 := l.status(name).Peers[0]
	if p2.RxBytes <= p.RxBytes || p2.TxBytes <= p.TxBytes {
		t.Fatalf("counters did not grow after a ping: before rx=%d tx=%d, after rx=%d tx=%d", p.RxBytes, p.TxBytes, p2.RxBytes, p2.TxBytes)
	}
	// The packets really crossed the tunnel: the server saw the handshake.
	if out := inNS(t, l.server, "wg", "show", l.serverIf(), "latest-handshakes"); strings.Contains(out, "\t0\n") {
		t.Fatalf("the server has no handshake with the client: %q", out)
	}
}

func TestE2ESplitTunnel(t *testing.T) {
	l := newLab(t)
	before := l.snapshot()
	svc := l.startService()
	l.importConfig("office", "10.66.0.0/24, fd42:66::/64, 203.0.113.0/24, 2001:db8:99::/64")
	if got := l.wgdesk("list"); !strings.Contains(got, "office") {
		t.Fatalf("list lacks the imported tunnel:\n%s", got)
	}
	l.wgdesk("up", "office")
	l.checkTraffic("office")
	if err := l.ping(officeLAN6); err != nil {
		t.Fatalf("office LAN over IPv6: %v", err)
	}
	// A split tunnel leaves the default route alone.
	if got := inNS(t, l.client, "ip", "route", "get", "192.0.2.1"); !strings.Contains(got, "dev vc"+l.id) {
		t.Fatalf("an address outside AllowedIPs does not use the uplink: %s", got)
	}
	l.checkDNS()
	l.wgdesk("down", "office")
	if st := l.status("office"); st.State != "inactive" {
		t.Fatalf("state after down: %q", st.State)
	}
	if after := l.snapshot(); after != before {
		t.Fatalf("down did not restore the namespace (- before, + after):\n%s", platform.LineDiff(before, after))
	}
	svc.stop(t)
}

func TestE2EFullTunnel(t *testing.T) {
	l := newLab(t)
	before := l.snapshot()
	svc := l.startService()
	l.importConfig("home", "0.0.0.0/0, ::/0")
	l.wgdesk("up", "home")
	l.checkTraffic("home")
	if err := l.ping(officeLAN6); err != nil {
		t.Fatalf("office LAN over IPv6: %v", err)
	}
	// Everything else goes into the tunnel...
	iface := l.status("home").Interface
	if got := inNS(t, l.client, "ip", "route", "get", "192.0.2.1"); !strings.Contains(got, "dev "+iface) {
		t.Fatalf("a full tunnel does not carry other traffic: %s", got)
	}
	// ...but the tunnel's own packets to the endpoint keep the uplink.
	rules := inNS(t, l.client, "ip", "rule", "show")
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
	if got := inNS(t, l.client, "ip", "route", "get", uplinkServer, "mark", mark); !strings.Contains(got, "dev vc"+l.id) {
		t.Fatalf("the endpoint is not reached outside the tunnel: %s", got)
	}
	l.checkDNS()
	l.wgdesk("down", "home")
	if after := l.snapshot(); after != before {
		t.Fatalf("down did not restore the namespace (- before, + after):\n%s", platform.LineDiff(before, after))
	}
	svc.stop(t)
}

// checkDNS proves the config's DNS is in effect: resolv.conf names the
// router and a name only the router knows resolves through the tunnel.
func (l *lab) checkDNS() {
	t := l.t
	t.Helper()
	rc, err := os.ReadFile(filepath.Join("/etc/netns", l.client, "resolv.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rc), "nameserver "+tunServer4) || !strings.Contains(string(rc), "home.lan") {
		t.Fatalf("resolv.conf does not carry the tunnel's DNS:\n%s", rc)
	}
	out := inNS(t, l.client, "getent", "ahostsv4", officeName)
	if !strings.Contains(out, officeLAN4) {
		t.Fatalf("%s did not resolve through the router: %q", officeName, out)
	}
	// The search domain applies too.
	out = inNS(t, l.client, "getent", "ahostsv4", "office")
	if !strings.Contains(out, officeLAN4) {
		t.Fatalf("search domain home.lan not in effect: %q", out)
	}
}

// A service killed with SIGKILL leaves rules and resolv.conf behind; its
// next start must undo them.
func TestE2EKilledServiceCleansUpAtNextStart(t *testing.T) {
	l := newLab(t)
	before := l.snapshot()
	svc := l.startService()
	l.importConfig("home", "0.0.0.0/0, ::/0")
	l.wgdesk("up", "home")
	if err := l.ping(officeLAN4); err != nil {
		t.Fatal(err)
	}
	svc.cmd.Process.Signal(syscall.SIGKILL)
	<-svc.done
	svc.done <- nil
	if l.snapshot() == before {
		t.Fatal("a killed service left nothing behind; the test proves nothing")
	}
	svc2 := l.startService()
	if after := l.snapshot(); after != before {
		t.Fatalf("the next start did not clean up (- before, + after):\n%s", platform.LineDiff(before, after))
	}
	if st := l.status("home"); st.State != "inactive" {
		t.Fatalf("after a crash the tunnel should be inactive, is %q", st.State)
	}
	// And the tunnel still works after recovery.
	l.wgdesk("up", "home")
	if err := l.ping(officeLAN4); err != nil {
		t.Fatal(err)
	}
	svc2.stop(t)
	if after := l.snapshot(); after != before {
		t.Fatalf("SIGTERM did not deactivate the tunnel (- before, + after):\n%s", platform.LineDiff(before, after))
	}
}

// A caller that is neither root nor in group wgdesk is refused, with a
// message saying how to get access, whether the socket's mode stops it or
// the service's own check does.
func TestE2EStrangerIsRefused(t *testing.T) {
	l := newLab(t)
	l.startService()
	user := "wgdesk-e2e-" + l.id
	run(t, "useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user)
	t.Cleanup(func() { exec.Command("userdel", user).Run() })

	asStranger := func() (string, error) {
		out, err := exec.Command("runuser", "-u", user, "--", l.bin, "list", "--socket", l.socketPath()).CombinedOutput()
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
	if err := os.Chmod(l.socketPath(), 0o666); err != nil {
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
