//go:build !windows

// The launch daemon's code builds for every Unix, so that Linux tests it;
// Windows has no use for it.

package osservice

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// launchctl's exit codes, which are the errno of launchd's answer
// (launchctl prints them as "Boot-out failed: 3: No such process").
// Which of the two a label launchd does not know gets depends on the
// macOS version; both mean "not loaded". Not checked on a Mac here: the
// macos workflow (.github/workflows/macos.yml) runs the real sequence.
const (
	// launchctlNoProcess (ESRCH, "No such process") is what bootout of a
	// service that is not loaded returns on older systems.
	launchctlNoProcess = 3
	// launchctlNotFound is launchd's own "Could not find specified
	// service", from bootout and print of a label it does not know.
	launchctlNotFound = 113
)

// Group IDs macOS gives the groups of administrators.
const (
	gidWheel = 0
	gidAdmin = 80
)

// launchdManager is the macOS Manager: a launch daemon running p's command
// with the socket and state directory spelled out, registered with
// launchctl in the system domain, and the local group wgdesk made with
// dseditgroup. Everything it does to the system goes through the fields,
// so tests on any OS record the sequence; new_darwin.go fills them with
// the real thing.
type launchdManager struct {
	// run runs a command and returns its standard output and error and
	// its exit code; err is for a command that could not run at all.
	run  func(name string, args ...string) (out string, code int, err error)
	root string // prefix of every file path; "" in production
	// sleep waits between polls.
	sleep func(time.Duration)
	// realPath resolves symbolic links; stat describes a path's owner.
	realPath func(path string) (string, error)
	stat     func(path string) (fileOwner, error)
	// chown gives a file to a user and group.
	chown func(path string, uid, gid int) error
	// groupExists asks the directory (Open Directory on macOS, where
	// dseditgroup makes groups; /etc/group lacks them) for a group.
	groupExists func(name string) (bool, error)
	// dial succeeds when something accepts connections on the socket.
	dial func(socket string) error
	// socket and stateDir are the service's --socket and --state-dir.
	socket, stateDir string
}

// launchdPlist renders the daemon's property list for p. The paths may
// hold spaces (the state directory does): each argument is a string of
// its own in ProgramArguments, so launchd passes it as one word and no
// shell ever reads it.
func (m launchdManager) launchdPlist(p Plan) (string, error) {
	if !p.AutoStart {
		// KeepAlive's SuccessfulExit implies RunAtLoad (launchd.plist(5)):
		// a daemon that waits for a manual start cannot have it.
		return "", errors.New("a launch daemon that does not start with the system is not supported")
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
`)
	key := func(k string) { fmt.Fprintf(&b, "\t<key>%s</key>\n", k) }
	str := func(indent, s string) {
		b.WriteString(indent + "<string>")
		xml.EscapeText(&b, []byte(s))
		b.WriteString("</string>\n")
	}
	key("Label")
	str("\t", LaunchdLabel)
	key("ProgramArguments")
	b.WriteString("\t<array>\n")
	args := append([]string{p.Exe}, p.Args...)
	args = append(args, "--socket", m.socket, "--state-dir", m.stateDir)
	for _, a := range args {
		str("\t\t", a)
	}
	b.WriteString("\t</array>\n")
	// Starts at boot, and at bootstrap.
	key("RunAtLoad")
	b.WriteString("\t<true/>\n")
	// Restarted when it crashes or exits with an error, as systemd's
	// Restart=on-failure and the Windows recovery actions do. `wgdesk
	// service` exits 0 only after a SIGTERM, once every tunnel is down:
	// that is someone stopping it (launchctl kill, kickstart's stop), and
	// it stays stopped until `launchctl kickstart`. KeepAlive=true would
	// start it again at once.
	key("KeepAlive")
	b.WriteString("\t<dict>\n\t\t<key>SuccessfulExit</key>\n\t\t<false/>\n\t</dict>\n")
	// launchd waits this long between starts of a failing daemon (10 s
	// by default); the first of the plan's restart delays.
	if len(p.Restarts) > 0 {
		key("ThrottleInterval")
		fmt.Fprintf(&b, "\t<integer>%d</integer>\n", int(p.Restarts[0]/time.Second))
	}
	// How long launchd waits after SIGTERM before SIGKILL (20 s by
	// default): the service takes every tunnel down first, which it
	// bounds by 30 s, and a killed service leaves routes and DNS for the
	// journal to undo at the next start.
	key("ExitTimeOut")
	fmt.Fprintf(&b, "\t<integer>%d</integer>\n", int(StopTimeout/time.Second))
	// Every packet of a tunnel passes through this process (wireguard-go
	// in user space). Interactive is the class launchd documents as never
	// limited in CPU or I/O, as apps are; Standard and Background jobs may
	// be throttled when the Mac saves power, and the user's own traffic
	// would stall with them.
	key("ProcessType")
	str("\t", "Interactive")
	key("StandardOutPath")
	str("\t", LaunchdLog)
	key("StandardErrorPath")
	str("\t", LaunchdLog)
	b.WriteString("</dict>\n</plist>\n")
	return b.String(), nil
}

// trusted fails unless only administrators may replace the file at path
// (trustedPath). A group that may write is allowed only when it is wheel
// or admin: /Applications is root:admin with mode 0775 on every macOS, and
// the members of admin may become root anyway; any other writable group
// could swap the program the daemon runs as root. (ACLs are not read: on
// the system's own folders they only deny.)
func (m launchdManager) trusted(path string) error {
	return trustedPath(path, m.realPath, m.stat, func(gid uint32) bool { return gid == gidWheel || gid == gidAdmin })
}

// launchctl runs launchctl and fails unless it exits 0, or with one of
// the codes in ok.
func (m launchdManager) launchctl(ok []int, args ...string) (int, error) {
	out, code, err := m.run("launchctl", args...)
	if err == nil && code != 0 && !contains(ok, code) {
		err = fmt.Errorf("exit status %d: %s", code, oneLine(out))
	}
	if err != nil {
		return code, fmt.Errorf("launchctl %s: %w", strings.Join(args, " "), err)
	}
	return code, nil
}

func contains(codes []int, c int) bool {
	for _, x := range codes {
		if x == c {
			return true
		}
	}
	return false
}

// oneLine joins the lines of a command's output.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// launchdJob is what `launchctl print` says of the daemon.
type launchdJob struct {
	Loaded bool
	// State is launchd's word: "running", "not running", "spawn
	// scheduled", "exited", "SIGTERMed"…
	State string
	PID   int
	// LastExit is "last exit code", "(never exited)" before the first.
	LastExit string
}

// parsePrint reads the top level of `launchctl print system/LABEL`: lines
// one tab deep of "key = value" (nested dictionaries, such as the
// endpoints, hold keys of the same names).
func parsePrint(out string) launchdJob {
	j := launchdJob{Loaded: true}
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "\t\t") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimSpace(line), " = ")
		if !ok {
			continue
		}
		switch k {
		case "state":
			j.State = v
		case "pid":
			j.PID, _ = strconv.Atoi(v)
		case "last exit code":
			j.LastExit = v
		}
	}
	return j
}

