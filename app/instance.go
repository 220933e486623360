//go:build cgo

package app

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A second launch of the desktop app (a click on the menu entry while
// the window hides in the tray) shows the first one's window instead of
// opening another. The first instance listens on a per-user socket; a
// later one connects, says "show" and exits.

// errAlreadyRunning is what claimInstance returns to a later launch after
// the first instance took its "show".
var errAlreadyRunning = errors.New("wgdesk is already running")

// instanceTimeout bounds one exchange on the instance socket, so that a
// frozen first instance cannot hang a new launch (nor a stuck client the
// first instance).
const instanceTimeout = 2 * time.Second

// instanceSocket is the per-user socket path: in $XDG_RUNTIME_DIR, which
// only the user can enter, else in a private directory under os.TempDir.
func instanceSocket() (string, error) {
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		return filepath.Join(dir, "wgdesk-gui.sock"), nil
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("wgdesk-%d", os.Getuid()))
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("make instance directory: %w", err)
	}
	// Someone else may have made it first in the shared temp directory:
	// use it only if it is a real directory nobody else may enter.
	fi, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("check instance directory: %w", err)
	}
	if !fi.IsDir() || fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("instance directory %s is not private (mode %s)", dir, fi.Mode())
	}
	return filepath.Join(dir, "wgdesk-gui.sock"), nil
}

// instance is the first running app, answering later launches.
type instance struct {
	ln     net.Listener
	onShow func()
	wg     sync.WaitGroup
}

// claimInstance makes this process the first instance listening on path,
// calling onShow (on its own goroutine) each time a later launch asks.
// If another instance answers on path, it asks that one to show its
// window and returns errAlreadyRunning. A socket file left behind by an
// instance that died is replaced, but only once connecting to it failed.
func claimInstance(path string, onShow func()) (*instance, error) {
	for attempt := 0; ; attempt++ {
		err := askToShow(path)
		if err == nil {
			return nil, errAlreadyRunning
		}
		if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			if err := removeStaleSocket(path); err != nil {
				return nil, err
			}
		}
		ln, err := net.Listen("unix", path)
		if err != nil {
			// Another launch at the same moment won the race: ask it.
			if errors.Is(err, syscall.EADDRINUSE) && attempt == 0 {
				continue
			}
			return nil, fmt.Errorf("listen on %s: %w", path, err)
		}
		inst := &instance{ln: ln, onShow: onShow}
		inst.wg.Add(1)
		go inst.serve()
		return inst, nil
	}
}

// askToShow asks the instance on path to show its window; nil means it
// answered.
func askToShow(path string) error {
	c, err := net.DialTimeout("unix", path, instanceTimeout)
	if err != nil {
		return err
	}
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

// removeStaleSocket removes the socket file nobody listens on; anything
// else at path is left alone.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("check stale socket: %w", err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s is not a socket; not replacing it", path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove stale socket: %w", err)
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

// Close stops answering and removes the socket file.
func (inst *instance) Close() error {
	err := inst.ln.Close()
	inst.wg.Wait()
	return err
}
