package api

// DefaultSocket is where the service listens unless told otherwise. macOS
// has no /run (its root volume is read-only since 10.15); /var/run is the
// system's run directory. The socket sits in a folder of its own rather
// than at /var/run/wgdesk.sock: /var/run is root:daemon with mode 0775 on
// macOS, so a process of the group daemon could unlink the socket and
// listen in its place, and Listen (listen_unix.go) accepts only a folder
// that no one but root may write to.
const DefaultSocket = "/var/run/wgdesk/wgdesk.sock"
