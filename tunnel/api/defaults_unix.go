//go:build !windows && !darwin

package api

// DefaultSocket is where the service listens unless told otherwise.
const DefaultSocket = "/run/wgdesk/wgdesk.sock"
