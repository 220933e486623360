package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/windows"
	"golang.zx2c4.com/wireguard/ipc/namedpipe"
)

// testPipe names a fresh pipe and gives it with the service's security descriptor
// (owner Administrators: tests run elevated or under Wine).
func testPipe(t *testing.T) (string, *windows.SECURITY_DESCRIPTOR) {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	sddl, err := pipeSDDL("BA", "")
	if err != nil {
		t.Fatal(err)
	}
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		t.Fatal(err)
	}
	return pipePrefix + "wgdesk-test-" + hex.EncodeToString(b[:]), sd
}

func dialTest(t *testing.T, path string) net.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := namedpipe.DialContext(ctx, path)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	return c
}

// acceptAsync runs one Accept and delivers its result.
func acceptAsync(l net.Listener) <-chan net.Conn {
	ch := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			c = nil
		}
		ch <- c
	}()
	return ch
}

func waitConn(t *testing.T, ch <-chan net.Conn) net.Conn {
	t.Helper()
	select {
	case c := <-ch:
		if c == nil {
			t.Fatal("Accept failed")
		}
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("Accept did not return within 10s")
	}
	return nil
}

func TestPipeListenerServesClients(t *testing.T) {
	path, sd := testPipe(t)
	l, err := listenPipe(path, sd)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := 0; i < 3; i++ {
		accepted := acceptAsync(l)
		client := dialTest(t, path)
		server := waitConn(t, accepted)

		if _, err := client.Write([]byte("ping")); err != nil {
			t.Fatalf("client %d write: %v", i, err)
		}
		buf := make([]byte, 16)
		n, err := server.Read(buf)
		if err != nil || string(buf[:n]) != "ping" {
			t.Fatalf("client %d: server read %q, %v", i, buf[:n], err)
		}
		if _, err := server.Write([]byte("pong")); err != nil {
			t.Fatalf("client %d: server write: %v", i, err)
		}
		if n, err = client.Read(buf); err != nil || string(buf[:n]) != "pong" {
			t.Fatalf("client %d read %q, %v", i, buf[:n], err)
		}

		// The caller check reads the client's process id through the
		// handle.
		h := server.(*pipeConn).Handle()
		var pid uint32
		if err := windows.GetNamedPipeClientProcessId(h, &pid); err != nil || pid != uint32(os.Getpid()) {
			t.Errorf("client process id %d, %v; want %d", pid, err, os.Getpid())
		}
		// Byte mode, as namedpipe.Listen made it.
		var flags uint32
		if err := windows.GetNamedPipeInfo(h, &flags, nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		if flags&windows.PIPE_TYPE_MESSAGE != 0 || flags&windows.PIPE_SERVER_END == 0 {
			t.Errorf("pipe flags %#x: want the server end of a byte-mode pipe", flags)
		}
		// The client's owner check sees the descriptor's owner.
		if err := checkPipeOwner(client, path); err != nil {
			t.Errorf("owner check: %v", err)
		}

		client.Close()
		if n, err := server.Read(buf); err != io.EOF {
			t.Errorf("server read after the client left: %d, %v; want EOF", n, err)
		}
		server.Close()
	}
	// Between two Accepts an instance waits: a client gets in (and is
	// served by the next Accept), the name is never free.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c, err := namedpipe.DialContext(ctx, path)
	if err != nil {
		t.Fatalf("dial with no Accept running: %v", err)
	}
	c.Close()
}

func TestPipeListenerHoldsName(t *testing.T) {
	path, sd := testPipe(t)
	l, err := listenPipe(path, sd)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l2, err := listenPipe(path, sd); err == nil {
		l2.Close()
		t.Fatal("a second listener took a pipe name in use")
	} else if !errors.Is(err, windows.ERROR_ACCESS_DENIED) && !errors.Is(err, windows.ERROR_PIPE_BUSY) {
		t.Errorf("second listener: %v, want access denied", err)
	}
	// After a client came and went, the name is still ours.
	accepted := acceptAsync(l)
	client := dialTest(t, path)
	server := waitConn(t, accepted)
	client.Close()
	server.Close()
	if l2, err := listenPipe(path, sd); err == nil {
		l2.Close()
		t.Fatal("the pipe name went free between two clients")
	}
}

func TestPipeListenerClose(t *testing.T) {
	path, sd := testPipe(t)
	l, err := listenPipe(path, sd)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		done <- err
	}()
	time.Sleep(100 * time.Millisecond) // let Accept wait; Close must end it either way
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// The name is free as soon as Close returns (a service restarted
	// in place listens again at once).
	l2, err := listenPipe(path, sd)
	if err != nil {
		t.Fatalf("listen right after Close: %v", err)
	}
	l2.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end Accept")
	}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Accept after Close: %v", err)
	}
}

func TestPipeConnDeadline(t *testing.T) {
	path, sd := testPipe(t)
	l, err := listenPipe(path, sd)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := acceptAsync(l)
	client := dialTest(t, path)
	defer client.Close()
	server := waitConn(t, accepted)
	defer server.Close()
	server.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	start := time.Now()
	_, err = server.Read(make([]byte, 1))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the deadline took %s", d)
	}
	// http.Server ignores its own deadline's error only from a
	// net.Error that says Timeout.
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Errorf("deadline error %T %v: want a net.Error with Timeout", err, err)
	}
	server.Close()
	if _, err := server.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("write after Close: %v, want net.ErrClosed", err)
	}
}

// http.Server keeps a one-byte read pending on a connection while the
// handler streams its answer (how it notices a client leaving): writes,
// write deadlines and clearing the read deadline must not end that read.
func TestPipeConnReadPendingWhileWriting(t *testing.T) {
	path, sd := testPipe(t)
	l, err := listenPipe(path, sd)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := acceptAsync(l)
	client := dialTest(t, path)
	defer client.Close()
	server := waitConn(t, accepted)
	defer server.Close()

	// A pending read cut short by a deadline in the past, as http.Server
	// ends its background read after each request.
	early := make(chan error, 1)
	go func() {
		_, err := server.Read(make([]byte, 1))
		early <- err
	}()
	time.Sleep(50 * time.Millisecond)
	server.SetReadDeadline(time.Unix(1, 0))
	if err := <-early; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read cut short: %v", err)
	}
	// A request read under a deadline, as http.Server reads headers.
	server.SetReadDeadline(time.Now().Add(10 * time.Second))
	client.Write([]byte("GET"))
	if n, err := server.Read(make([]byte, 64)); err != nil || n != 3 {
		t.Fatalf("request read: %d, %v", n, err)
	}
	server.SetReadDeadline(time.Time{})
	read := make(chan error, 1)
	var b [1]byte
	go func() {
		_, err := server.Read(b[:])
		read <- err
	}()
	buf := make([]byte, 16)
	for i := 0; i < 3; i++ {
		server.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := server.Write([]byte("event\n")); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		if n, err := client.Read(buf); err != nil || string(buf[:n]) != "event\n" {
			t.Fatalf("client read %d: %q, %v", i, buf[:n], err)
		}
		select {
		case err := <-read:
			t.Fatalf("the pending read ended after write %d: %v", i, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	client.Write([]byte("x"))
	select {
	case err := <-read:
		if err != nil || b[0] != 'x' {
			t.Fatalf("pending read: %q, %v", b[:], err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the pending read did not see the client's byte")
	}
}
