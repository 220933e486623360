package config

import (
	"net/netip"
	"strconv"
	"strings"
)

// Marshal writes the config as canonical wg-quick text: [Interface], then
// each [Peer] after a blank line, keys in a fixed order and spelling, zero
// values left out, LF line ends. Address, DNS (servers, then search
// domains) and AllowedIPs are written as one comma list each; scripts one
// line per command. For every config Parse returns, Parse(c.Marshal())
// gives the same config back.
func (c *Config) Marshal() []byte {
	var b strings.Builder
	in := &c.Interface
	b.WriteString("[Interface]\n")
	if !in.PrivateKey.IsZero() {
		writeKey(&b, "PrivateKey", in.PrivateKey.String())
	}
	if in.ListenPort != 0 {
		writeKey(&b, "ListenPort", strconv.Itoa(int(in.ListenPort)))
	}
	if in.FwMark != 0 {
		// wg showconf prints the mark in hex; wg-quick reads either.
		writeKey(&b, "FwMark", "0x"+strconv.FormatUint(uint64(in.FwMark), 16))
	}
	if len(in.Addresses) > 0 {
		writeKey(&b, "Address", joinPrefixes(in.Addresses))
	}
	if len(in.DNS)+len(in.DNSSearch) > 0 {
		list := make([]string, 0, len(in.DNS)+len(in.DNSSearch))
		for _, a := range in.DNS {
			list = append(list, a.String())
		}
		list = append(list, in.DNSSearch...)
		writeKey(&b, "DNS", strings.Join(list, ", "))
	}
	if in.MTU != 0 {
		writeKey(&b, "MTU", strconv.Itoa(int(in.MTU)))
	}
	if in.Table != "" {
		writeKey(&b, "Table", in.Table)
	}
	for _, s := range in.PreUp {
		writeKey(&b, "PreUp", s)
	}
	for _, s := range in.PostUp {
		writeKey(&b, "PostUp", s)
	}
	for _, s := range in.PreDown {
		writeKey(&b, "PreDown", s)
	}
	for _, s := range in.PostDown {
		writeKey(&b, "PostDown", s)
	}
	if in.SaveConfig {
		writeKey(&b, "SaveConfig", "true")
	}
	for i := range c.Peers {
		p := &c.Peers[i]
		b.WriteString("\n[Peer]\n")
		if !p.PublicKey.IsZero() {
			writeKey(&b, "PublicKey", p.PublicKey.String())
		}
		if !p.PresharedKey.IsZero() {
			writeKey(&b, "PresharedKey", p.PresharedKey.String())
		}
		if len(p.AllowedIPs) > 0 {
			writeKey(&b, "AllowedIPs", joinPrefixes(p.AllowedIPs))
		}
		if !p.Endpoint.IsZero() {
			writeKey(&b, "Endpoint", p.Endpoint.String())
		}
		if p.PersistentKeepalive != 0 {
			writeKey(&b, "PersistentKeepalive", strconv.Itoa(int(p.PersistentKeepalive)))
		}
	}
	return []byte(b.String())
}

func writeKey(b *strings.Builder, key, value string) {
	b.WriteString(key)
	b.WriteString(" = ")
	b.WriteString(value)
	b.WriteByte('\n')
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}
