package platform

import (
	"fmt"
	"slices"

	"github.com/wgdesk/wgdesk/config"
)

// winAliaser names an interface by LUID; the real IP helper does
// (connected_windows.go), a test double need not.
type winAliaser interface {
	interfaceAlias(luid uint64) (string, error)
}

// ConnectedSubnets returns the on-link routes (no next hop) of the
// connected interfaces other than the tunnels n manages, each with its
// adapter's alias where the IP helper gives it ("" otherwise).
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
			var alias string
			if a, ok := n.ops.(winAliaser); ok {
				alias, _ = a.interfaceAlias(r.LUID)
			}
			out = append(out, config.LocalSubnet{Prefix: r.Prefix.Masked(), Interface: alias})
		}
	}
	slices.SortFunc(out, func(a, b config.LocalSubnet) int { return comparePrefix(a.Prefix, b.Prefix) })
	return slices.Compact(out), nil
}
