package netlab

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"
)

// serveDNS answers A queries for OfficeName with OfficeLAN4 and NXDOMAIN
// for everything else, on addr, until killed. It runs in the server
// namespace as a child copy of the test binary (see Main).
func serveDNS(addr string) int {
	var pc net.PacketConn
	var err error
	// The tunnel address appears once wireguard-go is configured.
	for i := 0; i < 200; i++ {
		if pc, err = net.ListenPacket("udp", addr); err == nil {
			break
		}
		sleepBriefly()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "netlab dns:", err)
		return 1
	}
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return 1
		}
		if reply := dnsAnswer(buf[:n]); reply != nil {
			pc.WriteTo(reply, from)
		}
	}
}

// dnsAnswer builds the reply to one query, or nil for garbage.
func dnsAnswer(q []byte) []byte {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:6]) != 1 {
		return nil
	}
	// Read the question name.
	i := 12
	var labels []string
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if l > 63 || i+1+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[i+1:i+1+l]))
		i += 1 + l
	}
	if i+5 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i+1 : i+3])
	question := q[12 : i+5]
	name := strings.ToLower(strings.Join(labels, "."))

	reply := make([]byte, 12, 12+len(question)+16)
	copy(reply, q[:2])                             // id
	binary.BigEndian.PutUint16(reply[2:4], 0x8180) // response, recursion desired+available
	binary.BigEndian.PutUint16(reply[4:6], 1)      // one question
	reply = append(reply, question...)
	if name == OfficeName && qtype == 1 {
		binary.BigEndian.PutUint16(reply[6:8], 1) // one answer
		ip := netip.MustParseAddr(OfficeLAN4).As4()
		reply = append(reply, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4)
		reply = append(reply, ip[:]...)
	} else if name != OfficeName {
		reply[3] |= 3 // NXDOMAIN
	}
	return reply
}

func sleepBriefly() { <-time.After(50 * time.Millisecond) }
