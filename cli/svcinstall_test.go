package cli

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/internal/hints"
	"github.com/wgdesk/wgdesk/internal/osservice"
)

// fakeManager records what the CLI asks of the service manager.
type fakeManager struct {
	calls []string
	plan  osservice.Plan
	err   error
}

func (f *fakeManager) Install(p osservice.Plan, progress func(string)) error {
	f.calls = append(f.calls, "install")
	f.plan = p
	if !p.AnyPath && strings.Contains(p.Exe, "Downloads") {
		return fmt.Errorf("%s: %w", p.Exe, osservice.ErrUntrustedPath)
	}
	progress("Registered the service wgdesk.")
	return f.err
}

func (f *fakeManager) Uninstall(progress func(string)) error {
	f.calls = append(f.calls, "uninstall")
	if f.err == nil {
		progress("Removed the service wgdesk.")
	}
	return f.err
}

func (f *fakeManager) Status() (osservice.State, error) { return osservice.Running, nil }

// asOS makes the service verbs act as on goos with manager m (nil: goos
// has no service manager wgdesk registers with) and the given privilege.
func asOS(t *testing.T, goos string, m osservice.Manager, root bool) {
	t.Helper()
	oldM, oldH, oldR, oldE := newServiceManager, osHints, isRoot, executable
	t.Cleanup(func() { newServiceManager, osHints, isRoot, executable = oldM, oldH, oldR, oldE })
	newServiceManager = func() (osservice.Manager, error) {
		if m == nil {
			return nil, errors.ErrUnsupported
		}
		return m, nil
	}
	osHints = func() hints.Hints { return hints.For(goos) }
	isRoot = func() bool { return root }
	executable = func() (string, error) { return `C:\Program Files\wgdesk\wgdesk.exe`, nil }
}

