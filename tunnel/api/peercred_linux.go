package api

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// peerCredOS asks the kernel who holds the other end (SO_PEERCRED, unix(7))
// and reads that process's supplementary groups from /proc, since the
// kernel reports only the primary group.
func peerCredOS(c net.Conn) (Cred, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Cred{}, fmt.Errorf("not a unix socket: %T", c)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Cred{}, err
	}
	var ucred *unix.Ucred
	var serr error
	if err := raw.Control(func(fd uintptr) {
		ucred, serr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return Cred{}, err
	}
	if serr != nil {
		return Cred{}, fmt.Errorf("getsockopt SO_PEERCRED: %w", serr)
	}
	cred := Cred{UID: ucred.Uid, GID: ucred.Gid, PID: ucred.Pid}
	if cred.UID == 0 {
		return cred, nil
	}
	status, err := os.ReadFile("/proc/" + strconv.Itoa(int(ucred.Pid)) + "/status")
	if err != nil {
		return cred, fmt.Errorf("read groups of pid %d: %w", ucred.Pid, err)
	}
	if cred.Groups, err = parseProcGroups(status); err != nil {
		return cred, fmt.Errorf("read groups of pid %d: %w", ucred.Pid, err)
	}
	return cred, nil
}

// parseProcGroups reads the "Groups:" line of /proc/<pid>/status.
func parseProcGroups(status []byte) ([]uint32, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "Groups:")
		if !ok {
			continue
		}
		groups := []uint32{}
		for _, f := range strings.Fields(rest) {
			g, err := strconv.ParseUint(f, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("bad group id %q", f)
			}
			groups = append(groups, uint32(g))
		}
		return groups, nil
	}
	return nil, fmt.Errorf("no Groups line")
}
