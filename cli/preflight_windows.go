package cli

import "github.com/wgdesk/wgdesk/internal/wintun"

// preflight checks, when the service starts, what tunnels will need from
// the system, and logs what it finds. Nothing here stops the service: it
// still answers the GUI and reports, and `up` then fails with the same
// sentence. On Windows that is wintun.dll, which wireguard-go loads from
// the executable's folder or System32 when it creates an adapter.
func preflight(log func(string, ...any)) {
	path, err := wintun.Find()
	if err != nil {
		log("tunnels cannot start: %v", err)
		return
	}
	log("using %s", path)
}
