package api

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
)

// A tunnel name in the path is checked before anything is logged: a
// newline in it (%0A) must neither reach the log as a line of its own nor
// reach the service. GET /v1/log shows the log to the app, where a forged
// line would read as the service's own word.
func TestNameInPathCannotForgeLogLines(t *testing.T) {
	ts := startServer(t, apitest.New(), allowAll)
	ctx := context.Background()
	keys := newTestKeys(t)
	if _, err := ts.client.Import(ctx, "office", keys.config()); err != nil {
		t.Fatal(err)
	}
	const forged = "api: deleted office for uid 0"
	name := "x%0A2026-12-01%2010:00:00%20" + strings.ReplaceAll(forged, " ", "%20")
	for _, tt := range []struct{ method, path, body string }{
		{"POST", "/v1/tunnels/" + name + "/up", ""},
		{"POST", "/v1/tunnels/" + name + "/down", ""},
		{"GET", "/v1/tunnels/" + name, ""},
		{"GET", "/v1/tunnels/" + name + "/config", ""},
		{"PUT", "/v1/tunnels/" + name + "/options", `{"kill_switch": "off", "allow_lan": false}`},
		{"DELETE", "/v1/tunnels/" + name, ""},
	} {
		status, body := rawRequest(t, ts.socket, tt.method, tt.path, tt.body)
		if status != 400 || !strings.Contains(body, `"code": "bad_name"`) {
			t.Errorf("%s %s: %d %s, want 400 bad_name", tt.method, tt.path, status, body)
		}
	}
	lines, err := ts.client.Log(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "2026-12-01") || strings.HasPrefix(l, forged) {
			t.Errorf("forged log line: %q", l)
		}
	}
	if _, err := ts.client.Get(ctx, "office"); err != nil {
		t.Errorf("the real tunnel: %v", err)
	}
}

// A caller the connection check refuses is logged with the path quoted:
// the refusal comes before any route, so the path is still raw.
func TestRefusedPathIsQuoted(t *testing.T) {
	ts := startServer(t, apitest.New(), &Access{
		PeerCred:    func(net.Conn) (Cred, error) { return Cred{UID: 1000, GID: 1000, PID: 7}, nil },
		LookupGroup: func(string) (uint32, error) { return 4242, nil },
	})
	status, _ := rawRequest(t, ts.socket, "GET", "/v1/tunnels/x%0Aforged%20line", "")
	if status != 403 {
		t.Fatalf("status %d, want 403", status)
	}
	for _, l := range strings.Split(ts.log.String(), "\n") {
		if strings.HasPrefix(l, "forged line") {
			t.Fatalf("forged log line: %q\nlog:\n%s", l, ts.log.String())
		}
	}
	if !strings.Contains(ts.log.String(), `"/v1/tunnels/x\nforged line"`) {
		t.Fatalf("the refusal does not quote the path:\n%s", ts.log.String())
	}
}
