package netlab

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// HooksTag is the build tag of a wgdesk binary that honours test hooks
// (WGDESK_TEST_PAUSE_AT, tunnel/testpause_hook.go); release builds lack it.
const HooksTag = "wgdesk_testhooks"

// PauseEnv, set to an up step's name (tunnel.Step) in the environment of
// a service built by BuildTestHooks, makes it stop after that step until
// it is killed; it prints PausedLine and the step's name when it does.
const (
	PauseEnv   = "WGDESK_TEST_PAUSE_AT"
	PausedLine = "wgdesk test hook: paused after step "
)

var hooksBuilt string // the binary BuildTestHooks made, under buildMu

// BuildTestHooks builds wgdesk without cgo and with HooksTag, once per
// test process; Main removes it.
func BuildTestHooks(t testing.TB) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if hooksBuilt != "" {
		return hooksBuilt
	}
	dir, err := os.MkdirTemp("", "wgdesk-netlab-hooks-")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "wgdesk")
	cmd := exec.Command("go", "build", "-tags", HooksTag, "-o", bin, "github.com/wgdesk/wgdesk")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		t.Fatalf("build wgdesk -tags %s: %v\n%s", HooksTag, err, out)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	hooksBuilt = bin
	return bin
}
