package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/wgdesk/wgdesk/internal/osservice"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// serviceHelperArg marks this test binary started by the service manager
// as `wgdesk service` with the arguments after it.
const serviceHelperArg = "-cli.service-helper"

func TestMain(m *testing.M) {
	if i := slices.Index(os.Args, serviceHelperArg); i > 0 {
		var out bytes.Buffer
		os.Exit(Service(os.Args[i+1:], &out, &out))
	}
	os.Exit(m.Run())
}

// TestServiceUnderServiceManager registers this test binary as the wgdesk
// service, as `wgdesk service install` does, and checks what the service
// manager sees: it runs once the pipe answers, and a stop takes the service
// down through its own teardown. It changes this machine's services, so it
// runs only when WGDESK_REAL_SCM_TEST is set (CI under Wine, or a Windows
// runner as an administrator).
func TestServiceUnderServiceManager(t *testing.T) {
	if os.Getenv("WGDESK_REAL_SCM_TEST") == "" {
		t.Skip("changes this machine's services: set WGDESK_REAL_SCM_TEST=1 to run it (as an administrator)")
	}
	m, err := osservice.New()
	if err != nil {
		t.Fatal(err)
	}
	if !osservice.Elevated() {
		t.Skip("needs an administrator")
	}
	if st, err := m.Status(); err != nil || st != osservice.NotInstalled {
		t.Skipf("a wgdesk service is installed here (%s, %v): not touching it", st, err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	pipe := fmt.Sprintf(`\\.\pipe\wgdesk-scm-test-%d`, os.Getpid())
	stateDir := filepath.Join(os.Getenv("ProgramData"), fmt.Sprintf("wgdesk-scm-test-%d", os.Getpid()))
	t.Cleanup(func() { os.RemoveAll(stateDir) })
	p := osservice.NewPlan(exe)
	p.Args = []string{serviceHelperArg, "--socket", pipe, "--state-dir", stateDir}
	p.AutoStart = false // never at the next boot if the test dies halfway
	p.AnyPath = true    // the test binary lives in a temporary folder
	if v, ok := wineVersion(); ok {
		// See osservice's TestRealServiceManager.
		t.Logf("Wine %s: installing without the service SID and restarts on error exits", v)
		p.SIDType, p.RestartOnError = osservice.SIDNone, false
	}
	t.Cleanup(func() { m.Uninstall(nil) })
	if err := m.Install(p, nil); err != nil {
		t.Fatalf("install: %v", err)
	}
	// Running is reported once the pipe listens: it answers at once.
	c := api.Dial(pipe)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := c.Version(ctx)
	if err != nil {
		t.Fatalf("the running service does not answer on %s: %v", pipe, err)
	}
	t.Logf("service %s answers", v.Version)
	lines, err := c.Log(ctx)
	if err != nil || !strings.Contains(strings.Join(lines, "\n"), "listening on "+pipe) {
		t.Errorf("log %q, %v", lines, err)
	}
	start := time.Now()
	if err := m.Uninstall(nil); err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	t.Logf("stopped and removed in %s", time.Since(start).Round(time.Millisecond))
	if _, err := c.Version(ctx); !errors.Is(err, api.ErrServiceDown) {
		t.Errorf("after the stop: %v, want ErrServiceDown", err)
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
