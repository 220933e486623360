//go:build wgdesk_testhooks

package tunnel

import (
	"context"
	"fmt"
	"os"
)

// testPauseEnv names the step after which a test build's engine stops
// and waits, so that a lab can kill the service there (see
// tunnel/e2e/fault_linux_test.go). Only binaries built with the
// wgdesk_testhooks tag read it; testpause_off.go is what ships.
const testPauseEnv = "WGDESK_TEST_PAUSE_AT"

// testPauseAfter blocks once step has been done, when the environment asks
// for it, until ctx ends (the request gives up) or the process is killed.
// The line on stderr tells the lab that the pause has begun.
func testPauseAfter(ctx context.Context, step Step) {
	if os.Getenv(testPauseEnv) != string(step) {
		return
	}
	fmt.Fprintf(os.Stderr, "wgdesk test hook: paused after step %s\n", step)
	<-ctx.Done()
}
