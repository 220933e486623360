package netlab

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

// InNetNS runs fn on an OS thread that has entered the network namespace
// ns, so that the sockets fn makes belong to ns; they stay there when
// other goroutines use them later. The thread never returns to the test's
// namespace: it ends with fn's goroutine, so no other goroutine ever runs
// in ns by accident.
func InNetNS(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: Go ends a thread that is still locked when its
		// goroutine returns.
		runtime.LockOSThread()
		f, err := os.Open(filepath.Join("/run/netns", ns))
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("enter %s: %w", ns, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}
