package netlab

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Probe is one attempt of the client to reach a server of the lab, as an
// application would: what it sends, to where, and whether it picks the
// uplink itself.
type Probe struct {
	Name string // for failure messages: "DNS over UDP to the café's resolver"
	// Proto is "tcp" (connect, then expect the server's Banner),
	// "dns-udp" or "dns-tcp" (a query for OfficeName, then expect its
	// answer).
	Proto string
	Addr  netip.AddrPort
	// BindUplink binds the socket to the client's uplink
	// (SO_BINDTODEVICE), as an application that chooses its interface
	// does, around the tunnel's routes.
	BindUplink bool
}

// Probe runs p from the client namespace and returns nil only when the
// server answered as expected, within timeout.
func (l *Lab) Probe(p Probe, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	d := net.Dialer{}
	if p.BindUplink {
		dev := l.ClientUplink()
		d.Control = func(network, address string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = unix.SetsockoptString(int(fd), unix.SOL_SOCKET, unix.SO_BINDTODEVICE, dev)
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	network := "tcp"
	if p.Proto == "dns-udp" {
		network = "udp"
	}
	var c net.Conn
	err := InNetNS(l.Client, func() (err error) {
		// The socket is made here, in the client namespace; connecting
		// and talking may go on elsewhere.
		c, err = d.DialContext(ctx, network, p.Addr.String())
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", p.Name, err)
	}
	defer c.Close()
	deadline, _ := ctx.Deadline()
	c.SetDeadline(deadline)
	if err := p.talk(c, deadline); err != nil {
		return fmt.Errorf("%s: %w", p.Name, err)
	}
	return nil
}

// talk asks the server for its answer and checks it.
func (p Probe) talk(c net.Conn, deadline time.Time) error {
	switch p.Proto {
	case "tcp":
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			return err
		}
		if want := Banner(p.Addr.String()); line != want {
			return fmt.Errorf("answer %q, want %q", line, want)
		}
		return nil
	case "dns-udp", "dns-tcp":
		var id [2]byte
		rand.Read(id[:])
		q := dnsQuery(binary.BigEndian.Uint16(id[:]), OfficeName)
		var reply []byte
		if p.Proto == "dns-udp" {
			// Lost datagrams are the point of the tests; send again
			// until the deadline rather than wait for one.
			buf := make([]byte, 1500)
			for {
				if _, err := c.Write(q); err != nil {
					return err
				}
				wait := time.Now().Add(300 * time.Millisecond)
				if wait.After(deadline) {
					wait = deadline
				}
				c.SetReadDeadline(wait)
				n, err := c.Read(buf)
				if err == nil {
					reply = buf[:n]
					break
				}
				if ne, ok := err.(net.Error); !ok || !ne.Timeout() || time.Now().After(deadline) {
					return err
				}
			}
		} else {
			if _, err := c.Write(framed(q)); err != nil {
				return err
			}
			var err error
			if reply, err = readFramed(c); err != nil {
				return err
			}
		}
		return checkDNSReply(q, reply)
	}
	return fmt.Errorf("unknown probe protocol %q", p.Proto)
}

// dnsQuery is a query for name's A record with the given id.
func dnsQuery(id uint16, name string) []byte {
	q := []byte{byte(id >> 8), byte(id), 1, 0, 0, 1, 0, 0, 0, 0, 0, 0}
	for _, label := range strings.Split(name, ".") {
		q = append(q, byte(len(label)))
		q = append(q, label...)
	}
	return append(q, 0, 0, 1, 0, 1)
}

// checkDNSReply accepts the answer to q with one record.
func checkDNSReply(q, reply []byte) error {
	if len(reply) < 12 || reply[0] != q[0] || reply[1] != q[1] || reply[2]&0x80 == 0 {
		return fmt.Errorf("not a reply to the query: %x", reply)
	}
	if rcode, n := reply[3]&0xf, binary.BigEndian.Uint16(reply[6:8]); rcode != 0 || n != 1 {
		return fmt.Errorf("reply with rcode %d and %d answers", rcode, n)
	}
	return nil
}

// ProbeAll runs the probes at once, each bounded by timeout, and returns
// their results by name.
func (l *Lab) ProbeAll(ps []Probe, timeout time.Duration) map[string]error {
	var mu sync.Mutex
	var wg sync.WaitGroup
	res := make(map[string]error, len(ps))
	for _, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := l.Probe(p, timeout)
			mu.Lock()
			res[p.Name] = err
			mu.Unlock()
		}()
	}
	wg.Wait()
	return res
}
