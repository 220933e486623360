//go:build !windows

package cli

import (
	"io"
	"os"

	"github.com/wgdesk/wgdesk/internal/hints"
	"github.com/wgdesk/wgdesk/tunnel"
)

// needPrivilege is what `wgdesk service` says to a caller without the
// right to run it.
var needPrivilege = hints.Current().NeedPrivilege

// defaultStateDir is --state-dir's default.
func defaultStateDir() string { return tunnel.DefaultStateDir }

// isRootOS reports whether this process may run the service.
func isRootOS() bool { return os.Geteuid() == 0 }

// prepareStateDir has nothing to do here: the store and the journal create
// their directories with mode 0700 themselves.
func prepareStateDir(string) error { return nil }

// runAsOSService is false: systemd runs `wgdesk service` as any terminal
// does, and its journal reads stderr.
func runAsOSService(serviceOptions, io.Writer) (code int, ok bool) { return 0, false }