// job asks launchd about the daemon. Anyone may read the system domain.
func (m launchdManager) job() (launchdJob, error) {
	out, code, err := m.run("launchctl", "print", "system/"+LaunchdLabel)
	switch {
	case err != nil:
		return launchdJob{}, fmt.Errorf("launchctl print system/%s: %w", LaunchdLabel, err)
	case code == 0:
		return parsePrint(out), nil
	case code == launchctlNotFound || strings.Contains(out, "Could not find service"):
		return launchdJob{}, nil
	}
	return launchdJob{}, fmt.Errorf("launchctl print system/%s: exit status %d: %s", LaunchdLabel, code, oneLine(out))
}

// why is where to look when the daemon does not start. Install runs as
// root, so the reader already knows how to become root.
const why = "as root, `launchctl print system/" + LaunchdLabel + "` and " + LaunchdLog + " say why"

func (m launchdManager) Install(p Plan, progress func(string)) error {
	if progress == nil {
		progress = func(string) {}
	}
	plist, err := m.launchdPlist(p)
	if err != nil {
		return err
	}
	if !p.AnyPath {
		if err := m.trusted(p.Exe); err != nil {
			return fmt.Errorf("%w; install wgdesk with its installer package (wgdesk.pkg), which puts the app in /Applications owned by root", err)
		}
	}
	if err := m.ensureGroup(p, progress); err != nil {
		return err
	}
	if err := m.writePlist(plist, progress); err != nil {
		return err
	}
	// launchd reads the property list only at bootstrap: a loaded daemon
	// is booted out first, which stops it (its tunnels go down), so that
	// the file just written is the one that runs.
	j, err := m.job()
	if err != nil {
		return err
	}
	if j.Loaded {
		progress("Restarting the service, so that it runs this program with these settings: it takes every tunnel down…")
		if err := m.bootout(); err != nil {
			return err
		}
	}
	// A `launchctl disable` from before would make bootstrap fail.
	if _, err := m.launchctl(nil, "enable", "system/"+LaunchdLabel); err != nil {
		return err
	}
	if !p.Start {
		progress("Enabled the service: it starts with the system.")
		return nil
	}
	if _, err := m.launchctl(nil, "bootstrap", "system", LaunchdPlist); err != nil {
		return fmt.Errorf("%w (%s)", err, why)
	}
	progress("Loaded the service into launchd: it starts now and with the system.")
	return m.waitStarted(progress)
}

// ensureGroup creates the local group p.Group unless the directory has it.
func (m launchdManager) ensureGroup(p Plan, progress func(string)) error {
	exists, err := m.groupExists(p.Group)
	if err != nil {
		return fmt.Errorf("look up the group %s: %w", p.Group, err)
	}
	if exists {
		progress(fmt.Sprintf("The group %s exists already.", p.Group))
		return nil
	}
	out, code, err := m.run("dseditgroup", "-o", "create", "-r", p.Group+" users", p.Group)
	if err == nil && code != 0 {
		err = fmt.Errorf("exit status %d: %s", code, oneLine(out))
	}
	if err != nil {
		return fmt.Errorf("dseditgroup -o create %s: %w", p.Group, err)
	}
	progress(fmt.Sprintf("Created the group %s.", p.Group))
	return nil
}

