package platform

import (
	"fmt"
	"slices"

	"github.com/wgdesk/wgdesk/config"
)

// ConnectedSubnets returns the on-link routes (no next hop) of the
// connected interfaces other than the tunnels n manages. The IP helper
// names interfaces by LUID only, so Interface is "": the warning then
// says "a network this computer is on".
func (n *winNetwork) ConnectedSubnets() ([]config.LocalSubnet, error) {
	n.mu.Lock()
	ours := map[uint64]bool{}
	for name := range n.cur {
		if luid, err := n.ops.interfaceLUID(name); err == nil {
			ours[luid] = true
		}
	}
	n.mu.Unlock()
	var out []config.LocalSubnet
	for _, fam := range []int{4, 6} {
		rs, err := n.ops.routes(fam)
		if err != nil {
			return nil, fmt.Errorf("read ipv%d routing table: %w", fam, err)
		}
		for _, r := range rs {
			if ours[r.LUID] || (r.NextHop.IsValid() && !r.NextHop.IsUnspecified()) || !isSubnetRoute(r.Prefix) {
				continue
			}
			out = append(out, config.LocalSubnet{Prefix: r.Prefix.Masked()})
		}
	}
	slices.SortFunc(out, func(a, b config.LocalSubnet) int { return comparePrefix(a.Prefix, b.Prefix) })
	return slices.Compact(out), nil
}
