package api

import (
	"context"
	"errors"
	"github.com/wgdesk/wgdesk/internal/hints"
	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
	"net"
	"path/filepath"
	"strings"
	"testing"
)

func TestServiceDown(t *testing.T) {
	dir := t.TempDir()
	missing := Dial(filepath.Join(dir, "nothing.sock"))
	_, err := missing.List(context.Background())
	if !errors.Is(err, ErrServiceDown) {
		t.Fatalf("missing socket: %v, want ErrServiceDown", err)
	}
	for _, want := range []string{"not running", hints.Current().Start} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// A socket file nobody listens on any more: connection refused.
	stale := filepath.Join(dir, "stale.sock")
	ln, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := Dial(stale).Version(context.Background()); !errors.Is(err, ErrServiceDown) {
		t.Fatalf("stale socket: %v, want ErrServiceDown", err)
	}
	if _, err := Dial(stale).Events(context.Background()); !errors.Is(err, ErrServiceDown) {
		t.Fatalf("events on a stale socket: %v, want ErrServiceDown", err)
	}
}

func TestSecondServiceRefused(t *testing.T) {
	ts := startServer(t, apitest.New(), allowAll)
	ln, err := Listen(ts.socket)
	if err == nil {
		ln.Close()
		t.Fatal("a second service could listen on a live socket")
	}
	if !errors.Is(err, ErrAlreadyRunning) || !strings.Contains(err.Error(), "another wgdesk service is running") {
		t.Fatalf("second listen: %v", err)
	}
	// The first one still answers.
	if _, err := ts.client.List(context.Background()); err != nil {
		t.Fatalf("first service after the refused second: %v", err)
	}
}
