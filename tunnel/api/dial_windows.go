package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// serviceAddr is the pipe a --socket value names.
func serviceAddr(socket string) string { return pipePath(socket) }

// dialService connects to the service's pipe and checks that LocalSystem
// or the Administrators own it, so that a program that took the name
// before the service started never sees a request (an import carries a
// private key). Failures come as *net.OpError with Op "dial", as a Unix
// socket's do, so that Client maps "no such pipe" to ErrServiceDown.
func dialService(ctx context.Context, pipe string) (net.Conn, error) {
	h, err := openPipe(ctx, pipe)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: "pipe", Err: err}
	}
	c := newPipeConn(h, pipe)
	if err := checkPipeOwner(c, pipe); err != nil {
		c.Close()
		return nil, &net.OpError{Op: "dial", Net: "pipe", Err: err}
	}
	return c, nil
}

// openPipe opens the client end of the pipe, asking for pipeMemberAccess
// only: the pipe's DACL gives members of the group wgdesk no more, and
// GENERIC_WRITE (what namedpipe.DialContext asks for) would include
// FILE_CREATE_PIPE_INSTANCE and be refused. While every instance is busy
// it tries again every 10 ms until ctx ends.
func openPipe(ctx context.Context, pipe string) (windows.Handle, error) {
	name, err := windows.UTF16PtrFromString(pipe)
	if err != nil {
		return 0, err
	}
	for {
		h, err := windows.CreateFile(name, pipeMemberAccess, 0, nil, windows.OPEN_EXISTING,
			windows.FILE_FLAG_OVERLAPPED|windows.SECURITY_SQOS_PRESENT|windows.SECURITY_ANONYMOUS, 0)
		if err == nil {
			return h, nil
		}
		if !errors.Is(err, windows.ERROR_PIPE_BUSY) {
			return 0, &os.PathError{Op: "open", Path: pipe, Err: err}
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// checkPipeOwner fails unless the pipe at the other end of c is owned by
// LocalSystem or BUILTIN\Administrators (pipeSDDL sets one of them).
func checkPipeOwner(c net.Conn, pipe string) error {
	hc, ok := c.(interface{ Handle() windows.Handle })
	if !ok {
		return fmt.Errorf("not a named pipe: %T", c)
	}
	sd, err := windows.GetSecurityInfo(hc.Handle(), windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("read the owner of %s: %w", pipe, err)
	}
	owner, _, err := sd.Owner()
	if err != nil {
		return fmt.Errorf("read the owner of %s: %w", pipe, err)
	}
	if !owner.IsWellKnown(windows.WinLocalSystemSid) && !owner.IsWellKnown(windows.WinBuiltinAdministratorsSid) {
		return fmt.Errorf("%s is owned by %s, not by LocalSystem or the Administrators: another program holds the service's pipe name", pipe, owner)
	}
	return nil
}
