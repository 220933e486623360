package tunnel

import (
	"errors"
	"slices"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/platform"
)

// connectedSubnetsOf is how a Manager reads the directly connected
// subnets for the collision warnings: its Network's (platform.
// ConnectedSubnetsOf), which leaves out the tunnels it manages.
func connectedSubnetsOf(n platform.Network) func() ([]config.LocalSubnet, error) {
	return func() ([]config.LocalSubnet, error) { return platform.ConnectedSubnetsOf(n) }
}

// CollisionWarnings are the sentences of LANOverlaps (lanoverlap.go, the
// check the doctor makes too) for cfg against the subnets local: a route
// of the tunnel that overlaps a LAN this machine is on, such as
// RouterOS's 192.168.88.0/24 at home and at the café. The routes are
// TunnelRoutes and the interface addresses' subnets, which become
// on-link routes of the tunnel as well.
func CollisionWarnings(cfg *config.Config, local []config.LocalSubnet) []string {
	if cfg == nil || len(local) == 0 {
		return nil
	}
	routes := TunnelRoutes(cfg)
	for _, a := range cfg.Interface.Addresses {
		if a.Bits() < a.Addr().BitLen() { // a /32 makes no subnet route
			routes = append(routes, a.Masked())
		}
	}
	slices.SortFunc(routes, comparePrefixes)
	routes = slices.Compact(routes)
	lans := make([]ConnectedNet, 0, len(local))
	for _, l := range local {
		if l.Prefix.Addr().IsLinkLocalUnicast() {
			continue
		}
		on := l.Interface
		if on == "" {
			on = "a network adapter" // the OS did not name it
		}
		lans = append(lans, ConnectedNet{Prefix: l.Prefix.Masked(), Interface: on})
	}
	var out []string
	for _, o := range LANOverlaps(routes, lans) {
		out = append(out, o.Sentence())
	}
	return out
}

// collisionWarnings is CollisionWarnings against the subnets this
// machine is on now; each is logged. The Manager calls it without
// holding mu: reading the routing table is a system call. A system that
// cannot list its subnets gives none.
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
	ws := CollisionWarnings(cfg, local)
	for _, s := range ws {
		m.log.Error("tunnel %s: warning: %s", name, s)
	}
	return ws
}