func serviceVerb(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Service(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestServiceInstallWindows(t *testing.T) {
	m := &fakeManager{}
	asOS(t, "windows", m, true)
	code, out, errs := serviceVerb("install")
	if code != exitOK || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	if m.plan.Exe != `C:\Program Files\wgdesk\wgdesk.exe` || strings.Join(m.plan.Args, " ") != "service" || m.plan.Name != "wgdesk" {
		t.Errorf("installed %+v", m.plan)
	}
	for _, want := range []string{
		"Registered the service wgdesk.\n", // the manager's steps
		`runs "C:\Program Files\wgdesk\wgdesk.exe" service`,
		"\n    net localgroup wgdesk %USERNAME% /add\n",
		"sign out and in again.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	checkNoLinuxWords(t, out)
}

// checkNoLinuxWords fails t when Windows output holds a Linux command.
func checkNoLinuxWords(t *testing.T, out string) {
	t.Helper()
	for _, w := range []string{"sudo", "systemctl", "usermod", "groupadd", "/run/"} {
		if strings.Contains(out, w) {
			t.Errorf("Windows output says %q:\n%s", w, out)
		}
	}
}

func TestServiceInstallNeedsAdministrator(t *testing.T) {
	for _, verb := range []string{"install", "uninstall"} {
		m := &fakeManager{}
		asOS(t, "windows", m, false)
		code, out, errs := serviceVerb(verb)
		if code != exitFail || out != "" || len(m.calls) != 0 {
			t.Errorf("%s: exit %d, stdout %q, calls %v", verb, code, out, m.calls)
		}
		want := "wgdesk service " + verb + ": this needs an administrator: open a terminal with Run as administrator and run it there\n"
		if errs != want {
			t.Errorf("%s: stderr %q, want %q", verb, errs, want)
		}
	}
}

// Where wgdesk registers no service (Linux without systemd, the BSDs), the
// verbs say what to use instead, before asking for privileges.
func TestServiceInstallElsewhere(t *testing.T) {
	for _, goos := range []string{"linux", "freebsd"} {
		asOS(t, goos, nil, false)
		code, out, errs := serviceVerb("install")
		if code != exitFail || out != "" || errs != "wgdesk service install: "+hints.For(goos).Install+"\n" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", goos, code, out, errs)
		}
	}
	if !strings.Contains(hints.For("linux").Install, "systemd") || !strings.Contains(hints.For("freebsd").Install, "`wgdesk service`") {
		t.Error("the hints do not say what to use instead")
	}
}

// The real manager on this OS: where it is unsupported, the CLI says so.
func TestServiceInstallThisOS(t *testing.T) {
	if _, err := osservice.New(); !errors.Is(err, errors.ErrUnsupported) {
		t.Skip("this OS has a service manager wgdesk registers with")
	}
	code, _, errs := serviceVerb("install")
	if code != exitFail || errs != "wgdesk service install: "+hints.Current().Install+"\n" {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

func TestServiceInstallFails(t *testing.T) {
	m := &fakeManager{err: errors.New("create service wgdesk: access denied")}
	asOS(t, "windows", m, true)
	code, _, errs := serviceVerb("install")
	if code != exitFail || errs != "wgdesk service install: create service wgdesk: access denied\n" {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

func TestServiceUninstall(t *testing.T) {
	m := &fakeManager{}
	asOS(t, "windows", m, true)
	code, out, errs := serviceVerb("uninstall")
	if code != exitOK || errs != "" || !strings.HasPrefix(out, "Removed the service wgdesk.\n") || !strings.Contains(out, "Stored tunnels") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	m.err = osservice.ErrNotInstalled
	if code, out, _ := serviceVerb("uninstall"); code != exitOK || !strings.Contains(out, "not installed") {
		t.Errorf("not installed: exit %d, stdout %q", code, out)
	}
	m.err = errors.New("service wgdesk is still stopping after 45s")
	if code, _, errs := serviceVerb("uninstall"); code != exitFail || !strings.Contains(errs, "still stopping") {
		t.Errorf("stuck: exit %d, stderr %q", code, errs)
	}
}

func TestServiceSubverbUsage(t *testing.T) {
	m := &fakeManager{}
	asOS(t, "windows", m, true)
	if code, _, errs := serviceVerb("install", "now"); code != exitUsage || !strings.Contains(errs, "Usage: wgdesk service install") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if code, _, errs := serviceVerb("frobnicate"); code != exitUsage || !strings.Contains(errs, "install|uninstall") {
		t.Errorf("unknown subverb: exit %d, stderr %q", code, errs)
	}
	if len(m.calls) != 0 {
		t.Errorf("calls %v", m.calls)
	}
}

// levelBuffer is an errorWriter that tags each line with its level.
type levelBuffer struct{ bytes.Buffer }

func (b *levelBuffer) Write(p []byte) (int, error) {
	b.Buffer.WriteString("info ")
	return b.Buffer.Write(p)
}

func (b *levelBuffer) WriteError(p []byte) (int, error) {
	b.Buffer.WriteString("error ")
	return b.Buffer.Write(p)
}

// Errors reach an errorWriter's error side (the event log's Error level);
// other lines its plain side; a plain writer gets both.
func TestLogLevels(t *testing.T) {
	var b levelBuffer
	l := newLogs(&b, true).component("service")
	l.Printf("listening")
	l.Errorf("cannot listen")
	l.Verbosef("step")
	var lines []string
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		f := strings.Fields(line) // level date time component message
		lines = append(lines, f[0]+" "+strings.Join(f[3:], " "))
	}
	if got := strings.Join(lines, "|"); got != "info service: listening|error service: cannot listen|info service: step" {
		t.Errorf("lines %q", got)
	}
	var plain bytes.Buffer
	l = newLogs(&plain, false).component("service")
	l.Errorf("cannot listen")
	if !strings.Contains(plain.String(), "service: cannot listen") {
		t.Errorf("plain writer: %q", plain.String())
	}
}

// On Linux the same verbs speak of root and usermod.
func TestServiceInstallLinux(t *testing.T) {
	m := &fakeManager{}
	asOS(t, "linux", m, false)
	if code, _, errs := serviceVerb("install"); code != exitFail || errs != "wgdesk service install: this needs root: run it with sudo\n" {
		t.Errorf("not root: exit %d, stderr %q", code, errs)
	}
	asOS(t, "linux", m, true)
	executable = func() (string, error) { return "/usr/local/bin/wgdesk", nil }
	code, out, errs := serviceVerb("install")
	if code != exitOK || errs != "" || !strings.Contains(out, "runs /usr/local/bin/wgdesk service") ||
		!strings.Contains(out, "\n    sudo usermod -aG wgdesk $USER\n") || !strings.Contains(out, "log out and in again.") {
		t.Errorf("exit %d, stderr %q, stdout:\n%s", code, errs, out)
	}
}

// On macOS the verbs speak of sudo and dseditgroup, and a program in a
// folder with spaces is shown quoted, as a terminal would need it.
func TestServiceInstallDarwin(t *testing.T) {
	m := &fakeManager{}
	asOS(t, "darwin", m, false)
	if code, _, errs := serviceVerb("install"); code != exitFail || errs != "wgdesk service install: this needs root: run it with sudo\n" {
		t.Errorf("not root: exit %d, stderr %q", code, errs)
	}
	asOS(t, "darwin", m, true)
	executable = func() (string, error) { return "/Applications/Net Tools/wgdesk.app/Contents/MacOS/wgdesk", nil }
	code, out, errs := serviceVerb("install")
	if code != exitOK || errs != "" || !strings.Contains(out, `runs "/Applications/Net Tools/wgdesk.app/Contents/MacOS/wgdesk" service`) ||
		!strings.Contains(out, "\n    sudo dseditgroup -o edit -a $USER -t user wgdesk\n") || !strings.Contains(out, "log out and in again.") {
		t.Errorf("exit %d, stderr %q, stdout:\n%s", code, errs, out)
	}
	for _, w := range []string{"systemctl", "usermod", "groupadd", "/run/"} {
		if strings.Contains(out, w) {
			t.Errorf("macOS output says %q:\n%s", w, out)
		}
	}
}

// An executable others may replace is refused unless --any-path says so.
func TestServiceInstallAnyPath(t *testing.T) {
	m := &fakeManager{}
	asOS(t, "windows", m, true)
	executable = func() (string, error) { return `C:\Users\ana\Downloads\wgdesk.exe`, nil }
	code, _, errs := serviceVerb("install")
	if code != exitFail || !strings.Contains(errs, "non-administrators may replace it") || !strings.Contains(errs, "--any-path") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if code, _, errs := serviceVerb("install", "--any-path"); code != exitOK || !m.plan.AnyPath {
		t.Errorf("--any-path: exit %d, stderr %q, plan %+v", code, errs, m.plan)
	}
	if len(m.calls) != 2 {
		t.Errorf("calls %v", m.calls)
	}
}

func TestEventText(t *testing.T) {
	for in, want := range map[string]string{
		"2026/12/01 10:42:24 service: wgdesk dev listening on \\\\.\\pipe\\wgdesk\n": `service: wgdesk dev listening on \\.\pipe\wgdesk`,
		"service: no stamp\r\n":    "service: no stamp",
		"2026/12/01 10:42 short\n": "2026/12/01 10:42 short",
		"":                         "",
	} {
		if got := eventText([]byte(in)); got != want {
			t.Errorf("eventText(%q) = %q, want %q", in, got, want)
		}
	}
}
