//go:build !linux

package tunnel

// NewRouteChecker returns the system's route lookup: on Windows and
// macOS a UDP connect (autostart_connect.go), which asks the system's
// own routing table, policy and scoped routes included.
func NewRouteChecker() RouteChecker { return newConnectRoutes() }
