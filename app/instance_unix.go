//go:build cgo && !windows

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

// On Unix the first instance listens on a socket in a directory only the
// user may enter (see instance.go for the contract).

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
		return startInstance(ln, onShow), nil
	}
}

// askToShow asks the instance on path to show its window; nil means it
// answered.
func askToShow(path string) error {
	c, err := net.DialTimeout("unix", path, instanceTimeout)
	if err != nil {
		return err
	}
	return askToShowOn(c, path)
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

// socketServer is the first instance's side of the socket.
type socketServer struct {
	ln     net.Listener
	onShow func()
	wg     sync.WaitGroup
}

// startInstance serves ln for onShow.
func startInstance(ln net.Listener, onShow func()) *instance {
	s := &socketServer{ln: ln, onShow: onShow}
	s.wg.Add(1)
	go s.serve()
	return &instance{close: s.close}
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

func (s *socketServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.answer(c)
	}
}

// answer handles one later launch. Only "show" is understood.
func (s *socketServer) answer(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(instanceTimeout))
	// A short limit, so that a client cannot make it buffer an endless line.
	line, err := bufio.NewReader(io.LimitReader(c, 64)).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "show" {
		return
	}
	s.onShow()
	c.Write([]byte("ok\n"))
}

// close stops answering; the listener removes the socket file.
func (s *socketServer) close() error {
	err := s.ln.Close()
	s.wg.Wait()
	return err
}
