package tunnel

import (
	"context"
	"errors"
	"time"

	"github.com/wgdesk/wgdesk/config"
)

// State is where a tunnel is in its life cycle.
type State string

const (
	StateInactive     State = "inactive"
	StateActivating   State = "activating"
	StateActive       State = "active"
	StateDeactivating State = "deactivating"
	StateFailed       State = "failed"
)

// PeerStats are the live figures of one peer, read back from the device.
type PeerStats struct {
	PublicKey     config.Key
	Endpoint      string // current endpoint as host:port, "" if none
	RxBytes       uint64
	TxBytes       uint64
	LastHandshake time.Time // zero: never
}

// TunnelInfo describes a stored tunnel and its state. Config is always
// redacted (no private or preshared keys).
type TunnelInfo struct {
	Name      string
	State     State
	Error     string // why the tunnel failed, when State is StateFailed
	Interface string // OS interface name while active, else ""
	Config    *config.Config
	Peers     []PeerStats // live figures while active
	Since     time.Time   // when State last changed
	// Connection is what the handshakes say while State is StateActive
	// (connecting, connected, no handshake); "" otherwise.
	Connection Connection
	// Options are the tunnel's stored options (kill switch, Allow LAN),
	// normalized: KillSwitch is never "".
	Options Options
	// FullTunnel: the config routes 0.0.0.0/0 or ::/0 (Table not off),
	// the only kind of tunnel the kill switch applies to.
	FullTunnel bool
	// KillSwitch says what the kill switch does now: unused for a split
	// tunnel, off, unavailable on this system, armed (in force while
	// up) or active (in force now).
	KillSwitch KillSwitchStatus
	// AllowLANAvailable: this system can keep the LAN reachable under the
	// kill switch; without it, SetOptions refuses AllowLAN.
	AllowLANAvailable bool
	// Owner is who wrote the config (imported it, or edited it last, as
	// an edit is a delete and an import); nil for a tunnel stored before
	// wgdesk recorded it, which only administrators may change.
	Owner *Caller
	// Warnings are routes of the tunnel that overlap a subnet this
	// machine is directly connected to, as sentences that name both and
	// say what will not be reachable: found at import, and at activation
	// for an active tunnel (config.Collisions).
	Warnings []string
}

// KillSwitchActive reports whether the kill switch is in force now: the
// platform enforces it and everything outside the tunnel is blocked.
func (i TunnelInfo) KillSwitchActive() bool { return i.KillSwitch == KillSwitchActive }

// EventKind says what an Event reports.
type EventKind string

const (
	EventState   EventKind = "state"   // a tunnel changed state
	EventStats   EventKind = "stats"   // new figures for an active tunnel
	EventAdded   EventKind = "added"   // a tunnel was imported
	EventRemoved EventKind = "removed" // a tunnel was deleted
	EventOptions EventKind = "options" // a tunnel's options changed
	// EventConnection: an active tunnel's Connection changed (its State
	// did not).
	EventConnection EventKind = "connection"
)

// Event is one change pushed to subscribers. The Tunnel of an EventStats
// has no Config: only the figures change.
type Event struct {
	Kind   EventKind
	Tunnel TunnelInfo
	Time   time.Time
}

// Service is what the local API serves and what a Manager implements. All
// methods are safe for concurrent use.
//
// Import, Config, SetOptions and Delete act as an administrator; their
// ...As forms act for a caller and enforce the access model (see Caller):
// a member may change, delete and export only the tunnels it wrote, may
// not use the settings CheckMemberConfig refuses, and stays within its
// quota. The check and the change happen under one lock, so that no
// other request can slip between them.
type Service interface {
	// Import stores cfg under name; ErrExists if the name is taken,
	// ignoring case.
	Import(name string, cfg *config.Config) error
	// ImportAs is Import for who, who becomes the tunnel's owner.
	// ErrNeedAdmin when a member's config uses a setting only an
	// administrator may (scripts, FwMark, some Table and ListenPort
	// values), ErrQuota when it would exceed the member's quota.
	ImportAs(who Caller, name string, cfg *config.Config) error
	// ConfigAs is Config for who: ErrNotOwner unless who may change the
	// tunnel.
	ConfigAs(who Caller, name string) (*config.Config, error)
	// SetOptionsAs is SetOptions for who: ErrNotOwner unless who may
	// change the tunnel.
	SetOptionsAs(ctx context.Context, who Caller, name string, o Options) error
	// DeleteAs is Delete for who: ErrNotOwner unless who may change the
	// tunnel.
	DeleteAs(who Caller, name string) error
	// List returns every stored tunnel, sorted by name.
	List() []TunnelInfo
	// Get returns one tunnel; ErrNotFound if there is none.
	Get(name string) (TunnelInfo, error)
	// Config returns the full stored config, private key included.
	Config(name string) (*config.Config, error)
	// Up activates a tunnel and returns when it is active or failed.
	Up(ctx context.Context, name string) error
	// Down deactivates a tunnel; it is not an error if it is inactive.
	Down(ctx context.Context, name string) error
	// SetOptions stores a tunnel's options (normalized; an unknown value
	// wraps ErrBadOptions, Allow LAN where the platform cannot honour it
	// wraps ErrUnsupported). For an active tunnel they are applied at
	// once: the kill switch goes on or off while the tunnel stays up. If
	// that fails, the old options stay stored and in force.
	SetOptions(ctx context.Context, name string, o Options) error
	// Delete removes a stored tunnel; ErrActive if it is up.
	Delete(name string) error
	// Subscribe returns a channel of events until cancel is called. Slow
	// subscribers miss events rather than block the service.
	Subscribe() (events <-chan Event, cancel func())
}

// Errors with stable meaning; the local API maps each to a code.
var (
	ErrNotFound   = errors.New("no such tunnel")
	ErrExists     = errors.New("a tunnel with that name exists")
	ErrActive     = errors.New("tunnel is active")
	ErrBadName    = errors.New("invalid tunnel name")
	ErrConflict   = errors.New("tunnel overlaps an active tunnel")
	ErrScriptsOff = errors.New("pre/post scripts are disabled")
	ErrBadOptions = errors.New("invalid tunnel options")
	// ErrNotOwner: a member asked to change, delete or export a tunnel
	// that another user wrote.
	ErrNotOwner = errors.New("the tunnel belongs to another user")
	// ErrNeedAdmin: a member's config uses what only an administrator
	// may set, or a config's scripts were not written by one.
	ErrNeedAdmin = errors.New("needs an administrator")
	// ErrQuota: a member's import would exceed its quota.
	ErrQuota       = errors.New("quota exceeded")
	ErrUnsupported = errors.ErrUnsupported
)
