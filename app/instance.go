//go:build cgo

package app

import (
	"errors"
	"time"
)

// A second launch of the desktop app (a click on the menu entry while
// the window hides in the tray) shows the first one's window instead of
// opening another. The first instance answers on a per-user endpoint: a
// socket on Unix (instance_unix.go), named kernel objects on Windows
// (instance_windows.go). Both implement:
//
//	instanceSocket() (string, error)
//		the endpoint of this user's session;
//	claimInstance(path string, onShow func()) (*instance, error)
//		make this process the first instance on path, calling onShow
//		(on its own goroutine) each time a later launch asks; if another
//		instance answers on path, ask it to show its window and return
//		errAlreadyRunning. Whatever a dead instance left behind never
//		blocks a new one.

// errAlreadyRunning is what claimInstance returns to a later launch after
// the first instance took its "show".
var errAlreadyRunning = errors.New("wgdesk is already running")

// instanceTimeout bounds one exchange with the first instance, so that a
// frozen first instance cannot hang a new launch (nor a stuck client the
// first instance).
const instanceTimeout = 2 * time.Second

// instance is the first running app, answering later launches.
type instance struct {
	// close stops answering and frees the endpoint.
	close func() error
}

// Close stops answering later launches and frees the endpoint.
func (inst *instance) Close() error { return inst.close() }
