// Package config parses, validates and writes WireGuard tunnel configurations
// in the wg-quick format ([Interface] and [Peer] sections), and imports them
// from files, zip archives, pasted text and QR code images.
//
// The package is pure Go: it imports nothing that touches the operating
// system's network state, so the GUI, the CLI and the service can all use it.
// Addresses are net/netip values; keys are the Key type with strict base64.
package config
