package config

import (
	"net/netip"
	"strconv"
)

// Config is one WireGuard tunnel: the local interface and its peers.
type Config struct {
	Interface Interface
	Peers     []Peer
}

// Interface holds the [Interface] section of a wg-quick file.
type Interface struct {
	PrivateKey Key
	ListenPort uint16 // 0: chosen at random by the device
	FwMark     uint32 // 0: off
	Addresses  []netip.Prefix
	DNS        []netip.Addr // name servers
	DNSSearch  []string     // search domains (non-IP values of DNS=)
	MTU        uint16       // 0: automatic
	Table      string       // "", "auto", "off", a number or a name
	PreUp      []string     // raw shell commands, kept in order
	PostUp     []string
	PreDown    []string
	PostDown   []string
	SaveConfig bool

	// publicKey keeps the public key of a redacted config, whose
	// PrivateKey is zero.
	publicKey Key
}

// PublicKey is the interface's public key: derived from PrivateKey, or
// the one kept by Redact. Zero when neither is known.
func (in Interface) PublicKey() Key {
	if !in.PrivateKey.IsZero() {
		return in.PrivateKey.PublicKey()
	}
	return in.publicKey
}

// Peer holds one [Peer] section.
type Peer struct {
	PublicKey           Key
	PresharedKey        Key // zero: none
	AllowedIPs          []netip.Prefix
	Endpoint            Endpoint // zero: none
	PersistentKeepalive uint16   // seconds; 0: off

	// hadPresharedKey records, in a redacted config, that a preshared key
	// was set before Redact zeroed it.
	hadPresharedKey bool
}

// HasPresharedKey reports whether the peer uses a preshared key, also in a
// redacted config.
func (p Peer) HasPresharedKey() bool { return !p.PresharedKey.IsZero() || p.hadPresharedKey }

// Endpoint is a peer's UDP address as written in the file: a host name or an
// IP address and a port. Host names stay unresolved until a tunnel starts.
type Endpoint struct {
	Host string // host name or IP literal, IPv6 without brackets
	Port uint16
}

// IsZero reports whether no endpoint is set.
func (e Endpoint) IsZero() bool { return e.Host == "" && e.Port == 0 }

// String gives host:port, with IPv6 literals in brackets.
func (e Endpoint) String() string {
	if e.IsZero() {
		return ""
	}
	host := e.Host
	if a, err := netip.ParseAddr(host); err == nil && a.Is6() && !a.Is4In6() {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(int(e.Port))
}

// Warning is something the parser repaired or tolerated; the config is
// usable but the user should know (for example a RouterOS doubled port).
type Warning struct {
	Line    int
	Key     string
	Message string
}

func (w Warning) String() string {
	if w.Line > 0 {
		return "line " + strconv.Itoa(w.Line) + ": " + w.Message
	}
	return w.Message
}
