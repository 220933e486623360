package api

// DefaultSocket is where the service listens unless told otherwise. macOS
// has no /run (its root volume is read-only since 10.15); /var/run is the
// system's run directory.
const DefaultSocket = "/var/run/wgdesk/wgdesk.sock"
