package api

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

// pipeBufferSize is what each pipe instance reserves per direction; the
// system grows it as needed.
const pipeBufferSize = 4096

// pipeListener accepts connections on a named pipe made with kernel32's
// CreateNamedPipeW: byte mode, remote clients rejected, the security
// descriptor on every instance, and FILE_FLAG_FIRST_PIPE_INSTANCE on the
// first, so that creating it fails when anyone else holds the name.
//
// wireguard-go's namedpipe.Listen creates the pipe through
// NtCreateNamedPipeFile, which Wine 8.0 refuses ("Path not found"); these
// kernel32 calls work on Windows and under Wine alike.
//
// One instance always waits for the next client: Accept creates the next
// instance before it hands out the connected one, so the name never goes
// free while the listener is open and no other program can take it over
// between two clients.
type pipeListener struct {
	path string
	sa   *windows.SecurityAttributes

	acceptMu sync.Mutex // one Accept at a time

	mu         sync.Mutex
	next       windows.Handle // the waiting instance; 0 after Close
	cancel     windows.Handle // event Close sets to end a waiting Accept
	acceptDone chan struct{}  // while an Accept waits on next: closed once it let go
	closed     bool
}

// listenPipe creates the first instance of the pipe at path.
func listenPipe(path string, sd *windows.SECURITY_DESCRIPTOR) (*pipeListener, error) {
	l := &pipeListener{path: path, sa: &windows.SecurityAttributes{SecurityDescriptor: sd}}
	l.sa.Length = uint32(unsafe.Sizeof(*l.sa))
	h, err := l.newInstance(true)
	if err != nil {
		return nil, err
	}
	if l.cancel, err = windows.CreateEvent(nil, 1, 0, nil); err != nil {
		windows.CloseHandle(h)
		return nil, fmt.Errorf("create event: %w", err)
	}
	l.next = h
	return l, nil
}

// newInstance creates one overlapped instance of the pipe.
func (l *pipeListener) newInstance(first bool) (windows.Handle, error) {
	name, err := windows.UTF16PtrFromString(l.path)
	if err != nil {
		return 0, err
	}
	openMode := uint32(windows.PIPE_ACCESS_DUPLEX | windows.FILE_FLAG_OVERLAPPED)
	if first {
		openMode |= windows.FILE_FLAG_FIRST_PIPE_INSTANCE
	}
	pipeMode := uint32(windows.PIPE_TYPE_BYTE | windows.PIPE_READMODE_BYTE | windows.PIPE_WAIT | windows.PIPE_REJECT_REMOTE_CLIENTS)
	h, err := windows.CreateNamedPipe(name, openMode, pipeMode, windows.PIPE_UNLIMITED_INSTANCES, pipeBufferSize, pipeBufferSize, 0, l.sa)
	if err != nil {
		return 0, &os.PathError{Op: "create pipe", Path: l.path, Err: err}
	}
	return h, nil
}

// Accept waits for a client on the waiting instance, puts a new instance
// in its place and returns the connection. After Close it returns
// net.ErrClosed.
func (l *pipeListener) Accept() (net.Conn, error) {
	l.acceptMu.Lock()
	defer l.acceptMu.Unlock()
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, net.ErrClosed
		}
		h := l.next
		done := make(chan struct{})
		l.acceptDone = done
		l.mu.Unlock()

		err := connectPipe(h, l.cancel)
		var next windows.Handle
		if err == nil {
			next, err = l.newInstance(false)
		}

		l.mu.Lock()
		l.acceptDone = nil
		if l.closed {
			// Close waits on done: the name is free when it returns.
			windows.CloseHandle(h)
			windows.CloseHandle(l.cancel)
			if next != 0 {
				windows.CloseHandle(next)
			}
			l.next, l.cancel = 0, 0
			close(done)
			l.mu.Unlock()
			return nil, net.ErrClosed
		}
		close(done)
		switch {
		case err == nil:
			l.next = next
			l.mu.Unlock()
			return newPipeConn(h, l.path), nil
		case errors.Is(err, windows.ERROR_NO_DATA):
			// The client left before we saw it: free the instance
			// for the next one.
			windows.DisconnectNamedPipe(h)
			l.mu.Unlock()
			continue
		default:
			// The client is dropped; the instance waits for the next
			// one. A temporary error makes http.Server retry.
			windows.DisconnectNamedPipe(h)
			l.mu.Unlock()
			return nil, &pipeAcceptError{err: fmt.Errorf("accept on %s: %w", l.path, err)}
		}
	}
}

