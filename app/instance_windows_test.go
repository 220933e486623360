//go:build cgo && windows

package app

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

// testPipe is a pipe path of this test run only.
func testPipe(t *testing.T) string {
	return fmt.Sprintf(`\\.\pipe\wgdesk-gui-test-%d-%d`, os.Getpid(), time.Now().UnixNano())
}

func TestSecondInstanceShowsFirst(t *testing.T) {
	path := testPipe(t)
	onShow, shown := showCounter()
	first, err := claimInstance(path, onShow)
	if err != nil {
		t.Fatalf("first instance: %v", err)
	}
	defer first.Close()
	for range 2 {
		inst, err := claimInstance(path, func() { t.Error("the second instance was asked to show") })
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
	path := testPipe(t)
	first, err := claimInstance(path, func() {})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	next, err := claimInstance(path, func() {})
	if err != nil {
		t.Fatalf("launch after the first quit: %v", err)
	}
	next.Close()
}

func TestInstanceSocketIsPerUserSession(t *testing.T) {
	path, err := instanceSocket()
	if err != nil {
		t.Fatal(err)
	}
	user, err := currentUserSID()
	if err != nil {
		t.Fatal(err)
	}
	var session uint32
	if err := windows.ProcessIdToSessionId(windows.GetCurrentProcessId(), &session); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`\\.\pipe\wgdesk-gui-%s-%d`, user, session); path != want {
		t.Errorf("instanceSocket() = %q, want %q", path, want)
	}
	if m := instanceMutexName(path); !strings.HasPrefix(m, `Local\wgdesk-gui-`) || strings.Count(m, `\`) != 1 {
		t.Errorf("mutex name %q: want one name in the session namespace", m)
	}
}

// A pipe of that name owned by someone else is not taken for the first
// instance: the client checks the owner.
func TestInstanceIgnoresPipeOfOtherOwner(t *testing.T) {
	path := testPipe(t)
	system, err := windows.CreateWellKnownSid(windows.WinLocalSystemSid)
	if err != nil {
		t.Fatal(err)
	}
	first, err := claimInstance(path, func() {})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if err := askToShow(path, system); err == nil {
		t.Error("asked a pipe whose owner is not the expected one")
	}
}
