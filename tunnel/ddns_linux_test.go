package tunnel

import (
	"bufio"
	"context"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// watchLogind reports the resume (PrepareForSleep(false)) that logind
// signals on the system bus, and not the going to sleep. A private
// dbus-daemon stands for the system bus (godbus honours
// DBUS_SYSTEM_BUS_ADDRESS) and a second connection for logind.
func TestWatchLogindSeesResume(t *testing.T) {
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Skip("dbus-daemon is missing (Debian: apt-get install dbus)")
	}
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", strings.TrimSpace(addr))

	logind, err := dbus.Connect(strings.TrimSpace(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer logind.Close()

	ctx, cancel := context.WithCancel(context.Background())
	resumed := make(chan struct{}, 4)
	done := make(chan error, 1)
	go func() { done <- watchLogind(ctx, func() { resumed <- struct{}{} }) }()

	emit := func(sleeping bool) {
		t.Helper()
		if err := logind.Emit("/org/freedesktop/login1", "org.freedesktop.login1.Manager.PrepareForSleep", sleeping); err != nil {
			t.Fatal(err)
		}
	}
	// The watcher subscribes asynchronously: signal until it hears one
	// resume, then check that going to sleep is not one.
	deadline := time.Now().Add(10 * time.Second)
	for heard := false; !heard; {
		emit(false)
		select {
		case <-resumed:
			heard = true
		case <-time.After(50 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("the resume was not reported")
			}
		}
	}
	for len(resumed) > 0 {
		<-resumed
	}
	emit(true)
	emit(false)
	select {
	case <-resumed:
	case <-time.After(5 * time.Second):
		t.Fatal("the second resume was not reported")
	}
	select {
	case <-resumed:
		t.Error("going to sleep was reported as a resume")
	case <-time.After(200 * time.Millisecond):
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("watchLogind: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watchLogind did not return after its context ended")
	}
}

// Without a system bus watchLogind says so once per service run and
// returns, so that the tunnel goes on without it.
func TestWatchLogindWithoutBus(t *testing.T) {
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/wgdesk-test-bus")
	noLogindOnce = sync.Once{} // as at the service's start
	first := watchLogind(context.Background(), func() {})
	second := watchLogind(context.Background(), func() {})
	if first == nil || !strings.Contains(first.Error(), "no system D-Bus") {
		t.Errorf("first call: %v, want the reason", first)
	}
	if second != nil {
		t.Errorf("second call: %v, want nothing more to log", second)
	}
}
