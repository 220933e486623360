// Package packaging holds what installs wgdesk on each OS. Go code reads
// the systemd unit from here, so that `wgdesk service install` and
// install.sh register the same service.
package packaging

import _ "embed"

// SystemdUnit is wgdesk.service, the Linux service's systemd unit.
//
//go:embed wgdesk.service
var SystemdUnit string
