package netlab

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// AddCafe puts a café's network on the client's uplink, beside the
// router, for tests of what leaks outside a tunnel: the café's resolver
// (CafeResolver, which also becomes the client's resolv.conf nameserver)
// and a printer (Printer) as further addresses on the server's end of
// the veth, in the client's directly connected subnet; IPv6 on both ends
// of the uplink (UplinkClient6, UplinkServer6) with the client's IPv6
// default route; two hosts "on the internet" beyond it (Internet4,
// Internet6) on the server's loopback; and DNS on the router's tunnel
// IPv6 address (TunServer6), beside the lab's DNS on TunServer4. The
// servers run in this test process on sockets made in the server
// namespace; t.Cleanup closes them.
// Captures (StartCapture) need Debian's tcpdump; the leak tests also use
// nft(8) to look at the client's rules.
func (l *Lab) AddCafe() {
	t := l.t
	t.Helper()
	for _, tool := range []string{"tcpdump", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: install Debian's tcpdump and nftables (make deps-test)", tool)
		}
	}
	rc := "# the café's resolver\nnameserver " + CafeResolver + "\n"
	if err := os.WriteFile(l.ResolvConfPath(), []byte(rc), 0o644); err != nil {
		t.Fatal(err)
	}
	vs := l.ServerUplink()
	l.InNS(l.Server, "ip", "addr", "add", CafeResolver+"/24", "dev", vs)
	l.InNS(l.Server, "ip", "addr", "add", Printer+"/24", "dev", vs)
	l.InNS(l.Server, "ip", "-6", "addr", "add", UplinkServer6+"/64", "dev", vs, "nodad")
	l.InNS(l.Server, "ip", "addr", "add", Internet4+"/32", "dev", "lo")
	l.InNS(l.Server, "ip", "-6", "addr", "add", Internet6+"/128", "dev", "lo")
	l.InNS(l.Client, "ip", "-6", "addr", "add", UplinkClient6+"/64", "dev", l.ClientUplink(), "nodad")
	l.InNS(l.Client, "ip", "-6", "route", "add", "default", "via", UplinkServer6)

	hostPort := func(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }
	for _, addr := range []string{
		hostPort(Internet4, WebPort), hostPort(Internet4, WebPort2), hostPort(Internet6, WebPort),
		hostPort(UplinkServer6, WebPort), hostPort(Printer, PrinterPort),
	} {
		go serveBanner(l.listenTCP(addr))
	}
	go serveDNSOverTCP(l.listenTCP(hostPort(CafeResolver, 53)))
	go serveDNSOverTCP(l.listenTCP(hostPort(CafeResolver, 853)))
	// The café's resolver, and the router's DNS on its tunnel IPv6
	// address: a config may name it while its tunnel routes only IPv4,
	// and then the client reaches it outside the tunnel.
	for _, addr := range []string{hostPort(CafeResolver, 53), hostPort(TunServer6, 53)} {
		var pc net.PacketConn
		if err := InNetNS(l.Server, func() (err error) {
			pc, err = net.ListenPacket("udp", addr)
			return err
		}); err != nil {
			t.Fatalf("dns on %s in the server namespace: %v", addr, err)
		}
		t.Cleanup(func() { pc.Close() })
		go serveDNSOverUDP(pc)
	}
}

// ServerUplink names the server's end of the veth pair, where the café's
// addresses are.
func (l *Lab) ServerUplink() string { return "vs" + l.ID }

// ServeBanner serves Banner(addr) on TCP addr in the server namespace,
// as the lab's other servers do, until the test ends: a further server
// for a test that adds addresses.
func (l *Lab) ServeBanner(addr string) {
	l.t.Helper()
	go serveBanner(l.listenTCP(addr))
}

// listenTCP listens on addr in the server namespace until the test ends.
func (l *Lab) listenTCP(addr string) net.Listener {
	l.t.Helper()
	var ln net.Listener
	if err := InNetNS(l.Server, func() (err error) {
		ln, err = net.Listen("tcp", addr)
		return err
	}); err != nil {
		l.t.Fatalf("listen on %s in the server namespace: %v", addr, err)
	}
	l.t.Cleanup(func() { ln.Close() })
	return ln
}

// Banner is the line a lab's TCP server at addr sends to each client,
// and what a probe expects from it.
func Banner(addr string) string { return "netlab " + addr + "\n" }

// serveBanner writes Banner(its address) to each client and closes.
func serveBanner(ln net.Listener) {
	banner := Banner(ln.Addr().String())
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, banner)
		c.Close()
	}
}

// serveDNSOverUDP answers queries with dnsAnswer until pc is closed.
func serveDNSOverUDP(pc net.PacketConn) {
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		if reply := dnsAnswer(buf[:n]); reply != nil {
			pc.WriteTo(reply, from)
		}
	}
}

// serveDNSOverTCP answers queries with dnsAnswer in the two-byte length
// framing of RFC 1035 section 4.2.2 until ln is closed.
func serveDNSOverTCP(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			r := bufio.NewReader(c)
			for {
				q, err := readFramed(r)
				if err != nil {
					return
				}
				reply := dnsAnswer(q)
				if reply == nil {
					return
				}
				if _, err := c.Write(framed(reply)); err != nil {
					return
				}
			}
		}()
	}
}

// framed prefixes a DNS message with its length, for DNS over TCP.
func framed(msg []byte) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(msg))), msg...)
}

// readFramed reads one length-prefixed DNS message.
func readFramed(r io.Reader) ([]byte, error) {
	var n [2]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	msg := make([]byte, binary.BigEndian.Uint16(n[:]))
	if len(msg) == 0 {
		return nil, errors.New("empty dns message")
	}
	_, err := io.ReadFull(r, msg)
	return msg, err
}
