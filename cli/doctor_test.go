package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/config"
	igolden "github.com/wgdesk/wgdesk/internal/golden"
	"github.com/wgdesk/wgdesk/tunnel/doctor"
)

// runDoctor runs `wgdesk doctor` against the env's socket.
func (e *env) runDoctor(args ...string) (code int, stdout, stderr string) {
	e.t.Helper()
	var out, errb bytes.Buffer
	code = doctorVerb(context.Background(), append([]string{"--socket", e.socket}, args...), &out, &errb)
	e.all.Write(out.Bytes())
	e.all.Write(errb.Bytes())
	return code, out.String(), errb.String()
}

// failingReport is what the doctor says of a RouterOS router that drops
// the initiations, the values as the real checks fill them in.
func failingReport(t *testing.T) doctor.Report {
	k, err := config.ParseKey(testPriv)
	if err != nil {
		t.Fatal(err)
	}
	pub := k.PublicKey().String()
	return doctor.Report{Checks: []doctor.Check{
		{ID: doctor.CheckEndpoint, Title: "Endpoint", Verdict: doctor.OK,
			Seen: "vpn.example.com resolves to 203.0.113.5. Packets to it leave by wlan0 via 192.168.1.1, outside the tunnel."},
		{ID: doctor.CheckHandshake, Title: "Handshake", Verdict: doctor.Fail,
			Seen: "No handshake: in 6 s this computer sent 444 bytes of handshake initiations to vpn.example.com:13231 and received 0 bytes.",
			Fix: "The router drops the initiations, or it does not know this computer's public key " + pub + "; the two look the same from here. " +
				"On the router, accept UDP port 13231 in the input chain (the first line) and add this computer as a peer with its key and address (the second line; if a peer with this key exists, check its public-key and allowed-address instead). Replace wireguard1 with the name of the router's WireGuard interface.",
			RouterOS: []string{
				`/ip firewall filter add action=accept chain=input comment="allow WireGuard" dst-port=13231 protocol=udp place-before=1`,
				`/interface wireguard peers add allowed-address=10.66.0.2/32 interface=wireguard1 public-key="` + pub + `"`,
			}},
		{ID: doctor.CheckTraffic, Title: "Traffic through the tunnel", Verdict: doctor.Skipped, Seen: "Not checked without a handshake."},
		{ID: doctor.CheckDNS, Title: "DNS through the tunnel", Verdict: doctor.Skipped, Seen: "Not checked without a handshake."},
		{ID: doctor.CheckMTU, Title: "MTU", Verdict: doctor.Skipped, Seen: "Not checked while nothing comes back through the tunnel."},
		{ID: doctor.CheckLAN, Title: "Local networks", Verdict: doctor.Warn,
			Seen: "The tunnel's 192.168.88.0/24 is also the LAN on wlan0: the same addresses are on both sides, and only one side of 192.168.88.0/24 can be reached.",
			Fix:  "Renumber one of the two networks (usually the LAN behind the router: RouterOS uses 192.168.88.0/24 by default, as many cafés do), or take the overlapping network out of the tunnel's AllowedIPs."},
	}}
}

func TestDoctorGolden(t *testing.T) {
	e := newEnv(t)
	e.must("import", "--name", "home", e.writeFile("home.conf", testConfigText("10.66.0.2/32")))
	e.svc.SetDiagnosis("home", failingReport(t))

	code, out, errOut := e.runDoctor("home")
	if code != exitFail {
		t.Fatalf("exit %d with a failed check, want %d\n%s", code, exitFail, errOut)
	}
	if !strings.Contains(errOut, "Checking home") {
		t.Errorf("no progress line on stderr: %q", errOut)
	}
	igolden.Check(t, filepath.Join("testdata", "doctor.txt"), out, *update)
	for _, line := range strings.Split(out, "\n") {
		// Prose is wrapped; commands stand whole on their own lines.
		if len(line) > 78 && !strings.HasPrefix(line, "         /") {
			t.Errorf("line of %d characters: %q", len(line), line)
		}
	}

	code, out, _ = e.runDoctor("--json", "home")
	if code != exitFail {
		t.Fatalf("--json exit %d", code)
	}
	igolden.Check(t, filepath.Join("testdata", "doctor.json"), out, *update)
	var rep doctor.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Tunnel != "home" || !rep.BroughtUp || len(rep.Checks) != 6 {
		t.Fatalf("--json: %v %+v", err, rep)
	}

	// The private and preshared keys never show.
	for _, secret := range []string{testPriv, testPSK} {
		if strings.Contains(e.all.String(), secret) {
			t.Fatalf("a secret key was printed")
		}
	}
}

func TestDoctorHealthyAndErrors(t *testing.T) {
	e := newEnv(t)
	e.must("import", "--name", "home", e.writeFile("home.conf", testConfigText("10.66.0.2/32")))
	e.must("up", "home")
	code, out, _ := e.runDoctor("home")
	if code != exitOK || !strings.HasSuffix(out, "Every check passed.\n") || strings.Contains(out, "activated it") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	code, _, errOut := e.runDoctor("nope")
	if code != exitFail || !strings.Contains(errOut, "wgdesk doctor: ") || !strings.Contains(errOut, "nope") {
		t.Fatalf("unknown tunnel: exit %d %q", code, errOut)
	}
	if code, _, _ := e.runDoctor(); code != exitUsage {
		t.Fatalf("no name: exit %d", code)
	}
}
