package netlab

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
)

// query builds a DNS query for name with the given type.
func query(id uint16, name string, qtype uint16) []byte {
	q := []byte{byte(id >> 8), byte(id), 1, 0, 0, 1, 0, 0, 0, 0, 0, 0}
	for _, label := range strings.Split(name, ".") {
		q = append(q, byte(len(label)))
		q = append(q, label...)
	}
	return append(q, 0, byte(qtype>>8), byte(qtype), 0, 1)
}

func TestDNSAnswer(t *testing.T) {
	reply := dnsAnswer(query(0x1234, "Office.Home.LAN", 1))
	if reply == nil || binary.BigEndian.Uint16(reply[0:2]) != 0x1234 {
		t.Fatalf("reply %x does not echo the id", reply)
	}
	if rcode := reply[3] & 0xf; rcode != 0 {
		t.Fatalf("rcode %d for the office's name", rcode)
	}
	if n := binary.BigEndian.Uint16(reply[6:8]); n != 1 {
		t.Fatalf("%d answers, want 1", n)
	}
	got, _ := netip.AddrFromSlice(reply[len(reply)-4:])
	if got.String() != OfficeLAN4 {
		t.Fatalf("answer %s, want %s", got, OfficeLAN4)
	}

	// An AAAA query for the name: no error, no answer.
	reply = dnsAnswer(query(7, OfficeName, 28))
	if reply[3]&0xf != 0 || binary.BigEndian.Uint16(reply[6:8]) != 0 {
		t.Fatalf("AAAA reply %x", reply)
	}
	// Any other name does not exist.
	reply = dnsAnswer(query(8, "printer.home.lan", 1))
	if reply[3]&0xf != 3 || binary.BigEndian.Uint16(reply[6:8]) != 0 {
		t.Fatalf("reply for an unknown name %x, want NXDOMAIN", reply)
	}
	// Garbage gets no reply at all.
	for _, q := range [][]byte{nil, {1, 2, 3}, query(9, "x", 1)[:14]} {
		if reply := dnsAnswer(q); reply != nil {
			t.Errorf("reply %x to garbage %x", reply, q)
		}
	}
}
