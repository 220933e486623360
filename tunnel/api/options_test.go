package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/platform"
	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
)

// fullConfig routes everything into the tunnel, so the kill switch
// applies to it.
func fullConfig(k testKeys) string {
	return strings.Replace(k.config(), "AllowedIPs = 10.66.0.0/24, 192.168.88.0/24", "AllowedIPs = 0.0.0.0/0, ::/0", 1)
}

func TestSetOptions(t *testing.T) {
	svc := apitest.New()
	svc.SetFirewall(platform.FirewallSupport{KillSwitch: true})
	ts := startServer(t, svc, allowAll)
	c, ctx := ts.client, context.Background()
	keys := newTestKeys(t)
	if _, err := c.Import(ctx, "home", fullConfig(keys)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Import(ctx, "office", keys.config()); err != nil {
		t.Fatal(err)
	}

	home, err := c.Get(ctx, "home")
	if err != nil {
		t.Fatal(err)
	}
	if home.Options == nil || *home.Options != (OptionsJSON{KillSwitch: "auto"}) || !home.FullTunnel ||
		home.KillSwitch != tunnel.KillSwitchArmed || home.KillSwitchActive || home.AllowLANAvailable {
		t.Fatalf("full tunnel before up: %+v", home)
	}
	if home, err = c.Up(ctx, "home"); err != nil || home.KillSwitch != tunnel.KillSwitchActive || !home.KillSwitchActive {
		t.Fatalf("full tunnel up: %+v, %v", home, err)
	}
	list, err := c.List(ctx)
	if err != nil || len(list) != 2 || list[1].Name != "office" || list[1].FullTunnel || list[1].KillSwitch != tunnel.KillSwitchUnused {
		t.Fatalf("list: %+v, %v", list, err)
	}

	got, err := c.SetOptions(ctx, "home", OptionsJSON{KillSwitch: "off"})
	if err != nil {
		t.Fatal(err)
	}
	if *got.Options != (OptionsJSON{KillSwitch: "off"}) || got.KillSwitch != tunnel.KillSwitchDisabled || got.KillSwitchActive {
		t.Errorf("answer to kill switch off: %+v", got)
	}
	if !strings.Contains(ts.log.String(), `options of "home" (kill switch "off", allow lan false) requested by`) {
		t.Errorf("the change was not logged with its caller:\n%s", ts.log.String())
	}

	for _, tt := range []struct {
		name   string
		opts   OptionsJSON
		code   string
		status int
	}{
		{"unknown value", OptionsJSON{KillSwitch: "sometimes"}, CodeBadRequest, 400},
		{"allow lan without support", OptionsJSON{KillSwitch: "on", AllowLAN: true}, CodeUnsupported, 501},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.SetOptions(ctx, "home", tt.opts)
			var e *Error
			if !errors.As(err, &e) || e.Code != tt.code || e.Status != tt.status {
				t.Fatalf("%v, want %s %d", err, tt.code, tt.status)
			}
		})
	}
	if _, err := c.SetOptions(ctx, "nope", OptionsJSON{}); !IsCode(err, CodeNotFound) {
		t.Errorf("unknown tunnel: %v", err)
	}

	svc.SetFirewall(platform.FirewallSupport{KillSwitch: true, AllowLAN: true})
	if got, err = c.SetOptions(ctx, "home", OptionsJSON{AllowLAN: true}); err != nil || *got.Options != (OptionsJSON{KillSwitch: "auto", AllowLAN: true}) {
		t.Errorf("allow lan with support: %+v, %v", got, err)
	}

	// Unknown fields are refused, as for import.
	status, body := rawServiceRequest(t, ts.socket, "PUT", "/v1/tunnels/home/options", `{"kill_switch": "on", "block_ads": true}`)
	if status != 400 || !strings.Contains(body, `"code": "bad_request"`) {
		t.Errorf("unknown field: %d %s", status, body)
	}
}

// A client newer than the service: an old service has no options
// endpoint and sends no options fields.
func TestOptionsAgainstAnOldService(t *testing.T) {
	old := `{"name": "home", "state": "inactive", "interface": "", "peers": []}`
	var tj TunnelJSON
	if err := json.Unmarshal([]byte(old), &tj); err != nil {
		t.Fatal(err)
	}
	if tj.Options != nil || tj.KillSwitch != "" || tj.KillSwitchActive {
		t.Errorf("an old service's tunnel decodes as %+v; want no options and no kill switch status", tj)
	}

	// The catch-all answer of a service without the endpoint, as
	// server.routes gives it.
	notFound := func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &Error{Code: CodeBadRequest, Message: "no endpoint " + r.Method + " " + r.URL.Path}, http.StatusNotFound)
	}
	ts := startServer(t, apitest.New(), allowAll)
	ts.stop()
	ln, err := Listen(ts.socket)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(notFound)}
	go srv.Serve(ln)
	defer srv.Close()
	c := Dial(ts.socket)
	defer c.Close()
	_, err = c.SetOptions(context.Background(), "home", OptionsJSON{KillSwitch: "off"})
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeUnsupported || !strings.Contains(e.Message, "too old") {
		t.Fatalf("old service: %v, want unsupported saying to update it", err)
	}
}

// rawServiceRequest is rawRequest over the service's own transport (the
// named pipe on Windows), bypassing Client.
func rawServiceRequest(t *testing.T, socket, method, path, body string) (int, string) {
	t.Helper()
	addr := serviceAddr(socket)
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return dialService(ctx, addr)
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
