package api

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// peerCredOS asks the kernel for the peer's credentials (LOCAL_PEERCRED,
// unix(4)); the xucred already lists the groups, the first being the
// effective one, but no more than 16 of them (completeGroups adds the
// rest). LOCAL_PEERPID gives the pid for the log.
func peerCredOS(c net.Conn) (Cred, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Cred{}, fmt.Errorf("not a unix socket: %T", c)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Cred{}, err
	}
	var xu *unix.Xucred
	var pid int
	var serr error
	if err := raw.Control(func(fd uintptr) {
		xu, serr = unix.GetsockoptXucred(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
		if serr == nil {
			pid, _ = unix.GetsockoptInt(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERPID)
		}
	}); err != nil {
		return Cred{}, err
	}
	if serr != nil {
		return Cred{}, fmt.Errorf("getsockopt LOCAL_PEERCRED: %w", serr)
	}
	cred := Cred{UID: xu.Uid, PID: int32(pid)}
	n := min(int(xu.Ngroups), len(xu.Groups))
	for i := 0; i < n; i++ {
		cred.Groups = append(cred.Groups, xu.Groups[i])
	}
	if n > 0 {
		cred.GID = xu.Groups[0]
	}
	return completeGroups(cred, n, userGroups), nil
}
