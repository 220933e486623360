package osservice

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// scm is the slice of Windows that installing the service touches: the
// service control manager, the event log's registry and the local groups.
// scm_windows.go implements it with x/sys/windows; the tests record the
// calls. Each method opens and closes what it needs.
type scm interface {
	// AddLocalGroup creates the local group; created is false when it
	// exists already.
	AddLocalGroup(name, comment string) (created bool, err error)
	// AddEventSource registers an event log source; created is false when
	// it is registered already.
	AddEventSource(name string) (created bool, err error)
	// RemoveEventSource removes the source; one that is not there is no
	// error.
	RemoveEventSource(name string) error
	// Query returns the service's state, NotInstalled when there is none.
	Query(name string) (State, error)
	// Create registers a service that does not exist, as p says,
	// recovery actions included.
	Create(p Plan) error
	// Update changes an existing service's settings to p's.
	Update(p Plan) error
	// Start asks the service manager to start the service.
	Start(name string) error
	// Stop sends the service the stop control.
	Stop(name string) error
	// Delete marks the service for deletion.
	Delete(name string) error
	// Sleep waits between state queries.
	Sleep(d time.Duration)
}

// pollEvery is how often a wait asks for the service's state.
const pollEvery = 250 * time.Millisecond

// scmManager is the Windows Manager of the service called name, written
// against the seam. Its event log source has the same name.
type scmManager struct {
	s    scm
	name string
	// trusted are the folders only administrators may change (Program
	// Files, the Windows folder); Install registers only executables in
	// them unless the plan says AnyPath.
	trusted []string
}

func (m scmManager) Status() (State, error) { return m.s.Query(m.name) }

func (m scmManager) Install(p Plan, progress func(string)) error {
	if progress == nil {
		progress = func(string) {}
	}
	if !p.AnyPath && !underAnyWindowsDir(p.Exe, m.trusted) {
		return fmt.Errorf("%s: %w; install wgdesk to %s first (the MSI does)", p.Exe, ErrUntrustedPath, firstOr(m.trusted, `C:\Program Files`))
	}
	// The group first: the service's pipe admits the group only if it
	// exists when the service starts.
	created, err := m.s.AddLocalGroup(p.Group, p.GroupComment)
	if err != nil {
		return fmt.Errorf("create local group %s: %w", p.Group, err)
	}
	if created {
		progress(fmt.Sprintf("Created the local group %s.", p.Group))
	} else {
		progress(fmt.Sprintf("The local group %s exists already.", p.Group))
	}
	created, err = m.s.AddEventSource(p.EventSource)
	if err != nil {
		return fmt.Errorf("register event log source %s: %w", p.EventSource, err)
	}
	if created {
		progress(fmt.Sprintf("Registered the event log source %s (Windows Logs > Application).", p.EventSource))
	}
	state, err := m.s.Query(p.Name)
	if err != nil {
		return fmt.Errorf("query service %s: %w", p.Name, err)
	}
	if state == NotInstalled {
		if err := m.s.Create(p); err != nil {
			return fmt.Errorf("create service %s: %w", p.Name, err)
		}
		progress(fmt.Sprintf("Registered the service %s: it starts with Windows and restarts after a failure.", p.Name))
	} else {
		if err := m.s.Update(p); err != nil {
			return fmt.Errorf("update service %s: %w", p.Name, err)
		}
		progress(fmt.Sprintf("Updated the settings of the service %s (it was %s).", p.Name, state))
	}
	if !p.Start {
		return nil
	}
	switch state {
	case Running, StartPending:
		progress(fmt.Sprintf("The service %s runs already; new settings apply at its next start.", p.Name))
		return nil
	case StopPending:
		if _, err := m.waitFor(p.Name, Stopped, StopTimeout); err != nil {
			return err
		}
	}
	if err := m.s.Start(p.Name); err != nil {
		return fmt.Errorf("start service %s: %w", p.Name, err)
	}
	if _, err := m.waitFor(p.Name, Running, StartTimeout); err != nil {
		return err
	}
	progress(fmt.Sprintf("Started the service %s.", p.Name))
	return nil
}

