package osservice

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wgdesk/wgdesk/packaging"
)

// New returns the systemd Manager, or errors.ErrUnsupported where systemd
// does not run (internal/hints says what to do then).
func New() (Manager, error) {
	if fi, err := os.Stat("/run/systemd/system"); err != nil || !fi.IsDir() {
		return nil, errors.ErrUnsupported
	}
	return systemdManager{run: runCommand, sleep: time.Sleep, rootOnly: rootOnly}, nil
}

// unitPath is where Install writes the unit: the administrator's unit
// directory, which overrides a packaged unit of the same name.
const unitPath = "/etc/systemd/system/wgdesk.service"

// systemdManager is the Linux Manager: the packaged unit (packaging/
// wgdesk.service) with this executable in ExecStart, and the group wgdesk.
// Commands go through run and files live under root, so tests record both.
type systemdManager struct {
	// run runs a command and returns its standard output and exit code;
	// err is for a command that could not run at all.
	run   func(name string, args ...string) (out string, code int, err error)
	root  string // prefix of every file path; "" in production
	sleep func(time.Duration)
	// rootOnly fails unless only root may replace the file at path.
	rootOnly func(path string) error
}

// rootOnly fails unless path and every folder above it belong to root
// and no one else, not even their group, may write to them (a sticky /tmp
// does not count).
func rootOnly(path string) error {
	return trustedPath(path, filepath.EvalSymlinks, statOwner, nil)
}

// command runs name and fails unless it exits 0.
func (m systemdManager) command(name string, args ...string) error {
	out, code, err := m.run(name, args...)
	if err == nil && code != 0 {
		err = fmt.Errorf("exit status %d: %s", code, strings.TrimSpace(out))
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}

// groupaddExists is groupadd's exit status for a group that exists.
const groupaddExists = 9

// systemdUnit is the packaged unit running p's command.
func systemdUnit(p Plan) (string, error) {
	words := []string{p.Exe}
	words = append(words, p.Args...)
	for _, w := range words {
		// systemd would split, unquote or expand these.
		if strings.ContainsAny(w, " \t\"'\\%$;") {
			return "", fmt.Errorf("%q cannot go into a unit's ExecStart unquoted; install wgdesk to a path without spaces or quotes", w)
		}
	}
	lines := strings.SplitAfter(packaging.SystemdUnit, "\n")
	found := false
	for i, line := range lines {
		if !strings.HasPrefix(line, "ExecStart=") {
			continue
		}
		lines[i] = "ExecStart=" + strings.Join(words, " ") + "\n"
		// The comment above it is about the packaged program.
		if i > 0 && strings.HasPrefix(lines[i-1], "#") {
			lines[i-1] = "# Written by `wgdesk service install`: the program it was run as.\n"
		}
		found = true
	}
	if !found {
		return "", errors.New("the packaged unit has no ExecStart line")
	}
	return strings.Join(lines, ""), nil
}

func (m systemdManager) Install(p Plan, progress func(string)) error {
	if progress == nil {
		progress = func(string) {}
	}
	// The unit sets ProtectHome: a program under /home or /root cannot
	// run as the service.
	for _, dir := range []string{"/home/", "/root/", "/run/user/"} {
		if strings.HasPrefix(p.Exe, dir) {
			return fmt.Errorf("%s is under %s, which the service cannot see (the unit sets ProtectHome); install wgdesk to /usr/local/bin or use packaging/install.sh", p.Exe, strings.TrimSuffix(dir, "/"))
		}
	}
	unit, err := systemdUnit(p)
	if err != nil {
		return err
	}
	if !p.AnyPath {
		if err := m.rootOnly(p.Exe); err != nil {
			return fmt.Errorf("%w; install wgdesk to /usr/local/bin first", err)
		}
	}
	out, code, err := m.run("groupadd", "--system", p.Group)
	switch {
	case err != nil:
		return fmt.Errorf("groupadd --system %s: %w", p.Group, err)
	case code == 0:
		progress(fmt.Sprintf("Created the group %s.", p.Group))
	case code == groupaddExists:
		progress(fmt.Sprintf("The group %s exists already.", p.Group))
	default:
		return fmt.Errorf("groupadd --system %s: exit status %d: %s", p.Group, code, strings.TrimSpace(out))
	}
	path := filepath.Join(m.root, unitPath)
	old, err := os.ReadFile(path)
	switch {
	case err == nil && string(old) == unit:
		progress(fmt.Sprintf("The unit %s is up to date.", unitPath))
	case err == nil || errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", unitPath, err)
		}
		if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", unitPath, err)
		}
		progress(fmt.Sprintf("Wrote the unit %s.", unitPath))
	default:
		return fmt.Errorf("read %s: %w", unitPath, err)
	}
	if err := m.command("systemctl", "daemon-reload"); err != nil {
		return err
	}
	if p.AutoStart {
		if err := m.command("systemctl", "enable", "wgdesk.service"); err != nil {
			return err
		}
		progress("Enabled the service: it starts with the system.")
	}
	if !p.Start {
		return nil
	}
	if state, _ := m.Status(); state == Running {
		progress("The service runs already; a changed unit applies at its next start (sudo systemctl restart wgdesk).")
		return nil
	}
	if err := m.command("systemctl", "start", "wgdesk.service"); err != nil {
		return fmt.Errorf("%w (journalctl -u wgdesk says why)", err)
	}
	for waited := time.Duration(0); ; waited += pollEvery {
		state, err := m.Status()
		if err != nil {
			return err
		}
		if state == Running {
			break
		}
		if state == Stopped || waited >= StartTimeout {
			return fmt.Errorf("service wgdesk is %s after start (journalctl -u wgdesk says why)", state)
		}
		m.sleep(pollEvery)
	}
	progress("Started the service.")
	return nil
}

func (m systemdManager) Uninstall(progress func(string)) error {
	if progress == nil {
		progress = func(string) {}
	}
	path := filepath.Join(m.root, unitPath)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return ErrNotInstalled
	}
	progress("Stopping the service: it takes every tunnel down…")
	// stop waits until the service stopped, up to the unit's stop timeout.
	if err := m.command("systemctl", "disable", "--now", "wgdesk.service"); err != nil {
		return err
	}
	progress("Stopped and disabled the service.")
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove %s: %w", unitPath, err)
	}
	if err := m.command("systemctl", "daemon-reload"); err != nil {
		return err
	}
	progress(fmt.Sprintf("Removed the unit %s.", unitPath))
	return nil
}

func (m systemdManager) Status() (State, error) {
	if _, err := os.Stat(filepath.Join(m.root, unitPath)); errors.Is(err, fs.ErrNotExist) {
		return NotInstalled, nil
	}
	// is-active prints the state and exits nonzero unless it is active.
	out, _, err := m.run("systemctl", "is-active", "wgdesk.service")
	if err != nil {
		return Other, fmt.Errorf("systemctl is-active wgdesk.service: %w", err)
	}
	switch strings.TrimSpace(out) {
	case "active", "reloading":
		return Running, nil
	case "activating":
		return StartPending, nil
	case "deactivating":
		return StopPending, nil
	}
	return Stopped, nil
}
