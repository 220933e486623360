// Package osservice registers wgdesk's tunnel service with the operating
// system's service manager and runs it under that manager.
//
// The contract is Manager: Install, Uninstall and Status of the one wgdesk
// service. What Install sets up is a Plan, written in portable terms and
// rendered as text, so that it is reviewed and golden-tested on any OS.
// Windows executes a Plan against the service control manager through the
// narrow scm seam (scm_windows.go is the only code that calls the system);
// the sequence of calls is tested here with a recording fake. Linux writes
// the packaged systemd unit (packaging/wgdesk.service) with this program in
// ExecStart and drives systemctl through a command seam. macOS writes a
// launch daemon's property list (launchd.go, portable and tested on any
// OS) and drives launchctl through the same kind of seam. Linux may not
// run systemd, and other systems have none of the three: there New returns
// errors.ErrUnsupported and the caller shows the hint from internal/hints.
//
// Running under the manager is Serve, a portable state machine between the
// manager's controls and the service's lifetime (StartPending, Running
// once the pipe listens, StopPending with checkpoints, then the exit
// code); on Windows RunService feeds it from x/sys's svc package, and
// PrepareToRun creates the group and event source a service registered
// by another installer lacks.
package osservice

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Name is the service's name in the service manager, and the name of its
// event log source and of the local group whose members may drive it.
const Name = "wgdesk"

// ErrNotInstalled is returned by Uninstall when there is nothing to remove.
var ErrNotInstalled = errors.New("the wgdesk service is not installed")

// ErrUntrustedPath is returned by Install for an executable a
// non-administrator may replace: whoever replaces it would run code with
// the service's privileges at its next start.
var ErrUntrustedPath = errors.New("non-administrators may replace it, and the service would run it with full privileges")

// State is what the service manager says the service is doing.
type State int

const (
	NotInstalled State = iota
	Stopped
	StartPending
	Running
	StopPending
	// Other covers the states wgdesk never asks for (paused, continuing).
	Other
)

func (s State) String() string {
	switch s {
	case NotInstalled:
		return "not installed"
	case Stopped:
		return "stopped"
	case StartPending:
		return "starting"
	case Running:
		return "running"
	case StopPending:
		return "stopping"
	}
	return "paused"
}

// Manager registers and removes the wgdesk service. Every method needs an
// administrator except Status.
type Manager interface {
	// Install makes the service exist as p describes and, if p.Start,
	// running; it waits until the service runs or fails to. Installing
	// over an installed service updates its settings (they take effect at
	// its next start). Each step taken is reported to progress as a
	// sentence.
	Install(p Plan, progress func(step string)) error
	// Uninstall stops the service, waiting for it to stop (it takes every
	// tunnel down first) up to StopTimeout, then removes it and its event
	// log source. The local group stays: removing it would drop every
	// member. It returns ErrNotInstalled when there is no service.
	Uninstall(progress func(step string)) error
	// Status reports the service's state; NotInstalled is not an error.
	Status() (State, error)
}

// SIDType is the kind of service SID the service manager gives the
// service's process.
type SIDType int

const (
	SIDNone SIDType = iota
	// SIDUnrestricted adds NT SERVICE\<name> to the service's token: the
	// Windows firewall (WFP) rules of the kill switch are keyed on it.
	SIDUnrestricted
)

// Plan is what Install sets up, in portable terms.
type Plan struct {
	Name        string
	DisplayName string
	Description string
	// Exe and Args are the command the service manager runs.
	Exe  string
	Args []string
	// AutoStart starts the service at boot.
	AutoStart bool
	// Dependencies are services that must run first.
	Dependencies []string
	SIDType      SIDType
	// Restarts are the delays after which the service manager restarts a
	// failed service, one per failure in a row; the last one repeats.
	Restarts []time.Duration
	// RestartsReset is how long the service must run before the count of
	// failures in a row starts again.
	RestartsReset time.Duration
	// RestartOnError applies Restarts when the service stops with a
	// nonzero exit code too, not only when its process dies.
	RestartOnError bool
	// EventSource is the event log source the service logs under.
	EventSource string
	// Group is the local group whose members may drive the service.
	Group        string
	GroupComment string
	// Start starts the service once installed.
	Start bool
	// AnyPath registers Exe even where a non-administrator may replace
	// it (a build directory, for tests); Install refuses such a path
	// otherwise, since the service runs Exe with full privileges.
	AnyPath bool
}

// StartTimeout bounds waiting for an installed service to run; StopTimeout
// bounds waiting for it to stop. Stopping takes every tunnel down, which
// the service bounds by 30 seconds.
const (
	StartTimeout = 30 * time.Second
	StopTimeout  = 45 * time.Second
)

// NewPlan is the wgdesk service as Install registers it, running exe.
func NewPlan(exe string) Plan {
	return Plan{
		Name:        Name,
		DisplayName: "wgdesk tunnel service",
		Description: "Brings WireGuard tunnels up and down for the wgdesk app and command line.",
		Exe:         exe,
		Args:        []string{"service"},
		AutoStart:   true,
		// Nsi (network store interface) and TcpIp carry the adapter,
		// address and route calls; WireGuard for Windows depends on them too.
		Dependencies:   []string{"Nsi", "TcpIp"},
		SIDType:        SIDUnrestricted,
		Restarts:       []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute},
		RestartsReset:  24 * time.Hour,
		RestartOnError: true,
		EventSource:    Name,
		Group:          Name,
		GroupComment:   "Members may bring wgdesk tunnels up and down.",
		Start:          true,
	}
}

// String renders p one setting a line, for golden tests and for people.
func (p Plan) String() string {
	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "%-16s %s\n", k+":", v) }
	line("name", p.Name)
	line("display name", p.DisplayName)
	line("description", p.Description)
	line("command", strings.Join(append([]string{quote(p.Exe)}, p.Args...), " "))
	if p.AutoStart {
		line("start", "automatic")
	} else {
		line("start", "manual")
	}
	line("depends on", strings.Join(p.Dependencies, ", "))
	switch p.SIDType {
	case SIDUnrestricted:
		line("service sid", "unrestricted")
	default:
		line("service sid", "none")
	}
	var rs []string
	for _, d := range p.Restarts {
		rs = append(rs, d.String())
	}
	on := "when the process dies"
	if p.RestartOnError {
		on = "when the process dies or exits with an error"
	}
	line("restart", fmt.Sprintf("after %s %s; count resets after %s", strings.Join(rs, ", "), on, p.RestartsReset))
	line("event source", p.EventSource)
	line("local group", fmt.Sprintf("%s (%s)", p.Group, p.GroupComment))
	line("start now", fmt.Sprint(p.Start))
	line("any path", fmt.Sprint(p.AnyPath))
	return b.String()
}

// quote wraps a path with spaces in double quotes, as a command line does.
func quote(s string) string {
	if strings.ContainsAny(s, " \t") {
		return `"` + s + `"`
	}
	return s
}
