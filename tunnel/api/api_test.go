package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
)

// testKeys are the secrets of testConfig; no answer but GET .../config may
// contain them.
type testKeys struct {
	priv, psk, peerPub config.Key
}

func newTestKeys(t *testing.T) testKeys {
	t.Helper()
	priv, err := config.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	psk, err := config.NewPresharedKey()
	if err != nil {
		t.Fatal(err)
	}
	peer, err := config.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return testKeys{priv: priv, psk: psk, peerPub: peer.PublicKey()}
}

// endpointLine is the line of testConfig with the RouterOS doubled port,
// which the parser repairs with a warning.
const endpointLine = 9

func (k testKeys) config() string {
	return fmt.Sprintf(`[Interface]
PrivateKey = %s
Address = 10.66.0.2/32
DNS = 10.66.0.1

[Peer]
PublicKey = %s
PresharedKey = %s
Endpoint = vpn.example.com:13231:13231
AllowedIPs = 10.66.0.0/24, 192.168.88.0/24
PersistentKeepalive = 25
`, k.priv, k.peerPub, k.psk)
}

// secrets are every spelling of the secret keys that must not leak.
func (k testKeys) secrets() []string {
	return []string{k.priv.String(), k.psk.String(), hex.EncodeToString(k.priv[:]), hex.EncodeToString(k.psk[:])}
}

type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.b, format+"\n", args...)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testServer runs Serve on a temp socket until the test ends.
type testServer struct {
	svc    *apitest.Service
	client *Client
	socket string
	log    *logBuf
	stop   func() error // shuts the server down, returns Serve's result
}

// allowAll lets every caller in as root, for tests about other things.
var allowAll = &Access{PeerCred: func(net.Conn) (Cred, error) { return Cred{UID: 0, PID: 1}, nil }}

