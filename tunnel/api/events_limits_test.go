package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
)

// serveOpts runs Serve with opts on a temp socket until the test ends and
// returns the socket.
func serveOpts(t *testing.T, svc tunnel.Service, opts Options) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "wgdesk-api-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	socket := filepath.Join(dir, "run", "wgdesk.sock")
	ln, err := Listen(socket)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, svc, opts) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return socket
}

// waitClosed reads c until the server closes it and returns what came.
// The deadline only guards against a hang.
func waitClosed(t *testing.T, c net.Conn, what string) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(time.Minute))
	b, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("%s: the server kept the connection open", what)
	}
	return string(b)
}

// The server bounds a request that never finishes its body and a
// kept-alive connection that sends nothing; an event stream opened
// before both outlives the two bounds and still gets events.
func TestServerTimeouts(t *testing.T) {
	svc := apitest.New()
	socket := serveOpts(t, svc, Options{
		Access:      allowAll,
		ReadTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond,
	})
	client := Dial(socket)
	defer client.Close()
	ctx := context.Background()
	keys := newTestKeys(t)
	if _, err := client.Import(ctx, "office", keys.config()); err != nil {
		t.Fatal(err)
	}
	stream, err := client.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	if ev := <-stream.C; ev.Kind != EventSnapshot {
		t.Fatalf("first event %+v", ev)
	}

	// A body that never comes.
	slow, err := dialServer(ctx, socket)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	io.WriteString(slow, "POST /v1/tunnels HTTP/1.1\r\nHost: wgdesk\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"name\": ")
	waitClosed(t, slow, "a request body that never ends")

	// A connection that stays silent after one answer.
	idle, err := dialServer(ctx, socket)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	io.WriteString(idle, "GET /v1/version HTTP/1.1\r\nHost: wgdesk\r\n\r\n")
	if got := waitClosed(t, idle, "an idle kept-alive connection"); !strings.Contains(got, `"api": 1`) {
		t.Fatalf("the version answer before the close: %q", got)
	}

	// The stream began before both and is still open.
	if err := svc.Up(ctx, "office"); err != nil {
		t.Fatal(err)
	}
	select {
	case ev, ok := <-stream.C:
		if !ok || ev.Kind != EventState {
			t.Fatalf("after the timeouts the stream gave %+v (open %v, err %v), want the state event", ev, ok, stream.Err())
		}
	case <-time.After(time.Minute):
		t.Fatal("no event on the stream")
	}
}

// Event streams are bounded per account and in total; a refused one
// says so with too_many_streams, and a closed one frees its place.
func TestEventStreamLimits(t *testing.T) {
	svc := apitest.New()
	var uid atomic.Uint32
	socket := serveOpts(t, svc, Options{
		Access: &Access{
			PeerCred:    func(net.Conn) (Cred, error) { return Cred{UID: uid.Load(), GID: testGID, PID: 9}, nil },
			LookupGroup: func(string) (uint32, error) { return testGID, nil },
		},
		MaxStreamsPerCaller: 2, MaxStreams: 3,
	})
	ctx := context.Background()
	open := func(as uint32) (*EventStream, error) {
		uid.Store(as) // read when the connection is accepted
		c := Dial(socket)
		t.Cleanup(c.Close)
		s, err := c.Events(ctx)
		if err == nil {
			t.Cleanup(s.Close)
			if ev := <-s.C; ev.Kind != EventSnapshot {
				t.Fatalf("first event %+v", ev)
			}
		}
		return s, err
	}
	a1, err := open(1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open(1000); err != nil {
		t.Fatal(err)
	}
	_, err = open(1000)
	var e *Error
	if !IsCode(err, CodeTooManyStreams) || !errors.As(err, &e) || e.Status != 429 || !strings.Contains(e.Message, "this account") {
		t.Fatalf("third stream of one account: %v, want too_many_streams (429) about the account", err)
	}
	if _, err := open(1001); err != nil {
		t.Fatalf("another account: %v", err)
	}
	if _, err := open(1002); !IsCode(err, CodeTooManyStreams) || !strings.Contains(err.Error(), "the service has 3") {
		t.Fatalf("a fourth stream in all: %v, want too_many_streams about the service", err)
	}
	a1.Close()
	<-svc.Unsubscribed // one per stream that ended; a1's is the only one
	if _, err := open(1002); err != nil {
		t.Fatalf("after a stream closed: %v", err)
	}
}

// statsService sends what the test puts on its channel to the first
// subscriber, after the fake service's snapshot.
type statsService struct {
	*apitest.Service
	ch chan tunnel.Event
}

func (s *statsService) Subscribe() (<-chan tunnel.Event, func()) {
	_, cancel := s.Service.Subscribe()
	return s.ch, cancel
}

// A stats event carries the figures without the config, which may be
// 1 MiB and does not change; the other kinds keep it.
func TestStatsEventsWithoutConfig(t *testing.T) {
	svc := &statsService{Service: apitest.New(), ch: make(chan tunnel.Event, 2)}
	socket := serveOpts(t, svc, Options{
		Access:     allowAll,
		ConfigJSON: func(c *config.Config) any { return string(c.Marshal()) },
	})
	keys := newTestKeys(t)
	cfg, _, err := config.Parse([]byte(keys.config()))
	if err != nil {
		t.Fatal(err)
	}
	info := tunnel.TunnelInfo{Name: "office", State: tunnel.StateActive, Config: cfg.Redact(),
		Peers: []tunnel.PeerStats{{PublicKey: keys.peerPub, RxBytes: 42}}}
	svc.ch <- tunnel.Event{Kind: tunnel.EventState, Tunnel: info, Time: time.Now()}
	svc.ch <- tunnel.Event{Kind: tunnel.EventStats, Tunnel: info, Time: time.Now()}

	conn, err := dialServer(context.Background(), socket)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /v1/events HTTP/1.1\r\nHost: wgdesk\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(time.Minute)) // a guard against a hang
	r := bufio.NewReader(conn)
	var lines []string
	for len(lines) < 3 {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read the stream: %v (so far %q)", err, lines)
		}
		if strings.HasPrefix(l, "{") {
			lines = append(lines, l)
		}
	}
	var state, stats map[string]json.RawMessage
	json.Unmarshal([]byte(lines[1]), &state)
	json.Unmarshal([]byte(lines[2]), &stats)
	if !strings.Contains(string(state["tunnel"]), `"config"`) {
		t.Errorf("the state event lacks the config: %s", lines[1])
	}
	if strings.Contains(string(stats["tunnel"]), `"config"`) || !strings.Contains(string(stats["tunnel"]), `"rx_bytes":42`) {
		t.Errorf("the stats event: %s, want the figures without the config", lines[2])
	}
}
