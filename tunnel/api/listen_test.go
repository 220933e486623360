package api

import (
	"context"
	"errors"
	"github.com/wgdesk/wgdesk/internal/hints"
	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
	"net"
	"os"
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

func TestListenReplacesStaleSocket(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "wgdesk.sock")
	os.MkdirAll(filepath.Dir(path), 0o755)
	old, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	old.(*net.UnixListener).SetUnlinkOnClose(false)
	old.Close()
	ln, err := Listen(path)
	if err != nil {
		t.Fatalf("listen over a stale socket: %v", err)
	}
	defer ln.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode&0o007 != 0 || (mode != 0o600 && mode != 0o660) {
		t.Fatalf("socket mode %v, want 0600 or 0660 and never open to others", mode)
	}
	if sl := ln.(*socketListener); !strings.Contains(sl.note, path) {
		t.Fatalf("access note %q does not name the socket", sl.note)
	}
}

func TestListenRefusesNonSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wgdesk.sock")
	if err := os.WriteFile(path, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	if ln, err := Listen(path); err == nil {
		ln.Close()
		t.Fatal("Listen replaced a regular file")
	}
	if b, _ := os.ReadFile(path); string(b) != "precious" {
		t.Fatal("Listen touched a regular file")
	}
}
