//go:build !linux

package tunnel

import "context"

// On macOS and Windows the Network's Watcher reports network changes
// (rewatch.go kicks the endpoint names' loop after each re-apply); resume
// from sleep shows as one of those changes, the uplink coming back.
var (
	watchLinksOS  func(ctx context.Context, changed func()) error
	watchResumeOS func(ctx context.Context, changed func()) error
)
