package api

// The member tier through the real server and the real tunnel.Manager
// (fake devices and network), with faked peer credentials: one server per
// caller, all on one Manager.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/conn/bindtest"
	"golang.zx2c4.com/wireguard/tun"
	"golang.zx2c4.com/wireguard/tun/tuntest"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/internal/hints"
	"github.com/wgdesk/wgdesk/platform/platformtest"
	"github.com/wgdesk/wgdesk/tunnel"
)

var (
	rootCred  = Cred{UID: 0, GID: 0, PID: 1}
	aliceCred = Cred{UID: 1000, GID: 1000, Groups: []uint32{testGID}, PID: 2}
	bobCred   = Cred{UID: 1001, GID: testGID, PID: 3}
)

// newManager is a real tunnel.Manager on channel TUNs, binds with nobody
// at the other end and the platformtest network.
func newManager(t *testing.T, mutate ...func(*tunnel.ManagerOptions)) *tunnel.Manager {
	t.Helper()
	opts := tunnel.ManagerOptions{
		StateDir: t.TempDir(),
		Deps: tunnel.Deps{
			CreateTUN: func(name string, mtu int) (tun.Device, error) {
				return tuntest.NewChannelTUN().TUN(), nil
			},
			NewBind: func() conn.Bind { return bindtest.NewChannelBinds()[0] },
			Resolve: func(context.Context, string) ([]netip.Addr, error) {
				return []netip.Addr{netip.MustParseAddr("192.0.2.1")}, nil
			},
			Network:         platformtest.New(),
			RunScript:       func(context.Context, string) error { return errors.New("no scripts in this test") },
			InterfaceExists: func(string) bool { return false },
		},
		Logger: Logger{Errorf: t.Logf},
	}
	for _, f := range mutate {
		f(&opts)
	}
	m, err := tunnel.NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	return m
}

// userView is one user's view of the service: its own server on the shared
// service, admitting that user only.
type userView struct {
	client *Client
	socket string
}

func serveAs(t *testing.T, svc tunnel.Service, cred Cred) userView {
	t.Helper()
	return serveWith(t, svc, credAccess(cred, nil))
}

