package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wgdesk/wgdesk/internal/hints"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

func TestServiceRefusesNonRoot(t *testing.T) {
	restore := isRoot
	isRoot = func() bool { return false }
	t.Cleanup(func() { isRoot = restore })
	var out, errb bytes.Buffer
	if code := Service(nil, &out, &errb); code != 1 || errb.String() != "wgdesk service: "+hints.Current().NeedPrivilege+"\n" {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	for _, args := range [][]string{{"--dns-mode", "magic"}, {"--bogus"}, {"extra"}} {
		errb.Reset()
		if code := Service(args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errb.String())
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The real service wiring (platform, manager, API) on a temp socket and
// state directory. No tunnel goes up, so nothing on the host changes.
func TestServiceRuns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the service needs root (netlink, the state directory); run as root")
	}
	dir := t.TempDir()
	resolv := filepath.Join(dir, "resolv.conf")
	os.WriteFile(resolv, []byte("nameserver 192.0.2.53\n"), 0o644)
	o := serviceOptions{
		socket:     filepath.Join(dir, "run", "wgdesk.sock"),
		stateDir:   filepath.Join(dir, "state"),
		dnsMode:    "direct",
		resolvConf: resolv,
		verbose:    true,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	ready := make(chan struct{})
	done := make(chan int, 1)
	go func() { done <- runService(ctx, o, &logs, func() { close(ready) }) }()
	select {
	case <-ready:
	case code := <-done:
		t.Fatalf("service exited with %d:\n%s", code, logs.String())
	}

	var out, errb bytes.Buffer
	conf := filepath.Join(dir, "office.conf")
	os.WriteFile(conf, []byte(testConfigText("10.66.0.2/32")), 0o600)
	if code := run(ctx, "import", []string{"--socket", o.socket, conf}, &out, &errb); code != 0 {
		t.Fatalf("import: exit %d\n%s%s\n%s", code, out.String(), errb.String(), logs.String())
	}
	out.Reset()
	if code := run(ctx, "list", []string{"--socket", o.socket}, &out, &errb); code != 0 || !strings.Contains(out.String(), "office  inactive") {
		t.Fatalf("list: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if fi, err := os.Stat(filepath.Join(o.stateDir, "tunnels", "office.conf")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("stored config: %v %v", fi, err)
	}

	// A second service on the same socket refuses to start.
	var logs2 syncBuffer
	if code := runService(ctx, o, &logs2, nil); code != 1 || !strings.Contains(logs2.String(), "another wgdesk service is running") {
		t.Fatalf("second service: exit %d\n%s", code, logs2.String())
	}

	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("service exit %d after shutdown:\n%s", code, logs.String())
	}
	for _, want := range []string{"service: wgdesk", "listening on " + o.socket, "service: stopping"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("service log lacks %q:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), testPriv) || strings.Contains(logs.String(), testPSK) {
		t.Fatal("the service logged a key")
	}
	if b, _ := os.ReadFile(resolv); string(b) != "nameserver 192.0.2.53\n" {
		t.Fatalf("resolv.conf changed: %q", b)
	}
	if _, err := api.Dial(o.socket).List(context.Background()); err == nil {
		t.Fatal("the socket still answers after shutdown")
	}
}

// The desktop app started as root runs the service in its own process.
// No tunnel goes up, so nothing on the host changes.
func TestEmbeddedService(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the service needs root (netlink, the state directory); run as root")
	}
	dir := t.TempDir()
	socket := filepath.Join(dir, "run", "wgdesk.sock")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	done, err := EmbeddedService(ctx, socket, filepath.Join(dir, "state"), &logs)
	if err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	var out, errb bytes.Buffer
	if code := run(ctx, "list", []string{"--socket", socket}, &out, &errb); code != 0 {
		t.Fatalf("list against the embedded service: exit %d\n%s%s", code, out.String(), errb.String())
	}
	// A second one on the same socket says why it cannot run.
	var logs2 syncBuffer
	if _, err := EmbeddedService(ctx, socket, filepath.Join(dir, "state2"), &logs2); err == nil || !strings.Contains(logs2.String(), "another wgdesk service is running") {
		t.Fatalf("second embedded service: %v\n%s", err, logs2.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("embedded service exit %d:\n%s", code, logs.String())
	}
	if _, err := os.Stat(socket); err == nil {
		t.Error("the socket is left behind after the service stopped")
	}
}

func TestEmbeddedServiceNeedsRoot(t *testing.T) {
	restore := isRoot
	isRoot = func() bool { return false }
	t.Cleanup(func() { isRoot = restore })
	if _, err := EmbeddedService(context.Background(), filepath.Join(t.TempDir(), "s"), "", io.Discard); err == nil {
		t.Fatal("an unprivileged embedded service did not refuse")
	}
}

func TestServiceLogKeepsTheLatestLines(t *testing.T) {
	var out syncBuffer
	l := newLogs(&out, false)
	c := l.component("tunnel")
	c.Verbosef("quiet %d", 0)
	for i := 1; i <= recentLines+5; i++ {
		c.Printf("line %d", i)
	}
	got := l.Recent()
	if len(got) != recentLines {
		t.Fatalf("kept %d lines, want %d", len(got), recentLines)
	}
	if !strings.HasSuffix(got[0], "tunnel: line 6") || !strings.HasSuffix(got[len(got)-1], fmt.Sprintf("tunnel: line %d", recentLines+5)) {
		t.Fatalf("ring order wrong: first %q, last %q", got[0], got[len(got)-1])
	}
	if strings.Contains(out.String(), "quiet") {
		t.Fatal("a verbose line reached the stream without --verbose")
	}
	l2 := newLogs(io.Discard, false)
	l2.component("api").Verbosef("kept for the log view")
	if r := l2.Recent(); len(r) != 1 || !strings.HasSuffix(r[0], "api: kept for the log view") {
		t.Fatalf("verbose line not kept: %q", r)
	}
}
