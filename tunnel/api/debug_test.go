package api

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
)

// An administrator reads the service's runtime figures; a group member is
// refused, and the figures name no tunnel.
func TestDebugRuntime(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t, apitest.New(), allowAll)
	got, err := ts.client.Runtime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Goroutines < 2 || got.HeapAlloc == 0 || got.HeapObjects == 0 {
		t.Fatalf("implausible figures for a running server: %+v", got)
	}
	code, body := rawRequest(t, ts.socket, "GET", "/v1/debug/runtime", "")
	if code != 200 || !strings.Contains(body, `"goroutines"`) || !strings.Contains(body, `"heap_alloc"`) {
		t.Fatalf("raw answer %d %s", code, body)
	}

	member := startServer(t, apitest.New(), &Access{
		PeerCred:    func(net.Conn) (Cred, error) { return Cred{UID: 1000, GID: testGID, PID: 9}, nil },
		LookupGroup: func(string) (uint32, error) { return testGID, nil },
	})
	if _, err := member.client.List(ctx); err != nil {
		t.Fatalf("the member is not let in at all, the test proves nothing: %v", err)
	}
	if _, err := member.client.Runtime(ctx); !IsCode(err, CodePermissionDenied) {
		t.Fatalf("a group member read the runtime figures: %v", err)
	}
}