func serveWith(t *testing.T, svc tunnel.Service, access *Access) userView {
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
		done <- Serve(ctx, ln, svc, Options{
			Logger: Logger{Errorf: t.Logf},
			Access: access,
			// wg-quick text: an unredacted key would show in base64.
			ConfigJSON: func(c *config.Config) any { return string(c.Marshal()) },
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	c := Dial(socket)
	t.Cleanup(c.Close)
	return userView{client: c, socket: socket}
}

// refusedWith fails t unless err is an API error of code whose message
// ends with the hint.
func refusedWith(t *testing.T, what string, err error, code, hint string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != code || e.Status != http.StatusForbidden {
		t.Errorf("%s: %v, want %s 403", what, err, code)
		return
	}
	if !strings.HasSuffix(e.Message, hint) {
		t.Errorf("%s: %q lacks the hint %q", what, e.Message, hint)
	}
}

// secretScan collects every answer a member saw and fails on a key.
type secretScan struct {
	t       *testing.T
	secrets []string
	mu      sync.Mutex
	seen    strings.Builder
}

func (s *secretScan) check(what, body string) {
	s.t.Helper()
	s.mu.Lock()
	s.seen.WriteString(body)
	s.mu.Unlock()
	for _, k := range s.secrets {
		if strings.Contains(body, k) {
			s.t.Errorf("%s shows a member a secret key:\n%s", what, body)
		}
	}
}

func TestMemberTier(t *testing.T) {
	m := newManager(t)
	root, alice, bob := serveAs(t, m, rootCred), serveAs(t, m, aliceCred), serveAs(t, m, bobCred)
	ctx := context.Background()
	rootKeys, aliceKeys := newTestKeys(t), newTestKeys(t)
	if _, err := root.client.Import(ctx, "rootnet", rootKeys.config()); err != nil {
		t.Fatal(err)
	}
	aliceConf := strings.Replace(aliceKeys.config(), "10.66.", "10.77.", -1)
	if _, err := alice.client.Import(ctx, "alice", aliceConf); err != nil {
		t.Fatal(err)
	}

	scan := &secretScan{t: t, secrets: append(rootKeys.secrets(), aliceKeys.secrets()...)}
	// Bob follows the raw event stream during his walk.
	stream := rawEvents(t, bob.socket)
	scan.check("snapshot", <-stream)

	walk := []struct{ method, path, body string }{
		{"GET", "/v1/version", ""},
		{"GET", "/v1/tunnels", ""},
		{"GET", "/v1/tunnels/rootnet", ""},
		{"GET", "/v1/tunnels/alice", ""},
		{"POST", "/v1/tunnels/alice/up", ""},
		{"GET", "/v1/tunnels", ""},
		{"GET", "/v1/tunnels/alice", ""},
		{"POST", "/v1/tunnels/alice/down", ""},
		{"POST", "/v1/tunnels/rootnet/up", ""},
		{"POST", "/v1/tunnels/rootnet/down", ""},
		{"GET", "/v1/log", ""},
		{"GET", "/v1/tunnels/rootnet/config", ""},
		{"GET", "/v1/tunnels/alice/config", ""},
		{"DELETE", "/v1/tunnels/alice", ""},
		{"DELETE", "/v1/tunnels/rootnet", ""},
		{"PUT", "/v1/tunnels/alice/options", `{"kill_switch": "off", "allow_lan": false}`},
		{"POST", "/v1/tunnels", fmt.Sprintf(`{"name": "alice", "config": %q}`, aliceConf)},
	}
	for _, r := range walk {
		status, body := rawServiceRequest(t, bob.socket, r.method, r.path, r.body)
		scan.check(r.method+" "+r.path, body)
		if status >= 500 {
			t.Errorf("%s %s: %d %s", r.method, r.path, status, body)
		}
	}
	// The stream saw alice's and rootnet's ups and downs, without keys.
	deadline := time.After(10 * time.Second)
	downs := 0
	for downs < 2 {
		select {
		case line := <-stream:
			scan.check("event", line)
			var ev EventJSON
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Kind == EventState && ev.Tunnel.State == tunnel.StateInactive {
				downs++
			}
		case <-deadline:
			t.Fatal("the event stream did not show both downs")
		}
	}
	if seen := scan.seen.String(); !strings.Contains(seen, rootKeys.peerPub.String()) || !strings.Contains(seen, aliceKeys.peerPub.String()) || !strings.Contains(seen, `"owner": "a member (uid 1000)"`) {
		t.Fatal("bob's answers lack the public keys or the owner; the walk proves nothing")
	}

	// Bob may neither export, change nor delete what others imported.
	h := hints.Current()
	for _, name := range []string{"rootnet", "alice"} {
		_, err := bob.client.Config(ctx, name)
		refusedWith(t, "bob's export of "+name, err, CodeNotOwner, h.NotOwner)
		refusedWith(t, "bob's delete of "+name, bob.client.Delete(ctx, name), CodeNotOwner, h.NotOwner)
		_, err = bob.client.SetOptions(ctx, name, OptionsJSON{KillSwitch: "off"})
		refusedWith(t, "bob's options of "+name, err, CodeNotOwner, h.NotOwner)
	}
	// Nor may alice touch root's.
	_, err := alice.client.Config(ctx, "rootnet")
	refusedWith(t, "alice's export of rootnet", err, CodeNotOwner, h.NotOwner)
	// Alice exports and changes her own; root exports anyone's.
	if text, err := alice.client.Config(ctx, "alice"); err != nil || !strings.Contains(text, aliceKeys.priv.String()) {
		t.Errorf("alice's export of her own: %v", err)
	}
	if _, err := alice.client.SetOptions(ctx, "alice", OptionsJSON{KillSwitch: "off"}); err != nil {
		t.Errorf("alice's options: %v", err)
	}
	if text, err := root.client.Config(ctx, "alice"); err != nil || !strings.Contains(text, aliceKeys.priv.String()) {
		t.Errorf("root's export of alice's: %v", err)
	}
	// An edit is a delete and an import: alice edits her own.
	if err := alice.client.Delete(ctx, "alice"); err != nil {
		t.Fatalf("alice's delete of her own: %v", err)
	}
	if _, err := alice.client.Import(ctx, "alice", aliceConf); err != nil {
		t.Fatal(err)
	}
	if err := root.client.Delete(ctx, "alice"); err != nil {
		t.Fatalf("root's delete of alice's: %v", err)
	}
}

// rawEvents follows GET /v1/events over the service's transport and
// sends each line.
func rawEvents(t *testing.T, socket string) <-chan string {
	t.Helper()
	addr := serviceAddr(socket)
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return dialService(ctx, addr)
	}}}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://wgdesk/v1/events", nil)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 256)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		cancel()
		resp.Body.Close()
		hc.CloseIdleConnections()
	})
	return lines
}

