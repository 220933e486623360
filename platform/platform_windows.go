package platform

import (
	"os"
	"path/filepath"
)

// New returns the Windows implementation: addresses, routes, interface
// MTU and metric, and DNS of the Wintun adapter through the IP Helper API
// (winipcfg), with host routes that keep the endpoints on the uplink. The
// journal defaults to %ProgramData%\wgdesk\platform. It implements
// Watcher with the IP Helper API's change notifications, and Firewaller
// with a kill switch of our own WFP filters (winfirewall.go).
func New(opts Options) (Network, error) {
	if opts.StateDir == "" {
		base := os.Getenv("ProgramData")
		if base == "" {
			base = `C:\ProgramData`
		}
		opts.StateDir = filepath.Join(base, "wgdesk")
	}
	n := newWinNetwork(opts, winIPHelper{})
	n.register = registerWinChanges
	n.fw = &wfpEngine{}
	return n, nil
}
