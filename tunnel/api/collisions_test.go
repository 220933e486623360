package api

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
)

// The service's collision warnings reach a client twice: after the
// parser's warnings in the import answer, and in the tunnel's "warnings"
// (status, the app) while they hold.
func TestImportAndTunnelCarryCollisionWarnings(t *testing.T) {
	svc := apitest.New()
	svc.SetConnectedSubnets([]config.LocalSubnet{{Prefix: netip.MustParsePrefix("192.168.88.0/24"), Interface: "wlan0"}})
	ts := startServer(t, svc, allowAll)
	c, ctx := ts.client, context.Background()
	keys := newTestKeys(t)

	ws, err := c.Import(ctx, "office", keys.config())
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 || ws[0].Line != endpointLine {
		t.Fatalf("import warnings %+v, want the doubled port, then the collision", ws)
	}
	const want = "the tunnel's 192.168.88.0/24 is also the LAN on wlan0"
	if !strings.HasPrefix(ws[1].String(), want) {
		t.Errorf("collision warning %q, want %q...", ws[1], want)
	}
	up, err := c.Up(ctx, "office")
	if err != nil {
		t.Fatal(err)
	}
	if len(up.Warnings) != 1 || !strings.HasPrefix(up.Warnings[0], want) {
		t.Errorf("up answer warnings %q", up.Warnings)
	}
}
