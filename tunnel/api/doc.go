// Package api is the local control API of the wgdesk service: HTTP/1.1 with
// JSON bodies over a Unix socket (a named pipe on Windows), and the client
// the CLI and the GUI use.
//
// Every path is under /v1/. Answers never carry private or preshared keys,
// except GET /v1/tunnels/{name}/config, which exists for `wgdesk export`.
// GET /v1/log gives the service's latest log lines (which never hold keys).
// GET /v1/debug/runtime gives administrators the service's goroutine count
// and live heap after a garbage collection, for leak checks (the soak test).
// PUT /v1/tunnels/{name}/options sets a tunnel's kill switch and Allow LAN;
// tunnel answers carry those options and what the kill switch does now.
// Both came after version 1 was first released, as additions: a newer
// client reads an older service's answers (no options fields), and its
// SetOptions reports an older service as unsupported.
// POST /v1/tunnels/{name}/doctor runs the connection doctor (package
// tunnel/doctor) and answers its report: one verdict per check, with the
// fix and RouterOS commands, and no key but the tunnel's public one. It
// activates an inactive tunnel for the checks and deactivates it again,
// so it may take half a minute; members may call it for any tunnel, as
// they may switch any tunnel on and off. A client reports an older
// service without it as unsupported.
// Errors carry a stable code (see the Code constants) that callers map to
// their own text.
//
// GET /v1/events is a stream of JSON lines: a snapshot of every tunnel,
// then one line per change. Stats lines (every second per active tunnel)
// carry the figures without the config; clients keep the config of the
// snapshot or of the tunnel's last other line. The server bounds reading
// a request, writing an answer and idle connections (Options); a stream
// bounds each of its writes instead, and each account may hold a few
// streams open, the service a few dozen (too_many_streams beyond).
//
// Who may call is decided once per connection, when it is accepted, from
// the kernel's view of the peer process (SO_PEERCRED on Linux,
// LOCAL_PEERCRED on macOS): root, or a process in the group wgdesk. On
// Windows the pipe's security descriptor admits only LocalSystem, the
// Administrators and the local group wgdesk, and then the client process's
// token must be LocalSystem's, an elevated administrator's or a member's.
// Every other caller gets permission_denied on every endpoint but
// /v1/version. Platforms without a credential source refuse everyone, and
// so does any failure to learn who calls (fail closed).
//
// Admitted callers come in two tiers (tunnel.Caller). Administrators
// (root; LocalSystem or an elevated administrator on Windows) may do
// everything. Members of wgdesk list tunnels, switch any of them on and
// off, and read events and the log, none of which carries a key; they may
// import within a quota, and import, delete, export (GET .../config) and
// set options only for tunnels they imported themselves. Their configs may
// not hold scripts, FwMark, a system routing table or a ListenPort below
// 1024. Refusals carry not_owner, need_admin or quota_exceeded and a hint.
package api
