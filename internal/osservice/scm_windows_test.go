package osservice

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc/eventlog"
)

// realSCMEnv opts in to TestRealServiceManager: it registers, starts,
// stops and removes a real service on this machine, so it runs only where
// asked (CI under Wine or on a Windows runner, as an administrator).
const realSCMEnv = "WGDESK_REAL_SCM_TEST"

// helperArg marks the test binary started by the service manager as the
// service under test.
const helperArg = "-osservice.helper"

// TestMain runs the service under test when the service manager started
// this binary with helperArg: it serves until stopped, logging to the
// event log.
func TestMain(m *testing.M) {
	for _, a := range os.Args[1:] {
		if a != helperArg {
			continue
		}
		code, err := RunService(func(ctx context.Context, ready func()) int {
			ready()
			<-ctx.Done()
			return 0
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// TestRealServiceManager installs a service that runs this test binary
// through the real seam, checks it runs, then uninstalls it.
func TestRealServiceManager(t *testing.T) {
	if os.Getenv(realSCMEnv) == "" {
		t.Skipf("changes this machine's services: set %s=1 to run it (as an administrator)", realSCMEnv)
	}
	if !Elevated() {
		t.Skip("needs an administrator")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("wgdesk-test-%d", os.Getpid())
	p := NewPlan(exe)
	p.Name, p.EventSource, p.Args = name, name, []string{helperArg}
	p.DisplayName = "wgdesk osservice test"
	p.AutoStart = false // never at the next boot if the test dies halfway
	p.AnyPath = true    // the test binary lives in a temporary folder
	if v, ok := wineVersion(); ok {
		// Wine 8's ChangeServiceConfig2 knows neither
		// SERVICE_CONFIG_SERVICE_SID_INFO nor
		// SERVICE_CONFIG_FAILURE_ACTIONS_FLAG (ERROR_INVALID_LEVEL);
		// Windows has had both since Vista.
		t.Logf("Wine %s: installing without the service SID and without restarts on error exits, which Wine cannot set", v)
		p.SIDType, p.RestartOnError = SIDNone, false
	}
	m := scmManager{s: winSCM{}, name: name}
	t.Cleanup(func() { m.Uninstall(nil) })

	var said []string
	if err := m.Install(p, func(s string) { said = append(said, s) }); err != nil {
		t.Fatalf("install: %v (said %q)", err, said)
	}
	if state, err := m.Status(); err != nil || state != Running {
		t.Fatalf("after install: %s, %v", state, err)
	}
	if l, err := eventlog.Open(name); err != nil {
		t.Errorf("event log source %s: %v", name, err)
	} else {
		l.Info(1, "osservice test")
		l.Close()
	}
	// Installing again updates a running service and leaves it running.
	said = nil
	if err := m.Install(p, func(s string) { said = append(said, s) }); err != nil || !strings.Contains(strings.Join(said, " "), "runs already") {
		t.Errorf("install again: %v (said %q)", err, said)
	}
	start := time.Now()
	if err := m.Uninstall(nil); err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	t.Logf("stopped and removed in %s", time.Since(start).Round(time.Millisecond))
	if state, err := m.Status(); err != nil || state != NotInstalled {
		t.Errorf("after uninstall: %s, %v", state, err)
	}
	if err := m.Uninstall(nil); err != ErrNotInstalled {
		t.Errorf("uninstall again: %v, want ErrNotInstalled", err)
	}
}

// wineVersion is Wine's version when this runs under Wine: its ntdll
// exports wine_get_version, Windows' does not.
func wineVersion() (string, bool) {
	proc := windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version")
	if proc.Find() != nil {
		return "", false
	}
	r, _, _ := proc.Call()
	return windows.BytePtrToString(*(**byte)(unsafe.Pointer(&r))), true
}
