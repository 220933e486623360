package platform

import (
	"github.com/wgdesk/wgdesk/config"
)

// ConnectedSubnets returns the subnets this Mac is directly connected to
// (netstat -rn), leaving out loopback and every utun (tunnels, ours or
// another client's).
func ConnectedSubnets() ([]config.LocalSubnet, error) {
	return (&macNetwork{run: macExec{}}).ConnectedSubnets()
}
