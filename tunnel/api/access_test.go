package api

import (
	"context"
	"errors"
	"github.com/wgdesk/wgdesk/internal/hints"
	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
	"net"
	"strings"
	"testing"
)

const testGID = 4711

// credAccess admits callers per the group 4711 and a fixed peer.
func credAccess(cred Cred, credErr error) *Access {
	return &Access{
		Group:       "wgdesk",
		PeerCred:    func(net.Conn) (Cred, error) { return cred, credErr },
		LookupGroup: func(name string) (uint32, error) { return testGID, nil },
	}
}

func TestAccess(t *testing.T) {
	tests := []struct {
		name    string
		access  *Access
		allowed bool
	}{
		{"root", credAccess(Cred{UID: 0, GID: 0, PID: 10}, nil), true},
		{"member by supplementary group", credAccess(Cred{UID: 1000, GID: 1000, Groups: []uint32{27, testGID}, PID: 11}, nil), true},
		{"member by primary group", credAccess(Cred{UID: 1000, GID: testGID, PID: 12}, nil), true},
		{"stranger", credAccess(Cred{UID: 1234, GID: 1234, Groups: []uint32{27, 100}, PID: 42}, nil), false},
		{"unknown credentials", credAccess(Cred{}, errors.New("getsockopt: bad file")), false},
		{"group lookup fails", &Access{
			PeerCred:    func(net.Conn) (Cred, error) { return Cred{UID: 1000, GID: testGID}, nil },
			LookupGroup: func(string) (uint32, error) { return 0, errors.New("unknown group wgdesk") },
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, apitest.New(), tt.access)
			ctx := context.Background()
			_, err := ts.client.List(ctx)
			if tt.allowed {
				if err != nil {
					t.Fatalf("allowed caller refused: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != CodePermissionDenied || e.Status != 403 {
				t.Fatalf("stranger got %v, want permission_denied 403", err)
			}
			if !strings.Contains(e.Message, hints.Current().Access) {
				t.Fatalf("refusal lacks the hint: %q", e.Message)
			}
			// Every endpoint is refused, including the secret one.
			if _, err := ts.client.Config(ctx, "x"); !IsCode(err, CodePermissionDenied) {
				t.Fatalf("config: %v", err)
			}
			if _, err := ts.client.Events(ctx); !IsCode(err, CodePermissionDenied) {
				t.Fatalf("events: %v", err)
			}
			if _, err := ts.client.Import(ctx, "x", "[Interface]"); !IsCode(err, CodePermissionDenied) {
				t.Fatalf("import: %v", err)
			}
			if _, err := ts.client.SetOptions(ctx, "x", OptionsJSON{KillSwitch: "off"}); !IsCode(err, CodePermissionDenied) {
				t.Fatalf("options: %v", err)
			}
			// Version stays open so a GUI can tell "no access" from "down".
			if _, err := ts.client.Version(ctx); err != nil {
				t.Fatalf("version refused: %v", err)
			}
			if !strings.Contains(ts.log.String(), `refused GET "/v1/tunnels"`) {
				t.Fatalf("the refusal was not logged:\n%s", ts.log.String())
			}
			if tt.name == "stranger" && !strings.Contains(ts.log.String(), "uid 1234 pid 42") {
				t.Fatalf("the log does not name the caller:\n%s", ts.log.String())
			}
		})
	}
}
