//go:build cgo

package app

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// A second launch of the desktop app (a click on the menu entry while
// the window hides in the tray) shows the first one's window instead of
// opening another. The first instance listens on a per-user endpoint, a
// socket (instance_unix.go) or a named pipe (instance_windows.go); a
// later one connects, says "show" and exits. Both implement:
//
//	instanceSocket() (string, error)
//		the endpoint of this user's session;
//	claimInstance(path string, onShow func()) (*instance, error)
//		make this process the first instance listening on path, calling
//		onShow (on its own goroutine) each time a later launch asks; if
//		another instance answers on path, ask it to show its window and
//		return errAlreadyRunning. Whatever a dead instance left behind
//		never blocks a new one.

// errAlreadyRunning is what claimInstance returns to a later launch after
// the first instance took its "show".
var errAlreadyRunning = errors.New("wgdesk is already running")

// instanceTimeout bounds one exchange on the instance endpoint, so that a
// frozen first instance cannot hang a new launch (nor a stuck client the
// first instance).
const instanceTimeout = 2 * time.Second

// instance is the first running app, answering later launches.
type instance struct {
	ln     net.Listener
	onShow func()
	wg     sync.WaitGroup
	// release frees what else marks this instance as the first (the
	// Windows mutex); nil when there is nothing.
	release func() error
}

// startInstance serves ln for onShow.
func startInstance(ln net.Listener, onShow func(), release func() error) *instance {
	inst := &instance{ln: ln, onShow: onShow, release: release}
	inst.wg.Add(1)
	go inst.serve()
	return inst
}

// askToShowOn asks the instance at the other end of c to show its window;
// nil means it answered.
func askToShowOn(c net.Conn, path string) error {
	defer c.Close()
	c.SetDeadline(time.Now().Add(instanceTimeout))
	if _, err := c.Write([]byte("show\n")); err != nil {
		return fmt.Errorf("ask the running instance to show: %w", err)
	}
	reply, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || reply != "ok\n" {
		return fmt.Errorf("the running instance on %s did not answer: %q, %v", path, reply, err)
	}
	return nil
}

func (inst *instance) serve() {
	defer inst.wg.Done()
	for {
		c, err := inst.ln.Accept()
		if err != nil {
			return // closed
		}
		inst.answer(c)
	}
}

// answer handles one later launch. Only "show" is understood.
func (inst *instance) answer(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(instanceTimeout))
	// A short limit, so that a client cannot make it buffer an endless line.
	line, err := bufio.NewReader(io.LimitReader(c, 64)).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "show" {
		return
	}
	inst.onShow()
	c.Write([]byte("ok\n"))
}

// Close stops answering and frees the endpoint.
func (inst *instance) Close() error {
	err := inst.ln.Close()
	inst.wg.Wait()
	if inst.release != nil {
		if rerr := inst.release(); err == nil {
			err = rerr
		}
	}
	return err
}
