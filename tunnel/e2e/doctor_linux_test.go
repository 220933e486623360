package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/internal/golden"
	"github.com/wgdesk/wgdesk/internal/netlab"
	"github.com/wgdesk/wgdesk/tunnel/doctor"
)

// The connection doctor in the lab: each fault a RouterOS router can have
// is made on the lab's server (Debian's wireguard-go, set up with wg(8)),
// and the doctor must name it with its verdict and the router's fix.

// splitRoutes is the office tunnel of the doctor's labs: the router's
// tunnel subnet (its DNS server) and the office LAN.
const splitRoutes = "10.66.0.0/24, fd42:66::/64, 203.0.113.0/24"

// runDoctor runs `wgdesk doctor --json name` and decodes the report. The
// verb exits 1 when a check failed; that is no error here.
func runDoctor(t *testing.T, l *netlab.Lab, name string) doctor.Report {
	t.Helper()
	out, errOut, err := l.WgdeskResult("doctor", "--json", name)
	if ee, ok := err.(*exec.ExitError); err != nil && !(ok && ee.ExitCode() == 1) {
		t.Fatalf("wgdesk doctor: %v\nstdout: %s\nstderr: %s", err, out, errOut)
	}
	var rep doctor.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("doctor --json is not a report: %v\n%s", err, out)
	}
	failed := rep.Worst() == doctor.Fail
	if exit := err != nil; exit != failed {
		t.Fatalf("exit status %v with worst verdict %s", err, rep.Worst())
	}
	return rep
}

// verdicts lists "id=verdict" of every check.
func verdicts(rep doctor.Report) string {
	var out []string
	for _, c := range rep.Checks {
		out = append(out, c.ID+"="+string(c.Verdict))
	}
	return strings.Join(out, " ")
}

func checkOf(t *testing.T, rep doctor.Report, id string) doctor.Check {
	t.Helper()
	for _, c := range rep.Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no %s check: %s", id, verdicts(rep))
	return doctor.Check{}
}

func wantVerdicts(t *testing.T, rep doctor.Report, want string) {
	t.Helper()
	if got := verdicts(rep); got != want {
		b, _ := json.MarshalIndent(rep, "", "  ")
		t.Fatalf("verdicts\n got %s\nwant %s\n%s", got, want, b)
	}
}

// A healthy tunnel: every check is ok, both while it is up and when the
// doctor has to bring it up (and then takes it down again).
func TestDoctorHealthy(t *testing.T) {
	l := netlab.New(t, netlab.Options{DNS: true})
	svc := l.StartService()
	l.Import("office", splitRoutes)
	l.Wgdesk("up", "office")
	rep := runDoctor(t, l, "office")
	wantVerdicts(t, rep, "endpoint=ok handshake=ok traffic=ok dns=ok mtu=ok lan=ok")
	if rep.BroughtUp {
		t.Fatal("an active tunnel reported as brought up")
	}
	if s := checkOf(t, rep, doctor.CheckEndpoint).Seen; !strings.Contains(s, "leave by "+l.ClientUplink()) {
		t.Errorf("endpoint route: %q", s)
	}
	if s := checkOf(t, rep, doctor.CheckMTU).Seen; !strings.Contains(s, "(1420 bytes) pass") {
		t.Errorf("mtu: %q", s)
	}
	if st := l.Status("office"); st.State != "active" {
		t.Fatalf("the doctor changed an active tunnel's state to %s", st.State)
	}

	l.Wgdesk("down", "office")
	before := l.FullSnapshot()
	rep = runDoctor(t, l, "office")
	wantVerdicts(t, rep, "endpoint=ok handshake=ok traffic=ok dns=ok mtu=ok lan=ok")
	if !rep.BroughtUp {
		t.Fatal("the doctor brought the tunnel up but does not say so")
	}
	if st := l.Status("office"); st.State != "inactive" {
		t.Fatalf("state after the doctor brought it up: %s, want inactive", st.State)
	}
	if d := golden.Diff(before, l.FullSnapshot()); d != "" {
		t.Fatalf("the doctor did not leave the namespace as it found it (- before, + after):\n%s", d)
	}
	// The text form says the same.
	out, _, _ := l.WgdeskResult("doctor", "office")
	if !strings.Contains(out, "Every check passed.") || !strings.Contains(out, "It was down") {
		t.Fatalf("doctor text:\n%s", out)
	}
	svc.Stop(t)
}

