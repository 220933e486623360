//go:build !wgdesk_testhooks

package tunnel

import "context"

// testPauseAfter does nothing: only test builds (tag wgdesk_testhooks,
// testpause_hook.go) can be told to stop after a step of the up sequence.
func testPauseAfter(context.Context, Step) {}
