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
}

// EventKind says what an Event reports.
type EventKind string

const (
	EventState   EventKind = "state"   // a tunnel changed state
	EventStats   EventKind = "stats"   // new figures for an active tunnel
	EventAdded   EventKind = "added"   // a tunnel was imported
	EventRemoved EventKind = "removed" // a tunnel was deleted
)

// Event is one change pushed to subscribers.
type Event struct {
	Kind   EventKind
	Tunnel TunnelInfo
	Time   time.Time
}

// Service is what the local API serves and what a Manager implements. All
// methods are safe for concurrent use.
type Service interface {
	// Import stores cfg under name; ErrExists if the name is taken,
	// ignoring case.
	Import(name string, cfg *config.Config) error
	// List returns every stored tunnel, sorted by name.
	List() []TunnelInfo
	// Get returns one tunnel; ErrNotFound if there is none.
	Get(name string) (TunnelInfo, error)
	// Config returns the full stored config, private key included. Only
	// privileged callers (root, group wgdesk) may reach it.
	Config(name string) (*config.Config, error)
	// Up activates a tunnel and returns when it is active or failed.
	Up(ctx context.Context, name string) error
	// Down deactivates a tunnel; it is not an error if it is inactive.
	Down(ctx context.Context, name string) error
	// Delete removes a stored tunnel; ErrActive if it is up.
	Delete(name string) error
	// Subscribe returns a channel of events until cancel is called. Slow
	// subscribers miss events rather than block the service.
	Subscribe() (events <-chan Event, cancel func())
}

// Errors with stable meaning; the local API maps each to a code.
var (
	ErrNotFound    = errors.New("no such tunnel")
	ErrExists      = errors.New("a tunnel with that name exists")
	ErrActive      = errors.New("tunnel is active")
	ErrBadName     = errors.New("invalid tunnel name")
	ErrConflict    = errors.New("tunnel overlaps an active tunnel")
	ErrScriptsOff  = errors.New("pre/post scripts are disabled")
	ErrUnsupported = errors.ErrUnsupported
)
