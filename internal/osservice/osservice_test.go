package osservice

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goldenfile "github.com/wgdesk/wgdesk/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name.golden.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name+".golden"), got, *update)
}

func TestPlan(t *testing.T) {
	p := NewPlan(`C:\Program Files\wgdesk\wgdesk.exe`)
	golden(t, "plan", p.String())
	// What the firewall and the install need, beyond the golden text.
	if p.SIDType != SIDUnrestricted || !p.AutoStart || !p.Start || p.Group != "wgdesk" || p.EventSource != "wgdesk" {
		t.Errorf("plan %+v", p)
	}
	if strings.Join(p.Dependencies, ",") != "Nsi,TcpIp" || strings.Join(p.Args, " ") != "service" {
		t.Errorf("dependencies %v, args %v", p.Dependencies, p.Args)
	}
	if len(p.Restarts) == 0 || !p.RestartOnError {
		t.Errorf("no restart on failure: %+v", p)
	}
}

// fakeSCM records the calls Install and Uninstall make and plays a
// scripted service manager.
type fakeSCM struct {
	calls        []string
	state        State
	next         []State // what the next Query calls return, then state
	afterStart   []State
	afterStop    []State
	groupExists  bool
	sourceExists bool
	fail         map[string]error // by method name
}

func (f *fakeSCM) call(format string, args ...any) error {
	line := fmt.Sprintf(format, args...)
	f.calls = append(f.calls, line)
	return f.fail[strings.Fields(line)[0]]
}

func (f *fakeSCM) AddLocalGroup(name, comment string) (bool, error) {
	if err := f.call("AddLocalGroup %s %q", name, comment); err != nil {
		return false, err
	}
	created := !f.groupExists
	f.groupExists = true
	return created, nil
}

func (f *fakeSCM) AddEventSource(name string) (bool, error) {
	if err := f.call("AddEventSource %s", name); err != nil {
		return false, err
	}
	created := !f.sourceExists
	f.sourceExists = true
	return created, nil
}

func (f *fakeSCM) RemoveEventSource(name string) error {
	f.sourceExists = false
	return f.call("RemoveEventSource %s", name)
}

func (f *fakeSCM) Query(name string) (State, error) {
	if len(f.next) > 0 {
		f.state, f.next = f.next[0], f.next[1:]
	}
	return f.state, f.call("Query %s -> %s", name, f.state)
}

func (f *fakeSCM) Create(p Plan) error {
	if err := f.call("Create %s\n%s", p.Name, indent(p.String())); err != nil {
		return err
	}
	f.state = Stopped
	return nil
}

func (f *fakeSCM) Update(p Plan) error { return f.call("Update %s\n%s", p.Name, indent(p.String())) }

func (f *fakeSCM) Start(name string) error {
	if err := f.call("Start %s", name); err != nil {
		return err
	}
	f.state, f.next = StartPending, f.afterStart
	return nil
}

func (f *fakeSCM) Stop(name string) error {
	if err := f.call("Stop %s", name); err != nil {
		return err
	}
	f.state, f.next = StopPending, f.afterStop
	return nil
}

func (f *fakeSCM) Delete(name string) error {
	if err := f.call("Delete %s", name); err != nil {
		return err
	}
	f.state = NotInstalled
	return nil
}

func (f *fakeSCM) Sleep(d time.Duration) { f.call("Sleep %s", d) }

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n    ")
}

// transcript renders calls, progress and the result; runs of one call
// become one line with a count.
func transcript(f *fakeSCM, progress []string, err error) string {
	var b strings.Builder
	b.WriteString("calls:\n")
	for i := 0; i < len(f.calls); {
		j := i
		for j < len(f.calls) && f.calls[j] == f.calls[i] {
			j++
		}
		if j-i > 1 {
			fmt.Fprintf(&b, "  %s (×%d)\n", f.calls[i], j-i)
		} else {
			fmt.Fprintf(&b, "  %s\n", strings.ReplaceAll(f.calls[i], "\n", "\n  "))
		}
		i = j
	}
	b.WriteString("said:\n")
	for _, p := range progress {
		fmt.Fprintf(&b, "  %s\n", p)
	}
	fmt.Fprintf(&b, "error: %v\n", err)
	return b.String()
}

func TestInstall(t *testing.T) {
	exe := `C:\Program Files\wgdesk\wgdesk.exe`
	boom := errors.New("access denied")
	for _, tt := range []struct {
		name    string
		f       *fakeSCM
		plan    func(*Plan)
		wantErr bool
	}{
		{name: "install-fresh", f: &fakeSCM{afterStart: []State{StartPending, StartPending, Running}}},
		{name: "install-again-running", f: &fakeSCM{state: Running, groupExists: true, sourceExists: true}},
		{name: "install-again-stopped", f: &fakeSCM{state: Stopped, groupExists: true, sourceExists: true, afterStart: []State{Running}}},
		{name: "install-no-start", f: &fakeSCM{}, plan: func(p *Plan) { p.Start = false }},
		{name: "install-stops-at-start", f: &fakeSCM{afterStart: []State{StartPending, Stopped}}, wantErr: true},
		{name: "install-start-hangs", f: &fakeSCM{afterStart: []State{StartPending}}, wantErr: true},
		{name: "install-group-fails", f: &fakeSCM{fail: map[string]error{"AddLocalGroup": boom}}, wantErr: true},
		{name: "install-create-fails", f: &fakeSCM{fail: map[string]error{"Create": boom}}, wantErr: true},
		{name: "install-untrusted-path", f: &fakeSCM{}, plan: func(p *Plan) { p.Exe = `C:\Users\ana\Downloads\wgdesk.exe` }, wantErr: true},
		{name: "install-any-path", f: &fakeSCM{afterStart: []State{Running}}, plan: func(p *Plan) { p.Exe, p.AnyPath = `C:\Users\ana\src\wgdesk.exe`, true }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPlan(exe)
			if tt.plan != nil {
				tt.plan(&p)
			}
			var said []string
			err := scmManager{s: tt.f, name: Name, trusted: []string{`C:\Program Files`, `C:\Windows`}}.Install(p, func(s string) { said = append(said, s) })
			if (err != nil) != tt.wantErr {
				t.Errorf("error %v, want error: %v", err, tt.wantErr)
			}
			golden(t, tt.name, transcript(tt.f, said, err))
		})
	}
}

