package api

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/user"
	"slices"
	"strconv"
)

// Cred is what the kernel says about the process at the other end of a
// connection.
type Cred struct {
	UID uint32
	GID uint32
	// Groups are the supplementary groups; the OS code fills them in or
	// fails.
	Groups []uint32
	PID    int32 // 0 when the OS does not say
}

func (c Cred) String() string {
	if c.PID > 0 {
		return fmt.Sprintf("uid %d pid %d", c.UID, c.PID)
	}
	return fmt.Sprintf("uid %d", c.UID)
}

// ErrNoPeerCred is returned where the OS offers no way to learn who is
// calling; such callers are refused.
var ErrNoPeerCred = errors.New("peer credentials are not available on this platform")

// Access decides which callers may use the API: root, or a process whose
// primary or supplementary groups include Group. The zero value asks the
// OS for the peer's credentials and looks the group up by name.
type Access struct {
	// Group allows its members; default "wgdesk".
	Group string
	// PeerCred learns who is at the other end of c. Nil: the OS's own
	// (SO_PEERCRED, LOCAL_PEERCRED), or ErrNoPeerCred elsewhere.
	PeerCred func(c net.Conn) (Cred, error)
	// LookupGroup gives the id of a group by name. Nil: os/user.
	LookupGroup func(name string) (uint32, error)
}

// caller is the verdict on one connection, stored in its context.
type caller struct {
	cred    Cred
	allowed bool
	reason  string // why not, for the log
}

type callerKey struct{}

func callerOf(r *http.Request) caller {
	c, _ := r.Context().Value(callerKey{}).(caller)
	return c
}

// check runs once per accepted connection. Every failure refuses.
func (a *Access) check(c net.Conn) caller {
	peerCred := a.PeerCred
	if peerCred == nil {
		peerCred = peerCredOS
	}
	cred, err := peerCred(c)
	if err != nil {
		return caller{reason: fmt.Sprintf("read peer credentials: %v", err)}
	}
	if cred.UID == 0 {
		return caller{cred: cred, allowed: true}
	}
	group := a.Group
	if group == "" {
		group = Group
	}
	lookup := a.LookupGroup
	if lookup == nil {
		lookup = lookupGroupID
	}
	gid, err := lookup(group)
	if err != nil {
		return caller{cred: cred, reason: fmt.Sprintf("look up group %s: %v", group, err)}
	}
	if cred.GID == gid || slices.Contains(cred.Groups, gid) {
		return caller{cred: cred, allowed: true}
	}
	return caller{cred: cred, reason: "not root and not in group " + group}
}

func lookupGroupID(name string) (uint32, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseUint(g.Gid, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("group %s has a non-numeric id %q", name, g.Gid)
	}
	return uint32(id), nil
}
