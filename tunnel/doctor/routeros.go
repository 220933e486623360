package doctor

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/wgdesk/wgdesk/config"
)

// The RouterOS commands the doctor prints. Each is a line of the RouterOS
// manual's WireGuard page (/work/shared/reference, "RoadWarrior WireGuard
// tunnel" and "Firewall considerations"), written on one line with its
// menu path, with the manual's example values replaced by this tunnel's.
// The manual names the router's WireGuard interface wireguard1; the
// doctor cannot know the real name and says so in the fix.

// routerIf is the manual's name of the router's WireGuard interface.
const routerIf = "wireguard1"

// rosAllowWireGuard accepts the WireGuard port in the input chain
// ("Firewall considerations" of the road warrior example).
func rosAllowWireGuard(port uint16) string {
	return fmt.Sprintf(`/ip firewall filter add action=accept chain=input comment="allow WireGuard" dst-port=%d protocol=udp place-before=1`, port)
}

// rosAddPeer adds our public key as a peer with our addresses ("add a new
// peer by specifying the public key of the remote device and allowed
// addresses").
func rosAddPeer(cfg *config.Config) string {
	return fmt.Sprintf(`/interface wireguard peers add allowed-address=%s interface=%s public-key="%s"`,
		strings.Join(hostPrefixes(cfg), ","), routerIf, cfg.Interface.PublicKey())
}

// rosAllowTunnelInput accepts what comes from the tunnel to the router
// itself ("allow the WireGuard subnet in input chain").
func rosAllowTunnelInput(src string) string {
	return fmt.Sprintf(`/ip firewall filter add action=accept chain=input comment="allow WireGuard traffic" src-address=%s place-before=1`, src)
}

// rosAllowForward accepts what comes from the tunnel to the networks
// behind the router (the site to site example's forward rules); dst ""
// leaves dst-address out, for a full tunnel.
func rosAllowForward(src, dst string) string {
	if dst == "" {
		return fmt.Sprintf(`/ip firewall filter add action=accept chain=forward src-address=%s`, src)
	}
	return fmt.Sprintf(`/ip firewall filter add action=accept chain=forward dst-address=%s src-address=%s`, dst, src)
}

// rosDNS lets the router answer DNS from the tunnel: allow-remote-requests
// under IP/DNS (the iOS section of the manual), and the input rule for
// 53/udp and 53/tcp from the tunnel's addresses.
func rosDNS(src string) []string {
	return []string{
		`/ip dns set allow-remote-requests=yes`,
		fmt.Sprintf(`/ip firewall filter add action=accept chain=input comment="allow WireGuard DNS" dst-port=53 protocol=udp src-address=%s place-before=1`, src),
		fmt.Sprintf(`/ip firewall filter add action=accept chain=input comment="allow WireGuard DNS" dst-port=53 protocol=tcp src-address=%s place-before=1`, src),
	}
}

// hostPrefixes are our tunnel addresses as single hosts (/32, /128), what
// the router's allowed-address for this peer must hold.
func hostPrefixes(cfg *config.Config) []string {
	var out []string
	for _, a := range cfg.Interface.Addresses {
		out = append(out, netip.PrefixFrom(a.Addr(), a.Addr().BitLen()).String())
	}
	return out
}

// tunnelSource is the src-address of the router's rules for a family: the
// network of our Address as written (the manual's 192.168.100.0/24), or
// our address alone when the config gives it as a single host.
func tunnelSource(cfg *config.Config, is4 bool) string {
	for _, a := range cfg.Interface.Addresses {
		if a.Addr().Is4() == is4 {
			return a.Masked().String()
		}
	}
	return ""
}
