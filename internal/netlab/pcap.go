package netlab

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"
)

// Packet is one frame of a capture, decoded as far as the leak tests
// need: who talked to whom, over what.
type Packet struct {
	Time time.Time
	// Kind is "arp", "ipv4" or "ipv6" for IP packets whose transport is
	// not decoded, "udp", "tcp", "icmp", "icmpv6", or "ethertype 0xNNNN".
	Kind     string
	Src, Dst netip.AddrPort // ports are 0 where the transport has none
	// TCPFlags is the TCP header's flag byte; ICMPType the ICMP or
	// ICMPv6 message type.
	TCPFlags uint8
	ICMPType uint8
	// Payload is what follows the UDP header (for the other kinds, what
	// follows the IP header).
	Payload []byte
}

// String renders p as a line for a test's failure message.
func (p Packet) String() string {
	var b strings.Builder
	b.WriteString(p.Kind)
	switch p.Kind {
	case "udp", "tcp":
		fmt.Fprintf(&b, " %s > %s", p.Src, p.Dst)
	default:
		if p.Src.Addr().IsValid() {
			fmt.Fprintf(&b, " %s > %s", p.Src.Addr(), p.Dst.Addr())
		}
	}
	if p.Kind == "tcp" {
		b.WriteString(" [")
		for i, f := range "FSRPAU" {
			if p.TCPFlags&(1<<i) != 0 {
				b.WriteRune(f)
			}
		}
		b.WriteString("]")
	}
	if p.Kind == "icmp" || p.Kind == "icmpv6" {
		fmt.Fprintf(&b, " type %d", p.ICMPType)
	}
	if p.Kind == "udp" {
		fmt.Fprintf(&b, " %d bytes", len(p.Payload))
	}
	return b.String()
}

// Involves reports whether ap is p's source or destination.
func (p Packet) Involves(ap netip.AddrPort) bool { return p.Src == ap || p.Dst == ap }

const (
	pcapMagicMicro = 0xa1b2c3d4
	pcapMagicNano  = 0xa1b23c4d
	linkEthernet   = 1
)

// ReadPcap reads a classic pcap file of Ethernet frames, as tcpdump -w
// writes it, and decodes every frame. A record cut short at the end (the
// writer is still at it) ends the list without an error, so that a file
// can be read while tcpdump writes it.
func ReadPcap(r io.Reader) ([]Packet, error) {
	hdr := make([]byte, 24)
	if _, err := io.ReadFull(r, hdr); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil // not even the header written yet
		}
		return nil, fmt.Errorf("read pcap header: %w", err)
	}
	var order binary.ByteOrder
	var nano bool
	switch {
	case binary.LittleEndian.Uint32(hdr) == pcapMagicMicro:
		order = binary.LittleEndian
	case binary.BigEndian.Uint32(hdr) == pcapMagicMicro:
		order = binary.BigEndian
	case binary.LittleEndian.Uint32(hdr) == pcapMagicNano:
		order, nano = binary.LittleEndian, true
	case binary.BigEndian.Uint32(hdr) == pcapMagicNano:
		order, nano = binary.BigEndian, true
	default:
		return nil, fmt.Errorf("not a pcap file: magic %x", hdr[:4])
	}
	if link := order.Uint32(hdr[20:24]); link&0xffff != linkEthernet {
		return nil, fmt.Errorf("pcap link type %d, want Ethernet (1)", link&0xffff)
	}
	var pkts []Packet
	rec := make([]byte, 16)
	for {
		if _, err := io.ReadFull(r, rec); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return pkts, nil
			}
			return pkts, fmt.Errorf("read pcap record: %w", err)
		}
		sec, frac := order.Uint32(rec[0:4]), order.Uint32(rec[4:8])
		n := order.Uint32(rec[8:12])
		if n > 1<<18 {
			return pkts, fmt.Errorf("pcap record of %d bytes", n)
		}
		frame := make([]byte, n)
		if _, err := io.ReadFull(r, frame); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return pkts, nil
			}
			return pkts, fmt.Errorf("read pcap record: %w", err)
		}
		if !nano {
			frac *= 1000
		}
		p := DecodeEthernet(frame)
		p.Time = time.Unix(int64(sec), int64(frac))
		pkts = append(pkts, p)
	}
}

