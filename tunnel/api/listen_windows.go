package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"golang.org/x/sys/windows"
	"golang.zx2c4.com/wireguard/ipc/namedpipe"

	"github.com/wgdesk/wgdesk/internal/hints"
)

// Listen opens the service's named pipe, pipePath(path). Its security
// descriptor (pipeSDDL) lets LocalSystem and the Administrators in, and the
// members of the local group wgdesk when that group exists, else nobody
// else: the pipe is never open to Everyone. The pipe is created as the
// first instance of its name, so a second service, or a program that took
// the name first, makes Listen fail; ErrAlreadyRunning when the holder is
// owned by LocalSystem or the Administrators, as a service's pipe is.
// listenPipe makes the pipe with kernel32's CreateNamedPipeW, which Wine
// runs too, so CI tests the service under Wine.
func Listen(path string) (net.Listener, error) {
	pipe := pipePath(path)
	owner := "BA"
	if processIsSystem() {
		owner = "SY"
	}
	groupSID, groupErr := lookupGroupSIDOS(Group)
	sddl, err := pipeSDDL(owner, groupSID)
	if err != nil {
		// A group sid that does not look like one: leave the group out.
		groupErr = err
		if sddl, err = pipeSDDL(owner, ""); err != nil {
			return nil, err
		}
	}
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return nil, fmt.Errorf("security descriptor of %s: %w", pipe, err)
	}
	ln, err := listenPipe(pipe, sd)
	if err != nil {
		if errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_PIPE_BUSY) || errors.Is(err, windows.ERROR_ALREADY_EXISTS) {
			return nil, pipeTaken(pipe, err)
		}
		return nil, fmt.Errorf("listen on %s: %w", pipe, err)
	}
	sl := &socketListener{Listener: ln}
	if groupErr != nil {
		sl.restricted = true
		sl.note = fmt.Sprintf("pipe %s admits LocalSystem and elevated administrators only: the local group %s is not usable (%v); %s", pipe, Group, groupErr, hints.Current().CreateGroup)
	} else {
		sl.note = fmt.Sprintf("pipe %s admits LocalSystem, elevated administrators and members of the local group %s", pipe, Group)
	}
	return sl, nil
}

// pipeTaken says why the pipe could not be created: a live service, or
// another program that holds the name.
func pipeTaken(pipe string, listenErr error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := namedpipe.DialContext(ctx, pipe)
	if err != nil {
		return fmt.Errorf("%w on %s (%v)", ErrAlreadyRunning, pipe, listenErr)
	}
	defer c.Close()
	if err := checkPipeOwner(c, pipe); err != nil {
		return err
	}
	return fmt.Errorf("%w on %s", ErrAlreadyRunning, pipe)
}

// processIsSystem reports whether this process runs as LocalSystem, as a
// Windows service does.
func processIsSystem() bool {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	return err == nil && u.User.Sid.IsWellKnown(windows.WinLocalSystemSid)
}
