package api

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
	"github.com/wgdesk/wgdesk/tunnel/doctor"
)

// serveDoctor serves svc for one caller with opts' Doctor.
func serveDoctor(t *testing.T, svc tunnel.Service, cred Cred, run func(context.Context, string) (DoctorJSON, error)) *Client {
	t.Helper()
	dir, err := os.MkdirTemp("", "wgdesk-api-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	socket := filepath.Join(dir, "wgdesk.sock")
	ln, err := Listen(socket)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ln, svc, Options{Logger: Logger{Errorf: t.Logf}, Access: credAccess(cred, nil), Doctor: run})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	c := Dial(socket)
	t.Cleanup(c.Close)
	return c
}

// A group member may diagnose a tunnel an administrator imported; the
// answer carries no secret.
func TestDoctorForMembers(t *testing.T) {
	k := newTestKeys(t)
	svc := apitest.New()
	cfg, _, err := config.Parse([]byte(k.config()))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Import("office", cfg); err != nil {
		t.Fatal(err)
	}
	svc.SetDiagnosis("office", doctor.Report{Checks: []doctor.Check{{ID: doctor.CheckHandshake, Verdict: doctor.Fail,
		RouterOS: []string{`/interface wireguard peers add allowed-address=10.66.0.2/32 interface=wireguard1 public-key="` + k.priv.PublicKey().String() + `"`}}}})
	bob := serveAs(t, svc, bobCred)
	rep, err := bob.client.Doctor(context.Background(), "office")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Tunnel != "office" || !rep.BroughtUp || len(rep.Checks) != 1 || rep.Checks[0].Verdict != doctor.Fail {
		t.Fatalf("report %+v", rep)
	}
	if info, _ := svc.Get("office"); info.State != tunnel.StateInactive {
		t.Fatalf("the fake left the tunnel %s", info.State)
	}
	code, body := rawRequest(t, bob.socket, http.MethodPost, "/v1/tunnels/office/doctor", "")
	if code != http.StatusOK || !strings.Contains(body, `"verdict": "fail"`) || !strings.Contains(body, k.priv.PublicKey().String()) {
		t.Fatalf("%d %s", code, body)
	}
	for _, s := range k.secrets() {
		if strings.Contains(body, s) {
			t.Fatalf("the doctor's answer holds a secret:\n%s", body)
		}
	}
	if _, err := bob.client.Doctor(context.Background(), "nope"); !IsCode(err, CodeNotFound) {
		t.Fatalf("unknown tunnel: %v", err)
	}
	if _, err := bob.client.Doctor(context.Background(), "a/b"); !IsCode(err, CodeNotFound) && !IsCode(err, CodeBadName) {
		t.Fatalf("bad name: %v", err)
	}
	// Refused callers are refused here too.
	stranger := serveAs(t, svc, Cred{UID: 1002, GID: 1002, PID: 4})
	if _, err := stranger.client.Doctor(context.Background(), "office"); !IsCode(err, CodePermissionDenied) {
		t.Fatalf("stranger: %v", err)
	}
}

// The real doctor on the real Manager (channel devices, nobody at the
// other end), for a member: the tunnel comes up for the checks, no
// handshake comes, and the tunnel is down again afterwards.
func TestDoctorOnManager(t *testing.T) {
	k := newTestKeys(t)
	m := newManager(t)
	cfg, _, err := config.Parse([]byte(k.config()))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Import("office", cfg); err != nil {
		t.Fatal(err)
	}
	d := &doctor.Doctor{Svc: m, Probes: quietProbes{}, HandshakeWait: 300 * time.Millisecond, Poll: 20 * time.Millisecond, PingTimeout: 10 * time.Millisecond}
	c := serveDoctor(t, m, bobCred, d.Run)
	rep, err := c.Doctor(context.Background(), "office")
	if err != nil {
		t.Fatal(err)
	}
	if !rep.BroughtUp || rep.Interface == "" {
		t.Fatalf("report %+v", rep)
	}
	var hs doctor.Check
	for _, ch := range rep.Checks {
		if ch.ID == doctor.CheckHandshake {
			hs = ch
		}
	}
	// The channel bind cannot send to a real address: the device's tx
	// figure stays where it was, and the doctor says nothing left.
	if hs.Verdict != doctor.Fail || !strings.Contains(hs.Seen, "sent nothing to vpn.example.com:13231") {
		t.Fatalf("handshake check %+v", hs)
	}
	if info, _ := m.Get("office"); info.State != tunnel.StateInactive {
		t.Fatalf("state after the doctor: %s", info.State)
	}
}

// quietProbes: the endpoint resolves and routes, nothing answers.
type quietProbes struct{}

func (quietProbes) Resolve(context.Context, string) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("192.0.2.1")}, nil
}
func (quietProbes) RouteTo(context.Context, netip.Addr, uint32) (doctor.Route, error) {
	return doctor.Route{Interface: "eth0"}, nil
}
func (quietProbes) Ping(context.Context, string, netip.Addr, netip.Addr, int, time.Duration) error {
	return doctor.ErrNoReply
}
func (quietProbes) DNS(context.Context, string, netip.Addr, netip.Addr, time.Duration) (int, error) {
	return 0, doctor.ErrNoReply
}
func (quietProbes) MTU(context.Context, string) (int, error) { return 1420, nil }
func (quietProbes) Connected(context.Context, string) ([]config.LocalSubnet, error) {
	return nil, nil
}

func TestDoctorUnsupported(t *testing.T) {
	svc := apitest.New()
	cfg, _, _ := config.Parse([]byte(newTestKeys(t).config()))
	svc.Import("office", cfg)
	// A service that is no Diagnoser and no Options.Doctor.
	c := serveDoctor(t, struct{ tunnel.Service }{svc}, rootCred, nil)
	if _, err := c.Doctor(context.Background(), "office"); !IsCode(err, CodeUnsupported) {
		t.Fatalf("no doctor: %v", err)
	}
	// A service older than the doctor answers with its catch-all.
	dir := t.TempDir()
	socket := filepath.Join(dir, "old.sock")
	ln, err := Listen(socket)
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &Error{Code: CodeBadRequest, Message: "no endpoint " + r.URL.Path}, http.StatusNotFound)
	})}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	old := Dial(socket)
	defer old.Close()
	_, err = old.Doctor(context.Background(), "office")
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeUnsupported || !strings.Contains(e.Message, "too old for the connection doctor") {
		t.Fatalf("old service: %v", err)
	}
}