// connectPipe waits for a client to open the instance h, or for the
// event cancel; then it cancels the wait and returns
// ERROR_OPERATION_ABORTED. cancel stays set, so a Close that comes before
// the wait starts still ends it.
func connectPipe(h, cancel windows.Handle) error {
	event, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		return fmt.Errorf("create event: %w", err)
	}
	defer windows.CloseHandle(event)
	ov := windows.Overlapped{HEvent: event}
	err = windows.ConnectNamedPipe(h, &ov)
	switch {
	case err == nil, errors.Is(err, windows.ERROR_PIPE_CONNECTED):
		return nil
	case !errors.Is(err, windows.ERROR_IO_PENDING):
		return err
	}
	if r, _ := windows.WaitForMultipleObjects([]windows.Handle{event, cancel}, false, windows.INFINITE); r == windows.WAIT_OBJECT_0+1 {
		windows.CancelIoEx(h, &ov)
	}
	// Waits for the operation to end, connected or cancelled: ov must
	// outlive it.
	var n uint32
	return windows.GetOverlappedResult(h, &ov, &n, true)
}

// Close stops Accept and closes the waiting instance before it returns, so
// that the pipe's name is free for a new listener at once; connections
// already accepted stay open.
func (l *pipeListener) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	if done := l.acceptDone; done != nil {
		// Accept closes the handles once its wait has ended.
		windows.SetEvent(l.cancel)
		l.mu.Unlock()
		<-done
		return nil
	}
	defer l.mu.Unlock()
	err := windows.CloseHandle(l.next)
	windows.CloseHandle(l.cancel)
	l.next, l.cancel = 0, 0
	return err
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr(l.path) }

// pipeAcceptError is an Accept failure that leaves the listener usable.
type pipeAcceptError struct{ err error }

func (e *pipeAcceptError) Error() string   { return e.err.Error() }
func (e *pipeAcceptError) Unwrap() error   { return e.err }
func (e *pipeAcceptError) Timeout() bool   { return false }
func (e *pipeAcceptError) Temporary() bool { return true }

type pipeAddr string

func (a pipeAddr) Network() string { return "pipe" }
func (a pipeAddr) String() string  { return string(a) }

// pipeConn is the server end of one client's connection. Its I/O goes
// through the Go runtime's completion port (os.NewFile takes overlapped
// handles since Go 1.25), so reads and writes do not hold a thread and
// deadlines work.
type pipeConn struct {
	*os.File
	h    windows.Handle
	addr pipeAddr
}

func newPipeConn(h windows.Handle, path string) *pipeConn {
	return &pipeConn{File: os.NewFile(uintptr(h), path), h: h, addr: pipeAddr(path)}
}

// Handle is the pipe instance's handle, for GetNamedPipeClientProcessId
// and the owner check. (os.File.Fd would take the handle off the runtime's
// completion port.)
func (c *pipeConn) Handle() windows.Handle { return c.h }

// Read and Write return errors as a socket's: *net.OpError, which
// http.Server tells timeouts by (a net.Error). An *os.PathError is no
// net.Error, so the deadline http.Server sets to end its background read
// after each request would count as a broken connection and cancel the
// context of every later request on it.
func (c *pipeConn) Read(b []byte) (int, error) {
	n, err := c.File.Read(b)
	return n, c.netError("read", err)
}

func (c *pipeConn) Write(b []byte) (int, error) {
	n, err := c.File.Write(b)
	return n, c.netError("write", err)
}

func (c *pipeConn) Close() error {
	return c.netError("close", c.File.Close())
}

func (c *pipeConn) netError(op string, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, os.ErrClosed) {
		err = net.ErrClosed
	}
	return &net.OpError{Op: op, Net: "pipe", Source: c.addr, Addr: c.addr, Err: err}
}

func (c *pipeConn) LocalAddr() net.Addr  { return c.addr }
func (c *pipeConn) RemoteAddr() net.Addr { return c.addr }