func TestUninstall(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    *fakeSCM
		want error
	}{
		{name: "uninstall-running", f: &fakeSCM{state: Running, sourceExists: true, afterStop: []State{StopPending, StopPending, Stopped}}},
		{name: "uninstall-stopped", f: &fakeSCM{state: Stopped, sourceExists: true}},
		{name: "uninstall-stopping", f: &fakeSCM{state: StopPending, afterStop: nil, next: []State{StopPending, StopPending, Stopped}}},
		{name: "uninstall-stop-hangs", f: &fakeSCM{state: Running, afterStop: []State{StopPending}}, want: errors.New("")},
		{name: "uninstall-missing", f: &fakeSCM{state: NotInstalled}, want: ErrNotInstalled},
		{name: "uninstall-starting", f: &fakeSCM{state: StartPending, next: []State{StartPending, StartPending, Running}, afterStop: []State{Stopped}}},
		{name: "uninstall-starting-fails", f: &fakeSCM{state: StartPending, next: []State{StartPending, Stopped}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var said []string
			err := scmManager{s: tt.f, name: Name}.Uninstall(func(s string) { said = append(said, s) })
			switch {
			case tt.want == nil && err != nil, tt.want != nil && err == nil:
				t.Errorf("error %v, want %v", err, tt.want)
			case errors.Is(tt.want, ErrNotInstalled) && !errors.Is(err, ErrNotInstalled):
				t.Errorf("error %v, want ErrNotInstalled", err)
			}
			golden(t, tt.name, transcript(tt.f, said, err))
			if tt.want == nil && (tt.f.state != NotInstalled || tt.f.sourceExists) {
				t.Errorf("left state %s, event source %v", tt.f.state, tt.f.sourceExists)
			}
		})
	}
}

// The stop wait is bounded by StopTimeout, counted in polls.
func TestUninstallWaitIsBounded(t *testing.T) {
	f := &fakeSCM{state: Running, afterStop: []State{StopPending}}
	err := scmManager{s: f, name: Name}.Uninstall(nil)
	sleeps := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, "Sleep") {
			sleeps++
		}
	}
	if err == nil || !strings.Contains(err.Error(), "still stopping after 45s") {
		t.Fatalf("error %v", err)
	}
	if want := int(StopTimeout / pollEvery); sleeps != want {
		t.Errorf("%d polls, want %d", sleeps, want)
	}
	for _, c := range f.calls {
		if strings.HasPrefix(c, "Delete") {
			t.Error("deleted a service that did not stop")
		}
	}
}

// What the service manager is told, in its own numbers.
func TestWin32Config(t *testing.T) {
	golden(t, "win32", win32Config(NewPlan(`C:\wgdesk\wgdesk.exe`)).String())
	p := NewPlan("x")
	p.AutoStart, p.SIDType = false, SIDNone
	if c := win32Config(p); c.StartType != win32DemandStart || c.SidType != win32SIDNone {
		t.Errorf("manual start without a service SID: %+v", c)
	}
}

func TestTrustedPaths(t *testing.T) {
	env := map[string]string{"ProgramFiles": `C:\Program Files`, "ProgramFiles(x86)": `C:\Program Files (x86)`, "SystemRoot": `C:\WINDOWS`}
	dirs := trustedDirs(func(k string) string { return env[k] })
	if strings.Join(dirs, "|") != `C:\Program Files|C:\Program Files (x86)|C:\WINDOWS` {
		t.Fatalf("dirs %q", dirs)
	}
	for p, want := range map[string]bool{
		`C:\Program Files\wgdesk\wgdesk.exe`:       true,
		`c:\program files\WGDESK\wgdesk.exe`:       true, // Windows paths ignore case
		`C:/Program Files/wgdesk/wgdesk.exe`:       true,
		`C:\Windows\System32\wgdesk.exe`:           true,
		`C:\Program Files (x86)\wgdesk\wgdesk.exe`: true,
		`C:\Program Files\..\Users\ana\wgdesk.exe`: false,
		`C:\Program Filesx\wgdesk.exe`:             false,
		`C:\Program Files`:                         false,
		`C:\Users\ana\Downloads\wgdesk.exe`:        false,
		`D:\wgdesk\wgdesk.exe`:                     false,
		`\\server\share\Program Files\wgdesk.exe`:  false,
	} {
		if got := underAnyWindowsDir(p, dirs); got != want {
			t.Errorf("%s: trusted %v, want %v", p, got, want)
		}
	}
	if underAnyWindowsDir(`C:\x\wgdesk.exe`, []string{""}) {
		t.Error("an empty folder trusts everything")
	}
}
