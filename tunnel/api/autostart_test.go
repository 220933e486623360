package api

import (
	"context"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
)

// "Connect at startup" travels as the options' "autostart" field, for a
// split tunnel as for a full one, and a change of it alone keeps the
// other options.
func TestAutostartOption(t *testing.T) {
	svc := apitest.New()
	ts := startServer(t, svc, allowAll)
	c, ctx := ts.client, context.Background()
	if _, err := c.Import(ctx, "office", newTestKeys(t).config()); err != nil {
		t.Fatal(err)
	}
	got, err := c.SetOptions(ctx, "office", OptionsJSON{KillSwitch: "off", Autostart: true})
	if err != nil {
		t.Fatal(err)
	}
	if *got.Options != (OptionsJSON{KillSwitch: "off", Autostart: true}) {
		t.Errorf("answer: %+v", *got.Options)
	}
	status, body := rawServiceRequest(t, ts.socket, "GET", "/v1/tunnels/office", "")
	if status != 200 || !strings.Contains(body, `"autostart": true`) {
		t.Errorf("GET: %d %s; want \"autostart\": true in the options", status, body)
	}
	status, body = rawServiceRequest(t, ts.socket, "PUT", "/v1/tunnels/office/options", `{"kill_switch": "off", "allow_lan": false, "autostart": false}`)
	if status != 200 || strings.Contains(body, `"autostart"`) {
		t.Errorf("PUT autostart false: %d %s", status, body)
	}
}
