package api

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/user"
	"slices"
	"strconv"

	"github.com/wgdesk/wgdesk/tunnel"
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

// Access decides which callers may use the API. On Linux and macOS: root,
// or a process whose primary or supplementary groups include Group. On
// Windows: LocalSystem, an administrator whose token is elevated, or a
// member of the local group Group (see tokenVerdict). The zero value asks
// the OS who the peer is and looks the group up by name.
type Access struct {
	// Group allows its members; default "wgdesk".
	Group string
	// AlsoGroups allow their members as members too. Nil: this OS's
	// default, defaultAlsoGroups (macOS: admin, so that the Mac's own
	// user, an administrator, can use the app right after installing;
	// standard users join Group).
	AlsoGroups []string
	// PeerCred learns who is at the other end of c. Nil: the OS's own
	// (SO_PEERCRED, LOCAL_PEERCRED), or ErrNoPeerCred elsewhere.
	PeerCred func(c net.Conn) (Cred, error)
	// LookupGroup gives the id of a group by name. Nil: os/user.
	LookupGroup func(name string) (uint32, error)
	// PeerToken learns the access token of the process at the other end
	// of c. When set, or on Windows when PeerCred is nil too, the token
	// rule decides instead of the uid and gid one. Nil: the OS's own
	// (the pipe client's process token on Windows).
	PeerToken func(c net.Conn) (Token, error)
	// LookupGroupSID gives the SID of a local group by name, for the token
	// rule. Nil: the OS's own (LookupAccountName on Windows).
	LookupGroupSID func(name string) (string, error)
}

// caller is the verdict on one connection, stored in its context.
type caller struct {
	cred    fmt.Stringer // a Cred or a Token, for the log
	allowed bool
	reason  string // why not, for the log
	// who is the caller for the access model: an administrator (root;
	// LocalSystem or an elevated administrator on Windows) or a member,
	// by uid or SID. The service checks what a member may do with it.
	who tunnel.Caller
}

type callerKey struct{}

func callerOf(r *http.Request) caller {
	c, _ := r.Context().Value(callerKey{}).(caller)
	return c
}

// check runs once per accepted connection. Every failure refuses.
func (a *Access) check(c net.Conn) caller {
	if a.PeerToken != nil || (a.PeerCred == nil && tokenCallers) {
		return a.checkToken(c)
	}
	peerCred := a.PeerCred
	if peerCred == nil {
		peerCred = peerCredOS
	}
	cred, err := peerCred(c)
	if err != nil {
		return caller{cred: cred, reason: fmt.Sprintf("read peer credentials: %v", err)}
	}
	who := tunnel.UnixCaller(cred.UID)
	if who.Admin {
		return caller{cred: cred, allowed: true, who: who}
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
		return caller{cred: cred, allowed: true, who: who}
	}
	also := a.AlsoGroups
	if also == nil {
		also = defaultAlsoGroups
	}
	for _, g := range also {
		// A group this system lacks allows no one; the main group's
		// verdict stands.
		if gid, err := lookup(g); err == nil && (cred.GID == gid || slices.Contains(cred.Groups, gid)) {
			return caller{cred: cred, allowed: true, who: who}
		}
	}
	return caller{cred: cred, reason: "not root and not in group " + group}
}

// checkToken is check's Windows rule. The group is looked up only for
// callers that are neither LocalSystem nor elevated administrators, and a
// failed lookup refuses them.
func (a *Access) checkToken(c net.Conn) caller {
	peerToken := a.PeerToken
	if peerToken == nil {
		peerToken = peerTokenOS
	}
	tok, err := peerToken(c)
	if err != nil {
		return caller{cred: tok, reason: fmt.Sprintf("read the caller's token: %v", err)}
	}
	group := a.Group
	if group == "" {
		group = Group
	}
	who := tunnel.Caller{ID: tok.User, Admin: tokenIsAdmin(tok)}
	if ok, _ := tokenVerdict(tok, group, "", nil); ok {
		return caller{cred: tok, allowed: true, who: who}
	}
	lookup := a.LookupGroupSID
	if lookup == nil {
		lookup = lookupGroupSIDOS
	}
	sid, err := lookup(group)
	if err != nil {
		sid = ""
	}
	ok, reason := tokenVerdict(tok, group, sid, err)
	return caller{cred: tok, allowed: ok, reason: reason, who: who}
}

// tokenIsAdmin is the administrator tier of the token rule: LocalSystem,
// or an administrator whose token is elevated. tokenVerdict admits both
// without the group.
func tokenIsAdmin(t Token) bool {
	return t.User != "" && (t.User == sidLocalSystem || (t.Elevated && slices.Contains(t.Groups, sidAdministrators)))
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
