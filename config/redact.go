package config

import "slices"

// Clone returns a deep copy of the config: no slice is shared, so editing
// the copy never changes c.
func (c *Config) Clone() *Config {
	if c == nil {
		return nil
	}
	d := &Config{Interface: c.Interface}
	in := &d.Interface
	in.Addresses = slices.Clone(c.Interface.Addresses)
	in.DNS = slices.Clone(c.Interface.DNS)
	in.DNSSearch = slices.Clone(c.Interface.DNSSearch)
	in.PreUp = slices.Clone(c.Interface.PreUp)
	in.PostUp = slices.Clone(c.Interface.PostUp)
	in.PreDown = slices.Clone(c.Interface.PreDown)
	in.PostDown = slices.Clone(c.Interface.PostDown)
	if c.Peers != nil {
		d.Peers = make([]Peer, len(c.Peers))
		for i, p := range c.Peers {
			p.AllowedIPs = slices.Clone(p.AllowedIPs)
			d.Peers[i] = p
		}
	}
	return d
}

// Redact returns a deep copy with the private key and every preshared key
// zeroed, for callers that may see a tunnel but not its secrets (the GUI
// of a limited user, logs, support bundles). Public keys stay, and so do
// the interface's public key and whether each peer has a preshared key
// (Interface.PublicKey, Peer.HasPresharedKey).
func (c *Config) Redact() *Config {
	d := c.Clone()
	if d == nil {
		return nil
	}
	d.Interface.publicKey = d.Interface.PublicKey()
	d.Interface.PrivateKey = Key{}
	for i := range d.Peers {
		d.Peers[i].hadPresharedKey = d.Peers[i].HasPresharedKey()
		d.Peers[i].PresharedKey = Key{}
	}
	return d
}
