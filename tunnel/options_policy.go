package tunnel

// The access model: who may do what with a stored tunnel. It has two
// tiers, as WireGuard for Windows' limited operators have. Administrators
// (root on Linux and macOS; LocalSystem or an elevated administrator on
// Windows) may do everything. Members of the group wgdesk may list
// tunnels, switch them on and off and read status and the log, none of
// which carries a key; they may import tunnels within a quota, and may
// change, delete and export only what they wrote. The local API learns
// the caller from the kernel and passes it in; the Manager decides.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/wgdesk/wgdesk/config"
)

// Caller is who asks the service for something, and, stored beside a
// tunnel, who wrote its config.
type Caller struct {
	// ID names the account: "uid:1000" on Linux and macOS, the user's SID
	// on Windows. Ownership compares it. "" only for Administrator.
	ID string `json:"id,omitempty"`
	// Admin: root, LocalSystem or an elevated administrator. Only an
	// administrator's scripts ever run.
	Admin bool `json:"admin,omitempty"`
}

// Administrator is the service acting on its own behalf (Import, Delete
// and the other methods without a caller).
var Administrator = Caller{Admin: true}

// UnixCaller is the caller with user id uid: root is the administrator.
func UnixCaller(uid uint32) Caller {
	return Caller{ID: "uid:" + strconv.FormatUint(uint64(uid), 10), Admin: uid == 0}
}

// String names the caller for logs and error messages.
func (c Caller) String() string {
	id := c.ID
	if rest, ok := strings.CutPrefix(id, "uid:"); ok {
		id = "uid " + rest
	}
	switch {
	case id == "" && c.Admin:
		return "an administrator"
	case c.Admin:
		return "an administrator (" + id + ")"
	case id == "":
		return "an unknown user"
	}
	return "a member (" + id + ")"
}

// MayChange reports whether c may change, delete or export a tunnel
// written by owner: administrators always, a member only its own. nil
// is a tunnel stored before owners were recorded: administrators only.
func (c Caller) MayChange(owner *Caller) bool {
	if c.Admin {
		return true
	}
	return owner != nil && c.ID != "" && owner.ID == c.ID
}

// checkMayChange returns an error wrapping ErrNotOwner unless c may
// change the tunnel name that owner wrote.
func (c Caller) checkMayChange(name string, owner *Caller) error {
	switch {
	case c.MayChange(owner):
		return nil
	case owner == nil:
		return notOwnerError(name + " was stored before wgdesk recorded who imported a tunnel, so only an administrator may change it")
	}
	return notOwnerError(name + " was imported by " + owner.String())
}

// notOwnerError is an ErrNotOwner that names the owner.
type notOwnerError string

func (e notOwnerError) Error() string { return string(e) }
func (e notOwnerError) Unwrap() error { return ErrNotOwner }

// ScriptsTrusted reports whether the scripts of a config written by owner
// may run (with --allow-scripts): only when an administrator wrote it.
// They run with the service's privileges.
func ScriptsTrusted(owner *Caller) bool { return owner != nil && owner.Admin }

// HasScripts reports whether cfg has PreUp/PostUp/PreDown/PostDown
// commands.
func HasScripts(cfg *config.Config) bool {
	in := cfg.Interface
	return len(in.PreUp)+len(in.PostUp)+len(in.PreDown)+len(in.PostDown) > 0
}

// needAdminError is an ErrNeedAdmin that says what and why.
type needAdminError string

func (e needAdminError) Error() string { return string(e) }
func (e needAdminError) Unwrap() error { return ErrNeedAdmin }

// reservedTables are the kernel's own routing tables, which a member's
// routes must not enter: 0 (unspecified), default, main and local.
var reservedTables = map[uint64]string{0: "unspec", 253: "default", 254: "main", 255: "local"}

// memberMinPort is the lowest ListenPort a member may choose: ports below
// it are the system's, and the service binds them with root's right to.
const memberMinPort = 1024

// CheckMemberConfig returns an error wrapping ErrNeedAdmin when cfg uses
// what only an administrator may set: scripts (they run with the
// service's privileges), FwMark (it steers other traffic through policy
// routing), a Table other than off, auto or a number outside the
// kernel's own tables, or a ListenPort below 1024.
func CheckMemberConfig(cfg *config.Config) error {
	in := cfg.Interface
	if HasScripts(cfg) {
		return needAdminError("PreUp, PostUp, PreDown and PostDown commands need an administrator (they run with the service's privileges)")
	}
	if in.FwMark != 0 {
		return needAdminError(fmt.Sprintf("FwMark %d needs an administrator (it steers other traffic by policy routing)", in.FwMark))
	}
	if t := strings.TrimSpace(in.Table); t != "" {
		switch lt := strings.ToLower(t); {
		case lt == "off" || lt == "auto":
		default:
			n, err := strconv.ParseUint(t, 10, 32)
			if err != nil {
				return needAdminError(fmt.Sprintf("Table %s needs an administrator (group members may use off, auto or a table number)", t))
			}
			if name, ok := reservedTables[n]; ok {
				return needAdminError(fmt.Sprintf("Table %d (%s) needs an administrator (group members may use off, auto or a table number other than 0, 253, 254 and 255)", n, name))
			}
		}
	}
	if in.ListenPort != 0 && in.ListenPort < memberMinPort {
		return needAdminError(fmt.Sprintf("ListenPort %d needs an administrator (group members may leave it out or use a port from %d up)", in.ListenPort, memberMinPort))
	}
	return nil
}

// Quota bounds what one member may store. Administrators have none.
type Quota struct {
	// Tunnels per member (default 32; negative: no limit).
	Tunnels int
	// Bytes of wg-quick text per member, all its tunnels together
	// (default 2 MiB; negative: no limit). The service keeps every config
	// in memory, so this bounds what members can make it hold.
	Bytes int
}

// DefaultMemberQuota is what ManagerOptions.MemberQuota's zero fields get.
var DefaultMemberQuota = Quota{Tunnels: 32, Bytes: 2 << 20}

func (q Quota) withDefaults() Quota {
	if q.Tunnels == 0 {
		q.Tunnels = DefaultMemberQuota.Tunnels
	}
	if q.Bytes == 0 {
		q.Bytes = DefaultMemberQuota.Bytes
	}
	return q
}

// check returns an error wrapping ErrQuota when a member who stores
// tunnels tunnels of usedBytes in all may not add one of size bytes.
func (q Quota) check(tunnels, usedBytes, size int) error {
	if q.Tunnels >= 0 && tunnels+1 > q.Tunnels {
		return fmt.Errorf("%w: group members may store at most %d tunnels each, and you have %d", ErrQuota, q.Tunnels, tunnels)
	}
	if q.Bytes >= 0 && usedBytes+size > q.Bytes {
		return fmt.Errorf("%w: group members may store at most %s of configs each; yours take %s and this one %s", ErrQuota, sizeText(q.Bytes), sizeText(usedBytes), sizeText(size))
	}
	return nil
}

func sizeText(n int) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.Itoa(n) + " bytes"
}
