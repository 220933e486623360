package platform

import (
	"fmt"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/wgdesk/wgdesk/config"
)

// onLinkSubnets reads the routes of the main table without a gateway on
// the links not in skip (by index): the subnets the links are directly
// connected to (isSubnetRoute), sorted, each with its link's name. It is
// what Allow LAN opens under the kill switch and what the subnet
// collision warning compares a tunnel's routes with.
func onLinkSubnets(nl *netlink.Handle, linkByIndex func(int) (netlink.Link, error), skip func(netlink.Link) bool) ([]config.LocalSubnet, error) {
	routes, err := nl.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	names := map[int]string{}
	var out []config.LocalSubnet
	for _, r := range routes {
		if r.Gw != nil || len(r.MultiPath) > 0 || r.Type != unix.RTN_UNICAST {
			continue
		}
		p, ok := prefixOf(r.Dst)
		if !ok || !isSubnetRoute(p) {
			continue
		}
		name, seen := names[r.LinkIndex]
		if !seen {
			l, err := linkByIndex(r.LinkIndex)
			switch {
			case err != nil:
				name = "" // gone meanwhile
			case skip(l):
				name = "\x00"
			default:
				name = l.Attrs().Name
			}
			names[r.LinkIndex] = name
		}
		if name == "\x00" || name == "" {
			continue
		}
		out = append(out, config.LocalSubnet{Prefix: p.Masked(), Interface: name})
	}
	slices.SortFunc(out, func(a, b config.LocalSubnet) int {
		if c := comparePrefix(a.Prefix, b.Prefix); c != 0 {
			return c
		}
		return compareStrings(a.Interface, b.Interface)
	})
	return slices.Compact(out), nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ConnectedSubnets returns the subnets of the uplinks, leaving out
// loopback and the tunnels this Network manages or has kill switches for.
func (n *linuxNetwork) ConnectedSubnets() ([]config.LocalSubnet, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.connectedLocalLocked(n.fw.on)
}

// connectedLocalLocked is ConnectedSubnets with n.mu held; on are the kill
// switches about to be in force, whose interfaces are tunnels too.
func (n *linuxNetwork) connectedLocalLocked(on map[string]nftTunnel) ([]config.LocalSubnet, error) {
	ours := map[string]bool{"lo": true}
	for name := range n.owned {
		ours[name] = true
	}
	for name := range on {
		ours[name] = true
	}
	for name := range n.wantRules {
		ours[name] = true
	}
	return onLinkSubnets(n.seams.nl, n.seams.linkByIndex, func(l netlink.Link) bool { return ours[l.Attrs().Name] })
}

// ConnectedSubnets returns the subnets this machine is directly connected
// to, in this network namespace, leaving out loopback and TUN and
// WireGuard links (tunnels, ours or another client's). The service's
// Network knows its tunnels by name: prefer ConnectedSubnetsOf there.
func ConnectedSubnets() ([]config.LocalSubnet, error) {
	nl, err := netlink.NewHandle()
	if err != nil {
		return nil, fmt.Errorf("open netlink: %w", err)
	}
	defer nl.Close()
	return onLinkSubnets(nl, nl.LinkByIndex, func(l netlink.Link) bool {
		t := l.Type()
		return l.Attrs().Name == "lo" || t == "tuntap" || t == "wireguard" || t == "tun"
	})
}