// writePlist replaces the property list atomically, as root:wheel 0644:
// launchd refuses a file anyone else may write.
func (m launchdManager) writePlist(plist string, progress func(string)) error {
	path := filepath.Join(m.root, LaunchdPlist)
	old, err := os.ReadFile(path)
	switch {
	case err == nil && string(old) == plist:
		progress(fmt.Sprintf("The property list %s is up to date.", LaunchdPlist))
		return nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("read %s: %w", LaunchdPlist, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", LaunchdPlist, err)
	}
	// A fixed name is safe: only root may write to the folder.
	tmp := path + ".new"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("write %s: %w", LaunchdPlist, err)
	}
	err = writeFileSync(tmp, []byte(plist))
	if err == nil {
		err = m.chown(tmp, 0, gidWheel)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", LaunchdPlist, err)
	}
	progress(fmt.Sprintf("Wrote the property list %s.", LaunchdPlist))
	return nil
}

// writeFileSync creates path with mode 0644 and makes it reach the disk
// before the rename that publishes it.
func writeFileSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(0o644) // whatever the umask
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// bootout unloads the daemon; launchd sends it SIGTERM, and the service
// takes every tunnel down and exits. launchctl may return before the
// process is gone (launchd shows "SIGTERMed" meanwhile, and a bootstrap
// then fails with "5: Input/output error"), so it waits until launchd no
// longer knows the label and the socket is closed, up to StopTimeout.
func (m launchdManager) bootout() error {
	if _, err := m.launchctl([]int{launchctlNoProcess, launchctlNotFound}, "bootout", "system/"+LaunchdLabel); err != nil {
		return err
	}
	for waited := time.Duration(0); ; waited += pollEvery {
		j, err := m.job()
		if err != nil {
			return err
		}
		if !j.Loaded && m.dial(m.socket) != nil {
			return nil
		}
		if waited >= StopTimeout {
			return fmt.Errorf("service %s is still stopping after %s (%s)", LaunchdLabel, StopTimeout, LaunchdLog+" says why")
		}
		m.sleep(pollEvery)
	}
}

// waitStarted waits until launchd runs the daemon and its socket answers,
// up to StartTimeout. A daemon that exited with an error fails at once:
// launchd would only start it again after ThrottleInterval to fail the same
// way.
func (m launchdManager) waitStarted(progress func(string)) error {
	for waited := time.Duration(0); ; waited += pollEvery {
		j, err := m.job()
		if err != nil {
			return err
		}
		switch {
		case !j.Loaded:
			return fmt.Errorf("service %s is not loaded after bootstrap (%s)", LaunchdLabel, why)
		case j.State == "running" && j.PID > 0:
			if m.dial(m.socket) == nil {
				progress(fmt.Sprintf("Started the service: it listens on %s.", m.socket))
				return nil
			}
		case j.LastExit != "" && j.LastExit != "0" && j.LastExit != "(never exited)":
			return fmt.Errorf("service %s exited with code %s (%s)", LaunchdLabel, j.LastExit, why)
		}
		if waited >= StartTimeout {
			state := j.State
			if j.State == "running" {
				state = "running but not listening on " + m.socket
			}
			return fmt.Errorf("service %s is %s after %s (%s)", LaunchdLabel, state, StartTimeout, why)
		}
		m.sleep(pollEvery)
	}
}

func (m launchdManager) Uninstall(progress func(string)) error {
	if progress == nil {
		progress = func(string) {}
	}
	path := filepath.Join(m.root, LaunchdPlist)
	_, statErr := os.Stat(path)
	j, err := m.job()
	if err != nil {
		return err
	}
	if errors.Is(statErr, fs.ErrNotExist) && !j.Loaded {
		return ErrNotInstalled
	}
	if j.Loaded {
		progress("Stopping the service: it takes every tunnel down…")
		if err := m.bootout(); err != nil {
			return err
		}
		progress("Stopped the service and unloaded it from launchd.")
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", LaunchdPlist, err)
	}
	progress(fmt.Sprintf("Removed the property list %s.", LaunchdPlist))
	return nil
}

func (m launchdManager) Status() (State, error) {
	j, err := m.job()
	if err != nil {
		return Other, err
	}
	if !j.Loaded {
		if _, err := os.Stat(filepath.Join(m.root, LaunchdPlist)); errors.Is(err, fs.ErrNotExist) {
			return NotInstalled, nil
		}
		return Stopped, nil
	}
	switch j.State {
	case "running":
		return Running, nil
	case "spawn scheduled", "spawning":
		return StartPending, nil
	case "SIGTERMed", "exiting":
		return StopPending, nil
	}
	return Stopped, nil
}
