package api

import (
	"context"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
)

// A ListenPort another program holds is the caller's conflict to solve,
// not the service's failure: conflict (409) with the sentence, and no
// internal-error line in the log.
func TestUpWithPortInUse(t *testing.T) {
	svc := apitest.New()
	ts := startServer(t, svc, allowAll)
	ctx := context.Background()
	if _, err := ts.client.Import(ctx, "office", newTestKeys(t).config()); err != nil {
		t.Fatal(err)
	}
	svc.SetUpErr(&tunnel.StepError{Step: tunnel.StepUp, Err: &tunnel.PortInUseError{Port: 40000}})
	_, err := ts.client.Up(ctx, "office")
	if !IsCode(err, CodeConflict) || !strings.Contains(err.Error(), "UDP port 40000 is in use by another program") {
		t.Fatalf("up: %v, want conflict naming the port", err)
	}
	if strings.Contains(ts.log.String(), "40000") && strings.Contains(ts.log.String(), `"/v1/tunnels/office/up": `) {
		t.Fatalf("logged as an internal error:\n%s", ts.log.String())
	}
}