func startServer(t *testing.T, svc *apitest.Service, access *Access) *testServer {
	t.Helper()
	dir, err := os.MkdirTemp("", "wgdesk-api-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	socket := filepath.Join(dir, "run", "wgdesk.sock")
	ln, err := Listen(socket)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{svc: svc, socket: socket, log: &logBuf{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ln, svc, Options{
			Version: "1.2.3",
			Logger:  Logger{Verbosef: ts.log.logf, Errorf: ts.log.logf},
			Access:  access,
			// Render the config as wg-quick text: if the server failed to
			// redact, the keys would show in base64.
			ConfigJSON: func(c *config.Config) any { return string(c.Marshal()) },
			// The log view shows the server's own log lines.
			RecentLog: func() []string { return strings.Split(strings.TrimSpace(ts.log.String()), "\n") },
		})
	}()
	var once sync.Once
	var serveErr error
	ts.stop = func() error {
		once.Do(func() {
			cancel()
			serveErr = <-done
		})
		return serveErr
	}
	t.Cleanup(func() {
		if err := ts.stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	ts.client = Dial(socket)
	t.Cleanup(ts.client.Close)
	return ts
}

func TestClientRoundTrip(t *testing.T) {
	ts := startServer(t, apitest.New(), allowAll)
	c, ctx := ts.client, context.Background()
	keys := newTestKeys(t)

	v, err := c.Version(ctx)
	if err != nil || v.API != 1 || v.Version != "1.2.3" {
		t.Fatalf("version: %+v, %v", v, err)
	}
	ws, err := c.Import(ctx, "office", keys.config())
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if len(ws) == 0 || ws[0].Line != endpointLine {
		t.Fatalf("import warnings %+v, want the doubled port on line %d", ws, endpointLine)
	}
	list, err := c.List(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "office" || list[0].State != tunnel.StateInactive {
		t.Fatalf("list: %+v, %v", list, err)
	}
	if !strings.Contains(string(list[0].Config), keys.peerPub.String()) {
		t.Fatalf("the tunnel's config lacks the peer's public key: %s", list[0].Config)
	}
	up, err := c.Up(ctx, "office")
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	if up.State != tunnel.StateActive || up.Interface != "wg-office" || len(up.Peers) != 1 {
		t.Fatalf("up answer: %+v", up)
	}
	p := up.Peers[0]
	if p.PublicKey != keys.peerPub.String() || p.Endpoint != "vpn.example.com:13231" || p.RxBytes != 1000 || p.TxBytes != 2000 || !p.LastHandshake.Equal(apitest.Since.Add(60e9)) {
		t.Fatalf("peer figures: %+v", p)
	}
	got, err := c.Get(ctx, "office")
	if err != nil || got.State != tunnel.StateActive || !got.Since.Equal(apitest.Since.Add(3600e9)) {
		t.Fatalf("get: %+v, %v", got, err)
	}
	text, err := c.Config(ctx, "office")
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	if !strings.Contains(text, keys.priv.String()) || !strings.Contains(text, keys.psk.String()) {
		t.Fatalf("the exported config lacks its keys:\n%s", text)
	}
	if !strings.Contains(ts.log.String(), `exported the config of "office"`) {
		t.Fatalf("the export was not logged:\n%s", ts.log.String())
	}
	down, err := c.Down(ctx, "office")
	if err != nil || down.State != tunnel.StateInactive || len(down.Peers) != 0 {
		t.Fatalf("down: %+v, %v", down, err)
	}
	if err := c.Delete(ctx, "office"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := c.Get(ctx, "office"); !IsCode(err, CodeNotFound) {
		t.Fatalf("get after delete: %v, want not_found", err)
	}
	// Names that need escaping in a path still reach the right tunnel.
	if _, err := c.Import(ctx, "a=b+c", keys.config()); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, "a=b+c"); err != nil || got.Name != "a=b+c" {
		t.Fatalf("get a=b+c: %+v, %v", got, err)
	}
}

func TestErrorCodes(t *testing.T) {
	svc := apitest.New()
	ts := startServer(t, svc, allowAll)
	c, ctx := ts.client, context.Background()
	keys := newTestKeys(t)
	if _, err := c.Import(ctx, "office", keys.config()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Import(ctx, "live", keys.config()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Up(ctx, "live"); err != nil {
		t.Fatal(err)
	}
	setUpErr := svc.SetUpErr

	tests := []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"exists", func() error { _, err := c.Import(ctx, "office", keys.config()); return err }, CodeExists, 409},
		{"bad name", func() error { _, err := c.Import(ctx, "no/slash", keys.config()); return err }, CodeBadName, 400},
		{"empty name", func() error { _, err := c.Import(ctx, "", keys.config()); return err }, CodeBadName, 400},
		{"bad config", func() error {
			_, err := c.Import(ctx, "x", strings.Replace(keys.config(), "Address = 10.66.0.2/32", "Address = 10.66.0.300/32", 1))
			return err
		}, CodeBadConfig, 422},
		{"not found", func() error { _, err := c.Get(ctx, "nope"); return err }, CodeNotFound, 404},
		{"config not found", func() error { _, err := c.Config(ctx, "nope"); return err }, CodeNotFound, 404},
		{"delete active", func() error { return c.Delete(ctx, "live") }, CodeActive, 409},
		{"conflict", func() error {
			setUpErr(fmt.Errorf("up office: %w: with live", tunnel.ErrConflict))
			_, err := c.Up(ctx, "office")
			return err
		}, CodeConflict, 409},
		{"scripts", func() error {
			setUpErr(fmt.Errorf("up office: %w", tunnel.ErrScriptsOff))
			_, err := c.Up(ctx, "office")
			return err
		}, CodeScriptsDisabled, 403},
		{"unsupported", func() error {
			setUpErr(fmt.Errorf("create tun: %w", tunnel.ErrUnsupported))
			_, err := c.Up(ctx, "office")
			return err
		}, CodeUnsupported, 501},
		{"internal", func() error {
			setUpErr(errors.New("Create-tun: device busy"))
			_, err := c.Up(ctx, "office")
			return err
		}, CodeInternal, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not an *api.Error", err, err)
			}
			if e.Code != tt.code || e.Status != tt.status {
				t.Fatalf("code %q status %d, want %q %d (message %q)", e.Code, e.Status, tt.code, tt.status, e.Message)
			}
			if !errors.Is(err, &Error{Code: tt.code}) || !IsCode(fmt.Errorf("wrapped: %w", err), tt.code) {
				t.Fatal("errors.Is / IsCode do not match the code")
			}
			if e.Message == "" || strings.ToLower(e.Message[:1]) != e.Message[:1] {
				t.Fatalf("message %q is empty or not lowercase", e.Message)
			}
		})
	}
	// A bad config says which line is wrong.
	_, err := c.Import(ctx, "x", strings.Replace(keys.config(), "Address = 10.66.0.2/32", "Address = 10.66.0.300/32", 1))
	var e *Error
	if !errors.As(err, &e) || e.Line != 3 {
		t.Fatalf("bad config error %+v, want line 3", err)
	}
}

// dialServer connects to the service a test started on socket the way Client
// does on this OS (dial_unix.go, dial_windows.go): the Unix socket itself,
// or on Windows the named pipe derived from it.
func dialServer(ctx context.Context, socket string) (net.Conn, error) {
	return dialService(ctx, serviceAddr(socket))
}

// rawRequest returns the status and body of a request, bypassing Client.
func rawRequest(t *testing.T, socket, method, path, body string) (int, string) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return dialServer(ctx, socket)
	}}}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequest(method, "http://wgdesk"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestBadRequests(t *testing.T) {
	ts := startServer(t, apitest.New(), allowAll)
	for _, tt := range []struct{ method, path, body string }{
		{"GET", "/v2/tunnels", ""},
		{"GET", "/", ""},
		{"POST", "/v1/tunnels", "{not json"},
		{"POST", "/v1/tunnels", `{"name": "x", "config": "", "extra": 1}`},
	} {
		status, body := rawRequest(t, ts.socket, tt.method, tt.path, tt.body)
		if status/100 != 4 || !strings.Contains(body, `"code": "bad_request"`) {
			t.Errorf("%s %s %q: %d %s", tt.method, tt.path, tt.body, status, body)
		}
	}
}

func TestToErrorMapsWrappedErrors(t *testing.T) {
	for err, code := range map[error]string{
		fmt.Errorf("a: %w", tunnel.ErrNotFound):    CodeNotFound,
		fmt.Errorf("a: %w", tunnel.ErrExists):      CodeExists,
		fmt.Errorf("a: %w", tunnel.ErrActive):      CodeActive,
		fmt.Errorf("a: %w", tunnel.ErrBadName):     CodeBadName,
		fmt.Errorf("a: %w", tunnel.ErrConflict):    CodeConflict,
		fmt.Errorf("a: %w", tunnel.ErrScriptsOff):  CodeScriptsDisabled,
		fmt.Errorf("a: %w", errors.ErrUnsupported): CodeUnsupported,
		fmt.Errorf("a: %w", &config.ParseError{}):  CodeBadConfig,
		fmt.Errorf("a: %w", config.ErrNotConfig):   CodeBadConfig,
		&Error{Code: CodeBadRequest, Message: "x"}: CodeBadRequest,
		errors.New("boom"):                         CodeInternal,
	} {
		if e, _ := toError(err); e.Code != code {
			t.Errorf("%v: code %q, want %q", err, e.Code, code)
		}
	}
}

// Every answer but GET .../config is walked for the secret keys, in
// base64 and in hex (the UAPI spelling).
func TestNoKeysInAnswers(t *testing.T) {
	svc := apitest.New()
	ts := startServer(t, svc, allowAll)
	keys := newTestKeys(t)
	ctx := context.Background()

	// Follow the raw event stream during the walk.
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return dialServer(ctx, ts.socket)
	}}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Get("http://wgdesk/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := bufio.NewScanner(resp.Body)
	events.Buffer(nil, 1<<20)
	var seen bytes.Buffer
	check := func(what, body string) {
		t.Helper()
		seen.WriteString(body)
		for _, s := range keys.secrets() {
			if strings.Contains(body, s) {
				t.Errorf("%s leaks a secret key:\n%s", what, body)
			}
		}
	}
	req := fmt.Sprintf(`{"name": "office", "config": %q}`, keys.config())
	_, body := rawRequest(t, ts.socket, "POST", "/v1/tunnels", req)
	check("import", body)
	_, body = rawRequest(t, ts.socket, "POST", "/v1/tunnels", req)
	check("import error", body)
	_, body = rawRequest(t, ts.socket, "POST", "/v1/tunnels", strings.Replace(req, "10.66.0.2/32", "bad", 1))
	check("bad config error", body)
	for _, ep := range []struct{ method, path string }{
		{"GET", "/v1/version"},
		{"GET", "/v1/tunnels"},
		{"GET", "/v1/tunnels/office"},
		{"POST", "/v1/tunnels/office/up"},
		{"GET", "/v1/tunnels"},
		{"GET", "/v1/tunnels/office"},
		{"DELETE", "/v1/tunnels/office"},
		{"POST", "/v1/tunnels/office/down"},
		{"GET", "/v1/log"},
		{"DELETE", "/v1/tunnels/office"},
	} {
		_, body := rawRequest(t, ts.socket, ep.method, ep.path, "")
		check(ep.method+" "+ep.path, body)
	}
	// The event stream saw the snapshot, the import, up, down and delete.
	kinds := []string{}
	for events.Scan() {
		line := events.Text()
		check("event", line)
		var ev EventJSON
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, ev.Kind)
		if ev.Kind == EventRemoved {
			break
		}
	}
	if want := "snapshot added state state removed"; strings.Join(kinds, " ") != want {
		t.Fatalf("events %v, want %s", kinds, want)
	}
	if !strings.Contains(seen.String(), keys.peerPub.String()) {
		t.Fatal("no answer showed the peer's public key; the walk proves nothing")
	}
	// The one endpoint meant to carry them does.
	if _, err := ts.client.Import(ctx, "again", keys.config()); err != nil {
		t.Fatal(err)
	}
	_, body = rawRequest(t, ts.socket, "GET", "/v1/tunnels/again/config", "")
	if !strings.Contains(body, keys.priv.String()) {
		t.Fatalf("GET config lacks the private key:\n%s", body)
	}
	if strings.Contains(ts.log.String(), keys.priv.String()) {
		t.Fatal("the log shows the private key")
	}
}

func TestRecentLog(t *testing.T) {
	ts := startServer(t, apitest.New(), allowAll)
	ctx := context.Background()
	keys := newTestKeys(t)
	if _, err := ts.client.Import(ctx, "office", keys.config()); err != nil {
		t.Fatal(err)
	}
	lines, err := ts.client.Log(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) == 0 || !strings.Contains(strings.Join(lines, "\n"), `imported "office"`) {
		t.Fatalf("the log lacks the import: %q", lines)
	}
	// A stranger may not read it.
	denied := startServer(t, apitest.New(), &Access{
		PeerCred:    func(net.Conn) (Cred, error) { return Cred{UID: 1000, GID: 1000, PID: 7}, nil },
		LookupGroup: func(string) (uint32, error) { return 4242, nil },
	})
	if _, err := denied.client.Log(ctx); !IsCode(err, CodePermissionDenied) {
		t.Fatalf("a stranger read the log: %v", err)
	}
}
