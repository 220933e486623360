//go:build cgo && windows

package app

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

// On Windows the endpoint is three named kernel objects in the session's
// namespace (Local\), admitting only the user who runs the app (see
// instance.go for the contract):
//
//	NAME         a mutex: whoever holds it is the first instance;
//	NAME-show    an event a later launch sets to ask for the window;
//	NAME-shown   an event the first instance sets once it asked for it.
//
// Windows deletes them with the last process holding them, so a crash
// leaves nothing behind, unlike a socket file; and the first instance
// raises its own window (Fyne keeps track of it; showing it from outside
// would not). Named kernel objects also work under Wine 8, where creating
// a named pipe with wireguard-go's namedpipe package fails.

// instanceSocket is the mutex name of this user's instance; Local\ is
// the session's namespace, so each session of a user has its own.
func instanceSocket() (string, error) {
	user, err := currentUserSID()
	if err != nil {
		return "", err
	}
	return `Local\wgdesk-gui-` + user.String(), nil
}

// instanceSDDL admits the user with the SID sid, and nobody else, to the
// instance's objects.
func instanceSDDL(sid string) string {
	return "D:P(A;;GA;;;" + sid + ")"
}

func currentUserSID() (*windows.SID, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("user of this process: %w", err)
	}
	return u.User.Sid, nil
}

// handles closes a set of handles at once.
type handles []windows.Handle

func (hs handles) close() {
	for _, h := range hs {
		if h != 0 {
			windows.CloseHandle(h)
		}
	}
}

// claimInstance: see instance.go. The events are made before the mutex:
// whoever finds the mutex taken finds the events there too.
func claimInstance(name string, onShow func()) (*instance, error) {
	user, err := currentUserSID()
	if err != nil {
		return nil, err
	}
	sd, err := windows.SecurityDescriptorFromString(instanceSDDL(user.String()))
	if err != nil {
		return nil, fmt.Errorf("security descriptor of %s: %w", name, err)
	}
	sa := &windows.SecurityAttributes{Length: uint32(unsafe.Sizeof(windows.SecurityAttributes{})), SecurityDescriptor: sd}
	event := func(n *uint16) (windows.Handle, error) { return windows.CreateEvent(sa, 0, 0, n) } // auto-reset, unset
	show, _, err := createNamed(name+"-show", event)
	if err != nil {
		return nil, err
	}
	shown, _, err := createNamed(name+"-shown", event)
	if err != nil {
		handles{show}.close()
		return nil, err
	}
	mutex, exists, err := createNamed(name, func(n *uint16) (windows.Handle, error) { return windows.CreateMutex(sa, false, n) })
	if err != nil {
		handles{show, shown}.close()
		return nil, err
	}
	if exists {
		defer handles{show, shown, mutex}.close()
		return nil, askToShow(name, show, shown)
	}

	quit, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		handles{show, shown, mutex}.close()
		return nil, fmt.Errorf("create quit event: %w", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			ev, err := windows.WaitForMultipleObjects([]windows.Handle{quit, show}, false, windows.INFINITE)
			if err != nil || ev != windows.WAIT_OBJECT_0+1 {
				return // quit, or waiting failed
			}
			onShow()
			windows.SetEvent(shown)
		}
	}()
	return &instance{close: func() error {
		err := windows.SetEvent(quit)
		wg.Wait()
		handles{quit, show, shown, mutex}.close()
		return err
	}}, nil
}

// createNamed creates the named object with f, or opens it when it
// exists, which exists then says.
func createNamed(name string, f func(name *uint16) (windows.Handle, error)) (h windows.Handle, exists bool, err error) {
	n16, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return 0, false, fmt.Errorf("name %q: %w", name, err)
	}
	h, err = f(n16)
	switch {
	case errors.Is(err, windows.ERROR_ALREADY_EXISTS):
		return h, true, nil
	case err != nil:
		return 0, false, fmt.Errorf("create %s: %w", name, err)
	}
	return h, false, nil
}

// askToShow asks the first instance to show its window and waits up to
// instanceTimeout for it to say it did. Two launches at the same moment
// may be taken as one ask (the event is set twice before it is seen);
// the one that then gets no answer runs on its own, as on a timeout.
func askToShow(name string, show, shown windows.Handle) error {
	if err := windows.SetEvent(show); err != nil {
		return fmt.Errorf("ask the running instance to show: %w", err)
	}
	ev, err := windows.WaitForSingleObject(shown, uint32(instanceTimeout.Milliseconds()))
	switch {
	case err != nil:
		return fmt.Errorf("wait for the running instance: %w", err)
	case ev == windows.WAIT_OBJECT_0:
		return errAlreadyRunning
	}
	return fmt.Errorf("another instance holds %s but did not answer within %s", name, instanceTimeout)
}
