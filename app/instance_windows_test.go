//go:build cgo && windows

package app

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// testInstanceName is an instance name of this test only.
func testInstanceName(t *testing.T) string {
	return fmt.Sprintf(`Local\wgdesk-gui-test-%d-%d`, os.Getpid(), time.Now().UnixNano())
}

func TestSecondInstanceShowsFirst(t *testing.T) {
	name := testInstanceName(t)
	onShow, shown := showCounter()
	first, err := claimInstance(name, onShow)
	if err != nil {
		t.Fatalf("first instance: %v", err)
	}
	defer first.Close()
	for range 2 {
		inst, err := claimInstance(name, func() { t.Error("the second instance was asked to show") })
		if !errors.Is(err, errAlreadyRunning) {
			if inst != nil {
				inst.Close()
			}
			t.Fatalf("second instance: %v, want errAlreadyRunning", err)
		}
		waitShow(t, shown)
	}
}

// Once the first instance is gone, nothing it left blocks the next one.
func TestInstanceAfterFirstQuits(t *testing.T) {
	name := testInstanceName(t)
	first, err := claimInstance(name, func() {})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	next, err := claimInstance(name, func() {})
	if err != nil {
		t.Fatalf("launch after the first quit: %v", err)
	}
	next.Close()
}

// A first instance that does not answer (frozen) makes a later launch
// fail within instanceTimeout with an error, not errAlreadyRunning.
func TestInstanceThatDoesNotAnswer(t *testing.T) {
	name := testInstanceName(t)
	release := make(chan struct{})
	first, err := claimInstance(name, func() { <-release })
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	defer close(release)
	start := time.Now()
	_, err = claimInstance(name, func() {})
	if err == nil || errors.Is(err, errAlreadyRunning) || !strings.Contains(err.Error(), "did not answer") {
		t.Errorf("launch beside a frozen instance: %v", err)
	}
	if d := time.Since(start); d > instanceTimeout+time.Second {
		t.Errorf("it waited %s, want about %s", d, instanceTimeout)
	}
}

func TestInstanceSocketIsPerUser(t *testing.T) {
	name, err := instanceSocket()
	if err != nil {
		t.Fatal(err)
	}
	user, err := currentUserSID()
	if err != nil {
		t.Fatal(err)
	}
	if want := `Local\wgdesk-gui-` + user.String(); name != want {
		t.Errorf("instanceSocket() = %q, want %q", name, want)
	}
}
