package cli

import (
	"github.com/wgdesk/wgdesk/config"
)

// ConfigJSON is a tunnel config as `wgdesk parse --json` and the service API
// show it: public material only. It never holds a private or preshared key.
type ConfigJSON struct {
	// Name and Source are set when several configs are listed together.
	Name      string        `json:"name,omitempty"`
	Source    string        `json:"source,omitempty"`
	Interface InterfaceJSON `json:"interface"`
	Peers     []PeerJSON    `json:"peers"`
	Warnings  []string      `json:"warnings,omitempty"`
}

// InterfaceJSON is the [Interface] section without its private key; the
// public key derived from it is shown instead.
type InterfaceJSON struct {
	PublicKey  string   `json:"public_key,omitempty"`
	ListenPort uint16   `json:"listen_port,omitempty"`
	FwMark     uint32   `json:"fwmark,omitempty"`
	Addresses  []string `json:"addresses,omitempty"`
	DNS        []string `json:"dns,omitempty"`
	DNSSearch  []string `json:"dns_search,omitempty"`
	MTU        uint16   `json:"mtu,omitempty"`
	Table      string   `json:"table,omitempty"`
	PreUp      []string `json:"pre_up,omitempty"`
	PostUp     []string `json:"post_up,omitempty"`
	PreDown    []string `json:"pre_down,omitempty"`
	PostDown   []string `json:"post_down,omitempty"`
}

// PeerJSON is one [Peer] section; a preshared key is only reported as
// present.
type PeerJSON struct {
	PublicKey           string   `json:"public_key"`
	HasPresharedKey     bool     `json:"has_preshared_key"`
	AllowedIPs          []string `json:"allowed_ips,omitempty"`
	Endpoint            string   `json:"endpoint,omitempty"` // host:port, host names unresolved, IPv6 in brackets
	PersistentKeepalive uint16   `json:"persistent_keepalive,omitempty"`
}

// NewConfigJSON copies the public parts of c. The interface public key and
// has_preshared_key survive redaction (config.Config.Redact keeps them).
func NewConfigJSON(c *config.Config, warnings []config.Warning) ConfigJSON {
	in := c.Interface
	j := ConfigJSON{
		Interface: InterfaceJSON{
			ListenPort: in.ListenPort,
			FwMark:     in.FwMark,
			Addresses:  strs(in.Addresses),
			DNS:        strs(in.DNS),
			DNSSearch:  clone(in.DNSSearch),
			MTU:        in.MTU,
			Table:      in.Table,
			PreUp:      clone(in.PreUp),
			PostUp:     clone(in.PostUp),
			PreDown:    clone(in.PreDown),
			PostDown:   clone(in.PostDown),
		},
		Peers: make([]PeerJSON, 0, len(c.Peers)),
	}
	if pub := in.PublicKey(); !pub.IsZero() {
		j.Interface.PublicKey = pub.String()
	}
	for _, p := range c.Peers {
		j.Peers = append(j.Peers, PeerJSON{
			PublicKey:           p.PublicKey.String(),
			HasPresharedKey:     p.HasPresharedKey(),
			AllowedIPs:          strs(p.AllowedIPs),
			Endpoint:            p.Endpoint.String(),
			PersistentKeepalive: p.PersistentKeepalive,
		})
	}
	for _, w := range warnings {
		j.Warnings = append(j.Warnings, w.String())
	}
	return j
}

func strs[T interface{ String() string }](xs []T) []string {
	if len(xs) == 0 {
		return nil
	}
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.String()
	}
	return out
}

func clone(xs []string) []string {
	if len(xs) == 0 {
		return nil
	}
	return append([]string(nil), xs...)
}
