package api

import (
	"context"
	"fmt"
	"net"

	"golang.org/x/sys/windows"
	"golang.zx2c4.com/wireguard/ipc/namedpipe"
)

// serviceAddr is the pipe a --socket value names.
func serviceAddr(socket string) string { return pipePath(socket) }

// dialService connects to the service's pipe and checks that LocalSystem
// or the Administrators own it, so that a program that took the name
// before the service started never sees a request (an import carries a
// private key). Failures come as *net.OpError with Op "dial", as a Unix
// socket's do, so that Client maps "no such pipe" to ErrServiceDown.
func dialService(ctx context.Context, pipe string) (net.Conn, error) {
	c, err := namedpipe.DialContext(ctx, pipe)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: "pipe", Err: err}
	}
	if err := checkPipeOwner(c, pipe); err != nil {
		c.Close()
		return nil, &net.OpError{Op: "dial", Net: "pipe", Err: err}
	}
	return c, nil
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