// A full tunnel under the kill switch: the endpoint's route is looked up
// with the tunnel's fwmark (as the device's own packets are) and leaves by
// the uplink, and the probes pass the kill switch since they are bound to
// the tunnel.
func TestDoctorHealthyFullTunnel(t *testing.T) {
	l := netlab.New(t, netlab.Options{DNS: true})
	l.StartService()
	l.Import("home", "0.0.0.0/0, ::/0")
	l.Wgdesk("up", "home")
	if got := l.InNS(l.Client, "nft", "list", "tables"); !strings.Contains(got, "wgdesk") {
		t.Fatalf("no kill switch table: %q", got)
	}
	rep := runDoctor(t, l, "home")
	wantVerdicts(t, rep, "endpoint=ok handshake=ok traffic=ok dns=ok mtu=ok lan=ok")
	if s := checkOf(t, rep, doctor.CheckEndpoint).Seen; !strings.Contains(s, "leave by "+l.ClientUplink()) {
		t.Errorf("endpoint route: %q", s)
	}
}

// wantHandshakeFix checks the verdict for initiations without an answer:
// both RouterOS fixes, filled with the lab's port, our key and address.
func wantHandshakeFix(t *testing.T, l *netlab.Lab, rep doctor.Report) {
	t.Helper()
	wantVerdicts(t, rep, "endpoint=ok handshake=fail traffic=skipped dns=skipped mtu=skipped lan=ok")
	c := checkOf(t, rep, doctor.CheckHandshake)
	want := []string{
		fmt.Sprintf(`/ip firewall filter add action=accept chain=input comment="allow WireGuard" dst-port=%d protocol=udp place-before=1`, netlab.ServerPort),
		fmt.Sprintf(`/interface wireguard peers add allowed-address=%s/32,%s/128 interface=wireguard1 public-key="%s"`,
			netlab.TunClient4, netlab.TunClient6, l.ClientKey.PublicKey()),
	}
	if strings.Join(c.RouterOS, "\n") != strings.Join(want, "\n") {
		t.Errorf("routeros:\n%s\nwant:\n%s", strings.Join(c.RouterOS, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(c.Seen, "received 0 bytes") {
		t.Errorf("seen: %q", c.Seen)
	}
}

// The router does not know our key.
func TestDoctorUnknownKey(t *testing.T) {
	l := netlab.New(t, netlab.Options{DNS: true})
	l.InNS(l.Server, "wg", "set", l.ServerIf(), "peer", l.ClientKey.PublicKey().String(), "remove")
	l.StartService()
	l.Import("office", splitRoutes)
	l.Wgdesk("up", "office")
	wantHandshakeFix(t, l, runDoctor(t, l, "office"))
}

// The router's input chain drops the WireGuard port (nftables in the
// server's namespace).
func TestDoctorPortDropped(t *testing.T) {
	l := netlab.New(t, netlab.Options{DNS: true})
	l.InNS(l.Server, "nft", "add", "table", "inet", "routerfw")
	l.InNS(l.Server, "nft", "add", "chain", "inet", "routerfw", "input", "{ type filter hook input priority 0; policy accept; }")
	l.InNS(l.Server, "nft", "add", "rule", "inet", "routerfw", "input", "udp", "dport", fmt.Sprint(netlab.ServerPort), "drop")
	l.StartService()
	l.Import("office", splitRoutes)
	l.Wgdesk("up", "office")
	wantHandshakeFix(t, l, runDoctor(t, l, "office"))
}

// The router's allowed-address for our peer does not hold our address:
// the handshake works, nothing comes back.
func TestDoctorAllowedAddressExcludesUs(t *testing.T) {
	l := netlab.New(t, netlab.Options{DNS: true})
	l.InNS(l.Server, "wg", "set", l.ServerIf(), "peer", l.ClientKey.PublicKey().String(), "allowed-ips", "10.66.0.99/32")
	l.StartService()
	l.Import("office", splitRoutes)
	l.Wgdesk("up", "office")
	rep := runDoctor(t, l, "office")
	wantVerdicts(t, rep, "endpoint=ok handshake=ok traffic=fail dns=fail mtu=skipped lan=ok")
	c := checkOf(t, rep, doctor.CheckTraffic)
	want := []string{
		fmt.Sprintf(`/interface wireguard peers add allowed-address=%s/32,%s/128 interface=wireguard1 public-key="%s"`,
			netlab.TunClient4, netlab.TunClient6, l.ClientKey.PublicKey()),
		`/ip firewall filter add action=accept chain=input comment="allow WireGuard traffic" src-address=10.66.0.2/32 place-before=1`,
		`/ip firewall filter add action=accept chain=forward dst-address=203.0.113.0/24 src-address=10.66.0.2/32`,
	}
	if strings.Join(c.RouterOS, "\n") != strings.Join(want, "\n") {
		t.Errorf("routeros:\n%s\nwant:\n%s", strings.Join(c.RouterOS, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(c.Seen, "10.66.0.1 did not answer") {
		t.Errorf("seen: %q", c.Seen)
	}
}

// The router's DNS does not answer (allow-remote-requests=no): nothing
// listens on port 53 of its tunnel address.
func TestDoctorDNSDoesNotAnswer(t *testing.T) {
	l := netlab.New(t, netlab.Options{DNS: false})
	l.StartService()
	l.Import("office", splitRoutes)
	l.Wgdesk("up", "office")
	rep := runDoctor(t, l, "office")
	wantVerdicts(t, rep, "endpoint=ok handshake=ok traffic=ok dns=fail mtu=ok lan=ok")
	c := checkOf(t, rep, doctor.CheckDNS)
	want := []string{
		`/ip dns set allow-remote-requests=yes`,
		`/ip firewall filter add action=accept chain=input comment="allow WireGuard DNS" dst-port=53 protocol=udp src-address=10.66.0.2/32 place-before=1`,
		`/ip firewall filter add action=accept chain=input comment="allow WireGuard DNS" dst-port=53 protocol=tcp src-address=10.66.0.2/32 place-before=1`,
	}
	if strings.Join(c.RouterOS, "\n") != strings.Join(want, "\n") {
		t.Errorf("routeros:\n%s\nwant:\n%s", strings.Join(c.RouterOS, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(c.Seen, "10.66.0.1 did not answer") {
		t.Errorf("seen: %q", c.Seen)
	}
}

// A lower MTU on the server's side of the link drops the larger
// packets: the largest that passes is found by DF probes.
func TestDoctorPathMTU(t *testing.T) {
	l := netlab.New(t, netlab.Options{DNS: true})
	l.InNS(l.Server, "ip", "link", "set", "vs"+l.ID, "mtu", "1300")
	l.StartService()
	l.Import("office", splitRoutes)
	l.Wgdesk("up", "office")
	rep := runDoctor(t, l, "office")
	wantVerdicts(t, rep, "endpoint=ok handshake=ok traffic=ok dns=ok mtu=warn lan=ok")
	// An outer packet is 20 (IPv4) + 8 (UDP) + 32 (WireGuard) bytes more
	// than the inner one padded to 16 bytes, and veth lets 1300 + 4 bytes
	// in: 1232 is the largest inner packet whose outer one fits.
	c := checkOf(t, rep, doctor.CheckMTU)
	if !strings.Contains(c.Seen, "is 1232 bytes; the tunnel's MTU is 1420") || !strings.Contains(c.Fix, "Set MTU = 1232") {
		t.Fatalf("mtu check: %+v", c)
	}
}

// A route of the tunnel that covers the café's LAN (RouterOS's default
// 192.168.88.0/24 at the café, the home router's networks in the
// tunnel). The very same network on both sides cannot even be activated
// (the route exists), which the collision warning at activation is for.
func TestDoctorLANOverlap(t *testing.T) {
	l := netlab.New(t, netlab.Options{DNS: true})
	l.InNS(l.Client, "ip", "addr", "add", "192.168.88.20/24", "dev", l.ClientUplink())
	l.StartService()
	l.Import("office", splitRoutes+", 192.168.0.0/16")
	l.Wgdesk("up", "office")
	rep := runDoctor(t, l, "office")
	wantVerdicts(t, rep, "endpoint=ok handshake=ok traffic=ok dns=ok mtu=ok lan=warn")
	want := "The tunnel's 192.168.0.0/16 contains the LAN 192.168.88.0/24 on " + l.ClientUplink()
	if s := checkOf(t, rep, doctor.CheckLAN).Seen; !strings.Contains(s, want) {
		t.Fatalf("lan: %q, want %q", s, want)
	}
}
