//go:build cgo && windows

package app

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sys/windows"
	"golang.zx2c4.com/wireguard/ipc/namedpipe"
)

// On Windows the first instance holds a named mutex in its session's
// namespace (Local\) and listens on a named pipe only its user may open
// (see instance.go for the contract). The mutex says whether a first
// instance is alive: Windows releases it with the process, so a crash
// leaves nothing behind to clean up, unlike a socket file. The pipe
// carries "show", so that the app raises its own window (Fyne keeps
// track of it; showing it from outside would not). Pipe names are one
// namespace for the whole machine, unlike Local\ mutexes, so the name
// carries the user's SID and the session.

// instanceSocket is the named pipe of this user's session:
// \\.\pipe\wgdesk-gui-<SID>-<session>.
func instanceSocket() (string, error) {
	user, err := currentUserSID()
	if err != nil {
		return "", err
	}
	var session uint32
	if err := windows.ProcessIdToSessionId(windows.GetCurrentProcessId(), &session); err != nil {
		return "", fmt.Errorf("session of this process: %w", err)
	}
	return fmt.Sprintf(`\\.\pipe\wgdesk-gui-%s-%d`, user, session), nil
}

// instanceMutexName is the mutex that goes with the pipe at path.
func instanceMutexName(path string) string {
	return `Local\` + strings.TrimPrefix(path, `\\.\pipe\`)
}

// instancePipeSDDL admits the user with the SID sid, and nobody else, to
// the pipe, and makes that user its owner, which a client checks.
func instancePipeSDDL(sid string) string {
	return "O:" + sid + "D:P(A;;GA;;;" + sid + ")"
}

func currentUserSID() (*windows.SID, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("user of this process: %w", err)
	}
	return u.User.Sid, nil
}

// claimInstance: see instance.go.
func claimInstance(path string, onShow func()) (*instance, error) {
	user, err := currentUserSID()
	if err != nil {
		return nil, err
	}
	name := instanceMutexName(path)
	name16, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil, fmt.Errorf("mutex name %q: %w", name, err)
	}
	mutex, err := windows.CreateMutex(nil, false, name16)
	if errors.Is(err, windows.ERROR_ALREADY_EXISTS) {
		windows.CloseHandle(mutex)
		if err := askToShow(path, user); err != nil {
			return nil, fmt.Errorf("another instance holds %s: %w", name, err)
		}
		return nil, errAlreadyRunning
	}
	if err != nil {
		return nil, fmt.Errorf("create mutex %s: %w", name, err)
	}
	sd, err := windows.SecurityDescriptorFromString(instancePipeSDDL(user.String()))
	if err != nil {
		windows.CloseHandle(mutex)
		return nil, fmt.Errorf("security descriptor of %s: %w", path, err)
	}
	// The pipe is created as the first instance of its name: one that
	// another program made first fails here rather than being shared.
	ln, err := (&namedpipe.ListenConfig{SecurityDescriptor: sd}).Listen(path)
	if err != nil {
		windows.CloseHandle(mutex)
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	return startInstance(ln, onShow, func() error { return windows.CloseHandle(mutex) }), nil
}

// askToShow asks the instance on the pipe at path, which must be owned by
// user, to show its window. The first instance creates its mutex a moment
// before its pipe, so a pipe not there yet is waited for, up to
// instanceTimeout.
func askToShow(path string, user *windows.SID) error {
	dialer := namedpipe.DialConfig{ExpectedOwner: user}
	deadline := time.Now().Add(instanceTimeout)
	for {
		c, err := dialer.DialTimeout(path, instanceTimeout)
		if err == nil {
			return askToShowOn(c, path)
		}
		if !errors.Is(err, windows.ERROR_FILE_NOT_FOUND) || time.Now().After(deadline) {
			return fmt.Errorf("connect to %s: %w", path, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
