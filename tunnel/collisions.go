package tunnel

import (
	"errors"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/platform"
)

// connectedSubnetsOf is how a Manager reads the directly connected
// subnets for the collision warnings: its Network's (platform.
// ConnectedSubnetsOf), which leaves out the tunnels it manages.
func connectedSubnetsOf(n platform.Network) func() ([]config.LocalSubnet, error) {
	return func() ([]config.LocalSubnet, error) { return platform.ConnectedSubnetsOf(n) }
}

// collisionWarnings are the sentences of config.Collisions for cfg
// against the subnets this machine is on now: a route of the tunnel that
// overlaps a LAN (RouterOS's 192.168.88.0/24 at home and at the café).
// Each is logged. The Manager calls it without holding mu: reading the
// routing table is a system call. A system that cannot list its subnets
// gives none, and says so only in the verbose log.
func (m *Manager) collisionWarnings(name string, cfg *config.Config) []string {
	if m.connected == nil || cfg == nil {
		return nil
	}
	local, err := m.connected()
	if err != nil {
		if !errors.Is(err, errors.ErrUnsupported) {
			m.log.Error("tunnel %s: read the connected subnets for the collision check: %v", name, err)
		}
		return nil
	}
	var out []string
	for _, c := range config.Collisions(name, cfg, local) {
		s := c.String()
		m.log.Error("tunnel %s: warning: %s", name, s)
		out = append(out, s)
	}
	return out
}
