package osservice

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// serveHarness runs Serve with a RunFunc the test steers.
type serveHarness struct {
	requests chan Control
	reports  chan Status
	ticks    chan time.Time
	ready    chan func() // run hands its ready func here
	ended    chan struct{}
	finish   chan int // the exit code run returns after ctx ends
	code     chan int // Serve's result
}

func startServe(t *testing.T) *serveHarness {
	h := &serveHarness{
		requests: make(chan Control),
		reports:  make(chan Status, 16),
		ticks:    make(chan time.Time),
		ready:    make(chan func(), 1),
		ended:    make(chan struct{}),
		finish:   make(chan int, 1),
		code:     make(chan int, 1),
	}
	run := func(ctx context.Context, ready func()) int {
		h.ready <- ready
		<-ctx.Done()
		close(h.ended)
		return <-h.finish
	}
	go func() { h.code <- Serve(run, h.requests, func(s Status) { h.reports <- s }, h.ticks) }()
	return h
}

func (h *serveHarness) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-h.reports:
		return fmt.Sprintf("%s accept=%v hint=%s cp=%d", s.State, s.AcceptStop, s.WaitHint, s.CheckPoint)
	case <-time.After(5 * time.Second):
		t.Fatal("no status report")
		return ""
	}
}

func TestServeStop(t *testing.T) {
	for _, c := range []Control{Stop, Shutdown} {
		h := startServe(t)
		var got []string
		got = append(got, h.next(t))
		ready := <-h.ready
		select {
		case <-h.reports:
			t.Fatal("reported before run was ready")
		case <-time.After(20 * time.Millisecond):
		}
		ready()
		ready() // twice is harmless
		got = append(got, h.next(t))
		h.requests <- Interrogate
		got = append(got, h.next(t))
		h.requests <- c
		got = append(got, h.next(t))
		select {
		case <-h.ended:
		case <-time.After(5 * time.Second):
			t.Fatal("run's context did not end")
		}
		h.requests <- c // a second stop changes nothing
		h.ticks <- time.Time{}
		got = append(got, h.next(t))
		h.ticks <- time.Time{}
		got = append(got, h.next(t))
		h.requests <- Interrogate
		got = append(got, h.next(t))
		h.finish <- 3
		if code := <-h.code; code != 3 {
			t.Errorf("exit code %d, want run's 3", code)
		}
		want := strings.Join([]string{
			"starting accept=false hint=30s cp=0",
			"running accept=true hint=0s cp=0",
			"running accept=true hint=0s cp=0",
			"stopping accept=false hint=10s cp=1",
			"stopping accept=false hint=10s cp=2",
			"stopping accept=false hint=10s cp=3",
			"stopping accept=false hint=10s cp=3",
		}, "\n")
		if g := strings.Join(got, "\n"); g != want {
			t.Errorf("control %d: reports\n%s\nwant\n%s", c, g, want)
		}
	}
}

// A service that fails before it is ready returns its code at once.
func TestServeFailsAtStart(t *testing.T) {
	var reports []State
	code := Serve(func(context.Context, func()) int { return 1 }, nil,
		func(s Status) { reports = append(reports, s.State) }, nil)
	if code != 1 || len(reports) != 1 || reports[0] != StartPending {
		t.Fatalf("code %d, reports %v", code, reports)
	}
}
