package config

import (
	"fmt"
	"strings"
)

// MTU limits. wg-quick itself checks nothing and lets the kernel refuse;
// we refuse earlier and explain. 576 is the smallest datagram every IPv4
// host must accept (RFC 791), and IPv6 needs links of at least 1280 bytes
// (RFC 8200), so a tunnel that carries IPv6 must not go below that.
const (
	minMTU     = 576
	minMTUIPv6 = 1280
)

// MaxAllowedIPs bounds the AllowedIPs of one config, all peers together.
// A whole country's list fits with room to spare: the longest, that of
// the United States, IPv4 and IPv6 together, is a few tens of thousands
// of networks even before aggregation. Each network becomes a route in
// the kernel and an entry in the device's table, and the service
// compares the list with every other running tunnel's before a start;
// the bound keeps all of that to a known size. Text at the 1 MiB limit
// holds about this many of the shortest entries, so the bound matters
// for configs built in code and for lists of near duplicates.
const MaxAllowedIPs = 100_000

// Validate runs the checks Parse does on a config built or edited in code:
// a private key, valid addresses, servers, search domains, MTU, Table and
// one-line scripts; per peer a public key (no two alike), valid AllowedIPs
// and a complete endpoint. The error is a *ParseError with Line 0. A config
// that passes is written by Marshal as text that Parse reads back as the
// same config (IP literals of endpoints in their canonical spelling).
func (c *Config) Validate() error {
	if err := c.validate(nil); err != nil {
		return err
	}
	return nil
}

// validate returns the first problem in file order; pos gives the lines
// when c came from Parse, nil otherwise.
func (c *Config) validate(pos *positions) *ParseError {
	var errs []*ParseError
	add := func(e *ParseError) { errs = append(errs, e) }
	in := &c.Interface

	if in.PrivateKey.IsZero() {
		add(lineError(pos.ifaceLine(), "PrivateKey", "missing PrivateKey in [Interface]",
			"add PrivateKey = <output of wg genkey>"))
	}
	hasIPv6 := false
	for _, p := range in.Addresses {
		if !p.IsValid() || p.Addr().Zone() != "" {
			add(lineError(0, "Address", "invalid Address", "use an IP address with a prefix length"))
			continue
		}
		if p.Addr().Is6() && !p.Addr().Is4In6() {
			hasIPv6 = true
		}
	}
	for _, a := range in.DNS {
		if !a.IsValid() || a.Zone() != "" {
			add(lineError(0, "DNS", "invalid DNS server address", "use an IPv4 or IPv6 address without zone"))
		}
	}
	for _, s := range in.DNSSearch {
		if !validHostname(s) {
			add(lineError(0, "DNS", "invalid DNS search domain", "use a domain name such as example.com"))
		}
	}
	if in.MTU != 0 && in.MTU < minMTU {
		add(lineError(pos.mtuLine(), "MTU", fmt.Sprintf("invalid MTU, below %d", minMTU),
			"use 1280 to 1500, or leave MTU out for an automatic value"))
	} else if in.MTU != 0 && in.MTU < minMTUIPv6 && hasIPv6 {
		add(lineError(pos.mtuLine(), "MTU", fmt.Sprintf("too small MTU %d for IPv6, which needs %d or more", in.MTU, minMTUIPv6),
			"use 1280 or more, or leave MTU out for an automatic value"))
	}
	if in.Table != "" && !validTable(in.Table) {
		add(lineError(0, "Table", "invalid Table", "use off, auto, a number or a name of letters, digits, _ and -"))
	}
	for _, sc := range []struct {
		key  string
		cmds []string
	}{{"PreUp", in.PreUp}, {"PostUp", in.PostUp}, {"PreDown", in.PreDown}, {"PostDown", in.PostDown}} {
		key := sc.key
		for _, s := range sc.cmds {
			if s == "" || s != strings.TrimSpace(s) || strings.ContainsAny(s, "\r\n\x00") {
				add(lineError(0, key, "invalid "+key+" command, empty, on several lines or with spaces around it",
					"write one command per line without leading or trailing spaces"))
			}
		}
	}

	seen := map[Key]int{} // public key -> index of the first peer with it
	for i := range c.Peers {
		p := &c.Peers[i]
		if p.PublicKey.IsZero() {
			add(lineError(pos.peerLine(i), "PublicKey", fmt.Sprintf("missing PublicKey in [Peer] number %d", i+1),
				"add PublicKey = <the peer's public key>"))
		} else if j, dup := seen[p.PublicKey]; dup {
			where := fmt.Sprintf("on line %d", pos.publicKeyLine(j))
			if pos == nil {
				where = fmt.Sprintf("in [Peer] number %d", j+1)
			}
			add(lineError(pos.publicKeyLine(i), "PublicKey", fmt.Sprintf("duplicate PublicKey %s… (also %s)",
				p.PublicKey.String()[:8], where),
				"each [Peer] needs its own public key; delete or merge the duplicate peer"))
		} else {
			seen[p.PublicKey] = i
		}
		for _, a := range p.AllowedIPs {
			if !a.IsValid() || a.Addr().Zone() != "" {
				add(lineError(pos.peerLine(i), "AllowedIPs", "invalid AllowedIPs entry", "use networks such as 10.0.0.0/24"))
			}
		}
		if e := p.Endpoint; !e.IsZero() {
			if _, _, msg, hint := parseEndpoint(e.String()); msg != "" {
				add(lineError(pos.peerLine(i), "Endpoint", msg, hint))
			}
		}
	}
	total := 0
	for i := range c.Peers {
		total += len(c.Peers[i].AllowedIPs)
		if total > MaxAllowedIPs {
			add(lineError(pos.peerLine(i), "AllowedIPs", fmt.Sprintf("too many AllowedIPs: more than %d networks in all", MaxAllowedIPs),
				"merge neighbouring networks into larger ones (one /16 instead of 256 /24s)"))
			break
		}
	}
	if len(errs) == 0 {
		return nil
	}
	first := errs[0]
	for _, e := range errs[1:] {
		if e.Line < first.Line {
			first = e
		}
	}
	return first
}
