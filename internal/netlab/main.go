package netlab

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// dnsHelperEnv, when set in a test binary's environment, makes Main serve
// DNS on the address it names instead of running the tests.
const dnsHelperEnv = "WGDESK_NETLAB_DNS"

var (
	mainRan bool // Main is in charge of this test binary

	buildMu sync.Mutex
	built   = map[bool]string{} // cgo -> the binary built once per process
)

// Main runs the tests of a package that uses labs: call it from TestMain.
// In the child copy a lab starts as its DNS server it serves DNS instead;
// after the tests it removes the binaries Build made.
func Main(m *testing.M) {
	if addr := os.Getenv(dnsHelperEnv); addr != "" {
		os.Exit(serveDNS(addr))
	}
	mainRan = true
	code := m.Run()
	buildMu.Lock()
	for _, bin := range built {
		os.RemoveAll(filepath.Dir(bin))
	}
	if hooksBuilt != "" {
		os.RemoveAll(filepath.Dir(hooksBuilt))
	}
	buildMu.Unlock()
	os.Exit(code)
}

// Build builds the wgdesk binary once per test process, with or without
// cgo (the desktop app needs it), into a directory anyone may read and
// execute, so that tests can run it as another user. Main removes it.
func Build(t testing.TB, cgo bool) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if bin, ok := built[cgo]; ok {
		return bin
	}
	dir, err := os.MkdirTemp("", "wgdesk-netlab-bin-")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "wgdesk")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/wgdesk/wgdesk")
	cgoEnv := "CGO_ENABLED=0"
	if cgo {
		cgoEnv = "CGO_ENABLED=1"
	}
	cmd.Env = append(os.Environ(), cgoEnv)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		t.Fatalf("build wgdesk (%s): %v\n%s", cgoEnv, err, out)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	built[cgo] = bin
	return bin
}