// DecodeEthernet decodes an Ethernet frame; what it cannot decode keeps
// Kind and whatever addresses it found.
func DecodeEthernet(f []byte) Packet {
	if len(f) < 14 {
		return Packet{Kind: "runt"}
	}
	et := binary.BigEndian.Uint16(f[12:14])
	f = f[14:]
	for et == 0x8100 && len(f) >= 4 { // 802.1Q tags
		et = binary.BigEndian.Uint16(f[2:4])
		f = f[4:]
	}
	switch et {
	case 0x0806:
		p := Packet{Kind: "arp"}
		if len(f) >= 28 && f[4] == 6 && f[5] == 4 {
			p.Src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(f[14:18])), 0)
			p.Dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(f[24:28])), 0)
		}
		return p
	case 0x0800:
		return decodeIPv4(f)
	case 0x86dd:
		return decodeIPv6(f)
	}
	return Packet{Kind: fmt.Sprintf("ethertype 0x%04x", et)}
}

func decodeIPv4(b []byte) Packet {
	p := Packet{Kind: "ipv4"}
	if len(b) < 20 || b[0]>>4 != 4 {
		return p
	}
	ihl := int(b[0]&0xf) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if ihl < 20 || total < ihl || len(b) < ihl {
		return p
	}
	if total < len(b) {
		b = b[:total] // Ethernet padding
	}
	src, dst := netip.AddrFrom4([4]byte(b[12:16])), netip.AddrFrom4([4]byte(b[16:20]))
	p.Src, p.Dst = netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)
	if binary.BigEndian.Uint16(b[6:8])&0x1fff != 0 {
		return p // a later fragment carries no transport header
	}
	return decodeTransport(p, b[9], b[ihl:])
}

func decodeIPv6(b []byte) Packet {
	p := Packet{Kind: "ipv6"}
	if len(b) < 40 || b[0]>>4 != 6 {
		return p
	}
	src, dst := netip.AddrFrom16([16]byte(b[8:24])), netip.AddrFrom16([16]byte(b[24:40]))
	p.Src, p.Dst = netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)
	next := b[6]
	if plen := int(binary.BigEndian.Uint16(b[4:6])); 40+plen < len(b) {
		b = b[:40+plen]
	}
	b = b[40:]
	for {
		switch next {
		case 0, 43, 60: // hop-by-hop (MLD has one), routing, destination options
			if len(b) < 8 || len(b) < (int(b[1])+1)*8 {
				return p
			}
			next, b = b[0], b[(int(b[1])+1)*8:]
			continue
		case 44: // fragment
			if len(b) < 8 || binary.BigEndian.Uint16(b[2:4])&0xfff8 != 0 {
				return p
			}
			next, b = b[0], b[8:]
			continue
		}
		return decodeTransport(p, next, b)
	}
}

func decodeTransport(p Packet, proto byte, b []byte) Packet {
	switch proto {
	case 6:
		p.Kind = "tcp"
		if len(b) >= 14 {
			p.Src = netip.AddrPortFrom(p.Src.Addr(), binary.BigEndian.Uint16(b[0:2]))
			p.Dst = netip.AddrPortFrom(p.Dst.Addr(), binary.BigEndian.Uint16(b[2:4]))
			p.TCPFlags = b[13]
		}
	case 17:
		p.Kind = "udp"
		if len(b) >= 8 {
			p.Src = netip.AddrPortFrom(p.Src.Addr(), binary.BigEndian.Uint16(b[0:2]))
			p.Dst = netip.AddrPortFrom(p.Dst.Addr(), binary.BigEndian.Uint16(b[2:4]))
			b = b[8:]
		}
	case 1, 58:
		p.Kind = map[byte]string{1: "icmp", 58: "icmpv6"}[proto]
		if len(b) >= 1 {
			p.ICMPType = b[0]
		}
	}
	p.Payload = b
	return p
}

// IsWireGuard reports whether a UDP payload starts like a WireGuard
// message: a type from 1 to 4 and three zero bytes
// (https://www.wireguard.com/protocol/), and has at least the length of
// the shortest one (a 32-byte transport message carrying nothing, the
// keepalive).
func IsWireGuard(payload []byte) bool {
	return len(payload) >= 32 && payload[0] >= 1 && payload[0] <= 4 &&
		payload[1] == 0 && payload[2] == 0 && payload[3] == 0
}