func TestMemberConfigLimitsAndQuota(t *testing.T) {
	m := newManager(t, func(o *tunnel.ManagerOptions) { o.MemberQuota = tunnel.Quota{Tunnels: 2} })
	root, alice := serveAs(t, m, rootCred), serveAs(t, m, aliceCred)
	ctx := context.Background()
	keys := newTestKeys(t)
	h := hints.Current()
	n := 0
	for _, tt := range []struct {
		line    string
		refused bool
	}{
		{"FwMark = 0x1234", true},
		{"Table = 254", true},
		{"Table = main", true},
		{"Table = 255", true},
		{"ListenPort = 53", true},
		{"PostUp = id > /tmp/x", true},
		{"Table = off", false},
		{"Table = 1000", false},
	} {
		text := strings.Replace(keys.config(), "[Interface]\n", "[Interface]\n"+tt.line+"\n", 1)
		n++
		name := fmt.Sprintf("t%d", n)
		_, err := alice.client.Import(ctx, name, text)
		if tt.refused {
			refusedWith(t, tt.line, err, CodeNeedAdmin, h.AdminImport)
			if _, err := root.client.Import(ctx, name, text); err != nil {
				t.Errorf("root's %s: %v", tt.line, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("alice's %s: %v", tt.line, err)
		}
	}
	// Two accepted: the quota is full.
	_, err := alice.client.Import(ctx, "more", keys.config())
	refusedWith(t, "alice's third tunnel", err, CodeQuota, h.Quota)
	if _, err := root.client.Import(ctx, "more", keys.config()); err != nil {
		t.Errorf("root is held to the quota: %v", err)
	}
}

// A member's PostUp is refused; root's runs, also when a member brings
// the tunnel up. The script writes a file.
func TestMemberScripts(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the scripts run with sh -c")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	m := newManager(t, func(o *tunnel.ManagerOptions) {
		o.AllowScripts = true
		o.Deps.RunScript = nil // sh -c
	})
	root, alice := serveAs(t, m, rootCred), serveAs(t, m, aliceCred)
	ctx := context.Background()
	keys := newTestKeys(t)
	out := t.TempDir()
	withPostUp := func(file string) string {
		return strings.Replace(keys.config(), "[Interface]\n", "[Interface]\nPostUp = id -u > "+filepath.Join(out, file)+"\n", 1)
	}
	_, err := alice.client.Import(ctx, "mine", withPostUp("alice"))
	refusedWith(t, "alice's PostUp", err, CodeNeedAdmin, hints.Current().AdminImport)
	if _, err := root.client.Import(ctx, "roots", withPostUp("root")); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.client.Up(ctx, "roots"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(out, "root")); err != nil || len(b) == 0 {
		t.Fatalf("root's PostUp did not run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "alice")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("alice's PostUp ran: %v", err)
	}
}

func TestMemberErrorCodes(t *testing.T) {
	for err, code := range map[error]string{
		fmt.Errorf("a: %w", tunnel.ErrNotOwner):  CodeNotOwner,
		fmt.Errorf("a: %w", tunnel.ErrNeedAdmin): CodeNeedAdmin,
		fmt.Errorf("a: %w", tunnel.ErrQuota):     CodeQuota,
	} {
		e, status := toError(err)
		if e.Code != code || status != http.StatusForbidden || !strings.HasSuffix(e.Message, memberHints[code]) || memberHints[code] == "" {
			t.Errorf("%v: %+v %d", err, e, status)
		}
	}
}

func TestTokenIsAdmin(t *testing.T) {
	for _, tt := range []struct {
		tok   Token
		admin bool
	}{
		{Token{User: sidLocalSystem}, true},
		{Token{User: "S-1-5-21-1-2-3-1001", Groups: []string{sidAdministrators}, Elevated: true}, true},
		{Token{User: "S-1-5-21-1-2-3-1001", Groups: []string{sidAdministrators}}, false},
		{Token{User: "S-1-5-21-1-2-3-1002", Groups: []string{"S-1-5-21-1-2-3-2000"}, Elevated: true}, false},
		{Token{}, false},
	} {
		if got := tokenIsAdmin(tt.tok); got != tt.admin {
			t.Errorf("%v: admin %v, want %v", tt.tok, got, tt.admin)
		}
	}
}

// On Windows the tier comes from the pipe client's token: LocalSystem and
// elevated administrators are administrators, members are told apart by
// their user SID.
func TestMemberTierByToken(t *testing.T) {
	const groupSID = "S-1-5-21-7-7-7-1010"
	m := newManager(t)
	views := map[string]userView{}
	for name, tok := range map[string]Token{
		"admin": {User: "S-1-5-21-7-7-7-500", Groups: []string{sidAdministrators}, Elevated: true},
		// The same administrator without elevation is a member only.
		"admin-filtered": {User: "S-1-5-21-7-7-7-500", Groups: []string{sidAdministrators, groupSID}},
		"carol":          {User: "S-1-5-21-7-7-7-1001", Groups: []string{groupSID}},
		"dave":           {User: "S-1-5-21-7-7-7-1002", Groups: []string{groupSID}},
	} {
		tok := tok
		views[name] = serveWith(t, m, &Access{
			PeerToken:      func(net.Conn) (Token, error) { return tok, nil },
			LookupGroupSID: func(string) (string, error) { return groupSID, nil },
		})
	}
	ctx := context.Background()
	keys := newTestKeys(t)
	if _, err := views["carol"].client.Import(ctx, "carol", keys.config()); err != nil {
		t.Fatal(err)
	}
	_, err := views["dave"].client.Config(ctx, "carol")
	refusedWith(t, "dave's export of carol's", err, CodeNotOwner, hints.Current().NotOwner)
	if _, err := views["admin"].client.Config(ctx, "carol"); err != nil {
		t.Errorf("the elevated administrator's export: %v", err)
	}
	withMark := strings.Replace(keys.config(), "[Interface]\n", "[Interface]\nFwMark = 7\n", 1)
	_, err = views["admin-filtered"].client.Import(ctx, "marked", withMark)
	refusedWith(t, "a filtered administrator's FwMark", err, CodeNeedAdmin, hints.Current().AdminImport)
	if _, err := views["admin"].client.Import(ctx, "marked", withMark); err != nil {
		t.Errorf("the elevated administrator's FwMark: %v", err)
	}
	if got, err := views["carol"].client.Get(ctx, "carol"); err != nil || got.Owner != "a member (S-1-5-21-7-7-7-1001)" {
		t.Errorf("carol's tunnel: owner %q, %v", got.Owner, err)
	}
}
