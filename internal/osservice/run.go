package osservice

import (
	"context"
	"sync"
	"time"
)

// Control is a request from the service manager to a running service.
type Control int

const (
	Interrogate Control = iota
	Stop
	Shutdown
)

// Status is what a running service reports to the service manager.
type Status struct {
	State State
	// AcceptStop says the service takes Stop and Shutdown now.
	AcceptStop bool
	// WaitHint is how long until the next report; CheckPoint counts the
	// reports of one pending state, so the manager sees progress.
	WaitHint   time.Duration
	CheckPoint uint32
}

// RunFunc runs the service until ctx ends and returns its exit code. It
// calls ready once it serves requests.
type RunFunc func(ctx context.Context, ready func()) int

// Wait hints reported while starting and stopping. Stopping takes every
// tunnel down, bounded by the service at 30 seconds; a checkpoint goes out
// every stopTick so the manager does not think the service hung.
const (
	startWait = 30 * time.Second
	stopWait  = 10 * time.Second
	stopTick  = 3 * time.Second
)

// Serve runs run under a service manager: it reports StartPending, then
// Running once run is ready; Stop and Shutdown end run's context and
// report StopPending with a fresh checkpoint every tick until run returns.
// It returns run's exit code; the caller reports Stopped with it. ticks
// paces the checkpoints (a time.Ticker's channel in production).
func Serve(run RunFunc, requests <-chan Control, report func(Status), ticks <-chan time.Time) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	current := Status{State: StartPending, WaitHint: startWait}
	report(current)

	ready := make(chan struct{})
	var once sync.Once
	done := make(chan int, 1)
	go func() { done <- run(ctx, func() { once.Do(func() { close(ready) }) }) }()

	var tick <-chan time.Time // only while stopping
	for {
		select {
		case <-ready:
			ready = nil
			if current.State == StartPending {
				current = Status{State: Running, AcceptStop: true}
				report(current)
			}
		case c := <-requests:
			switch c {
			case Interrogate:
				report(current)
			case Stop, Shutdown:
				if current.State != StopPending {
					current = Status{State: StopPending, WaitHint: stopWait, CheckPoint: 1}
					report(current)
					cancel()
					tick = ticks
				}
			}
		case <-tick:
			current.CheckPoint++
			report(current)
		case code := <-done:
			return code
		}
	}
}