func (m scmManager) Uninstall(progress func(string)) error {
	if progress == nil {
		progress = func(string) {}
	}
	state, err := m.s.Query(m.name)
	if err != nil {
		return fmt.Errorf("query service %s: %w", m.name, err)
	}
	if state == NotInstalled {
		// A half-done earlier uninstall may have left the source.
		if err := m.s.RemoveEventSource(m.name); err != nil {
			return fmt.Errorf("remove event log source %s: %w", m.name, err)
		}
		return ErrNotInstalled
	}
	if state == StartPending {
		// A starting service takes no stop until it runs (it accepts
		// Stop only once its pipe listens), or it gives up by itself.
		progress(fmt.Sprintf("Waiting for the service %s to finish starting…", m.name))
		if state, err = m.waitFor(m.name, Running, StartTimeout); err != nil && state != Stopped {
			return err
		}
	}
	if state != Stopped {
		if state != StopPending {
			if err := m.s.Stop(m.name); err != nil {
				return fmt.Errorf("stop service %s: %w", m.name, err)
			}
		}
		progress(fmt.Sprintf("Stopping the service %s: it takes every tunnel down…", m.name))
		if _, err := m.waitFor(m.name, Stopped, StopTimeout); err != nil {
			return err
		}
		progress(fmt.Sprintf("Stopped the service %s.", m.name))
	}
	if err := m.s.Delete(m.name); err != nil {
		return fmt.Errorf("delete service %s: %w", m.name, err)
	}
	progress(fmt.Sprintf("Removed the service %s.", m.name))
	if err := m.s.RemoveEventSource(m.name); err != nil {
		return fmt.Errorf("remove event log source %s: %w", m.name, err)
	}
	progress(fmt.Sprintf("Removed the event log source %s.", m.name))
	return nil
}

// errStoppedEarly is a service that stopped while it was meant to start.
var errStoppedEarly = errors.New("stopped right after it started; the Windows event log (Application, source wgdesk) says why")

// waitFor polls the service until it is in state want, for up to timeout.
// The time is counted in polls, so that the fake's Sleep needs no clock.
func (m scmManager) waitFor(name string, want State, timeout time.Duration) (State, error) {
	for waited := time.Duration(0); ; waited += pollEvery {
		state, err := m.s.Query(name)
		if err != nil {
			return state, fmt.Errorf("query service %s: %w", name, err)
		}
		if state == want {
			return state, nil
		}
		if want == Running && (state == Stopped || state == NotInstalled) {
			return state, fmt.Errorf("service %s %w", name, errStoppedEarly)
		}
		if waited >= timeout {
			return state, fmt.Errorf("service %s is still %s after %s", name, state, timeout)
		}
		m.s.Sleep(pollEvery)
	}
}

// underAnyWindowsDir reports whether the Windows path p is inside one of
// dirs, compared as Windows does: case-insensitively, with / and \ alike.
// A path with a .. element never is.
func underAnyWindowsDir(p string, dirs []string) bool {
	norm := func(s string) string {
		return strings.TrimRight(strings.ToLower(strings.ReplaceAll(s, "/", `\`)), `\`)
	}
	p = norm(p)
	for _, e := range strings.Split(p, `\`) {
		if e == ".." || e == "." {
			return false
		}
	}
	for _, d := range dirs {
		if d = norm(d); d != "" && strings.HasPrefix(p, d+`\`) {
			return true
		}
	}
	return false
}

func firstOr(ss []string, def string) string {
	if len(ss) > 0 {
		return ss[0]
	}
	return def
}

// trustedDirs are the folders whose contents only administrators may
// change: Program Files (both views on 64-bit Windows) and the Windows
// folder.
func trustedDirs(getenv func(string) string) []string {
	var dirs []string
	for _, v := range []string{"ProgramFiles", "ProgramW6432", "ProgramFiles(x86)", "SystemRoot"} {
		if d := getenv(v); d != "" {
			dirs = append(dirs, d)
		}
	}
	return dirs
}
