package netlab

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
)

func ether(et uint16, payload []byte) []byte {
	f := make([]byte, 14, 14+len(payload))
	copy(f, []byte{2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2})
	binary.BigEndian.PutUint16(f[12:], et)
	return append(f, payload...)
}

func ipv4(proto byte, src, dst string, l4 []byte) []byte {
	h := make([]byte, 20)
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(l4)))
	h[8], h[9] = 64, proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	return append(h, l4...)
}

func ipv6(next byte, src, dst string, l4 []byte) []byte {
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(l4)))
	h[6], h[7] = next, 64
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return append(h, l4...)
}

func ports(sp, dp uint16, rest ...byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, sp)
	b = binary.BigEndian.AppendUint16(b, dp)
	return append(b, rest...)
}

// pcapFile writes frames as tcpdump -w would, in the given byte order and
// time resolution.
func pcapFile(order binary.ByteOrder, nano bool, frames ...[]byte) []byte {
	var b bytes.Buffer
	magic := uint32(pcapMagicMicro)
	if nano {
		magic = pcapMagicNano
	}
	hdr := make([]byte, 24)
	order.PutUint32(hdr[0:], magic)
	order.PutUint16(hdr[4:], 2)
	order.PutUint16(hdr[6:], 4)
	order.PutUint32(hdr[16:], 262144)
	order.PutUint32(hdr[20:], linkEthernet)
	b.Write(hdr)
	for i, f := range frames {
		rec := make([]byte, 16)
		order.PutUint32(rec[0:], 1700000000+uint32(i))
		order.PutUint32(rec[4:], 500)
		order.PutUint32(rec[8:], uint32(len(f)))
		order.PutUint32(rec[12:], uint32(len(f)))
		b.Write(rec)
		b.Write(f)
	}
	return b.Bytes()
}

func TestReadPcap(t *testing.T) {
	wg := append([]byte{4, 0, 0, 0}, make([]byte, 28)...)
	udp := ports(40000, 51820, append([]byte{0, 40, 0, 0}, wg...)...)
	// TCP SYN, 20-byte header.
	tcp := ports(41000, 853, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0)
	// An MLDv2 report behind a hop-by-hop header (router alert).
	hbh := []byte{58, 0, 5, 2, 0, 0, 1, 0}
	mld := append(hbh, 143, 0, 0, 0, 0, 0, 0, 0)
	arp := []byte{0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 198, 51, 100, 2, 0, 0, 0, 0, 0, 0, 198, 51, 100, 9}
	frames := [][]byte{
		ether(0x0800, ipv4(17, "198.51.100.2", "198.51.100.1", udp)),
		ether(0x86dd, ipv6(6, "2001:db8:51::2", "2001:db8:77::80", tcp)),
		ether(0x86dd, ipv6(0, "fe80::1", "ff02::16", mld)),
		ether(0x0806, arp),
		ether(0x88cc, []byte{1, 2, 3}),
	}
	want := []string{
		"udp 198.51.100.2:40000 > 198.51.100.1:51820 32 bytes",
		"tcp [2001:db8:51::2]:41000 > [2001:db8:77::80]:853 [S]",
		"icmpv6 fe80::1 > ff02::16 type 143",
		"arp 198.51.100.2 > 198.51.100.9",
		"ethertype 0x88cc",
	}
	for _, tc := range []struct {
		order binary.ByteOrder
		nano  bool
	}{{binary.LittleEndian, false}, {binary.BigEndian, false}, {binary.LittleEndian, true}, {binary.BigEndian, true}} {
		file := pcapFile(tc.order, tc.nano, frames...)
		// A record cut short at the end is what tcpdump has not finished
		// writing: the packets before it are read, without an error.
		for _, cut := range []int{0, 7, 20} {
			pkts, err := ReadPcap(bytes.NewReader(file[:len(file)-cut]))
			if err != nil {
				t.Fatalf("%v nano=%v cut %d: %v", tc.order, tc.nano, cut, err)
			}
			n := len(want)
			if cut > 0 {
				n--
			}
			var got []string
			for _, p := range pkts {
				got = append(got, p.String())
			}
			if strings.Join(got, "\n") != strings.Join(want[:n], "\n") {
				t.Fatalf("%v nano=%v cut %d:\n%s\nwant:\n%s", tc.order, tc.nano, cut, strings.Join(got, "\n"), strings.Join(want[:n], "\n"))
			}
			if len(pkts) > 0 && (pkts[0].Time.Unix() != 1700000000 || pkts[0].Time.Nanosecond() == 0) {
				t.Errorf("time %v", pkts[0].Time)
			}
			if cut == 0 && (!IsWireGuard(pkts[0].Payload) || IsWireGuard(pkts[1].Payload)) {
				t.Errorf("IsWireGuard: %x, %x", pkts[0].Payload, pkts[1].Payload)
			}
		}
	}
	if pkts, err := ReadPcap(bytes.NewReader(nil)); err != nil || pkts != nil {
		t.Errorf("empty file: %v, %v", pkts, err)
	}
	if _, err := ReadPcap(bytes.NewReader(make([]byte, 24))); err == nil {
		t.Error("no error for a file that is not pcap")
	}
	sll := pcapFile(binary.LittleEndian, false)
	sll[20] = 113
	if _, err := ReadPcap(bytes.NewReader(sll)); err == nil || !strings.Contains(err.Error(), "link type 113") {
		t.Errorf("Linux cooked capture: %v", err)
	}
}
