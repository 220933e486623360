package doctor

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/wgdesk/wgdesk/platform"
)

// OSProbes are the probes of this system: netlink for routes and the
// MTU, a raw ICMP socket and a UDP socket bound to the tunnel interface
// (SO_BINDTODEVICE) for pings and DNS queries, and n's connected subnets.
// They need the service's privileges (CAP_NET_RAW, CAP_NET_ADMIN).
func OSProbes(n platform.Network) Probes { return linuxProbes{subnets: subnets{n}} }

type linuxProbes struct{ subnets }

func (linuxProbes) Resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

func (linuxProbes) RouteTo(ctx context.Context, dst netip.Addr, mark uint32) (Route, error) {
	routes, err := netlink.RouteGetWithOptions(dst.AsSlice(), &netlink.RouteGetOptions{Mark: mark})
	if err != nil {
		return Route{}, fmt.Errorf("route to %s: %w", dst, err)
	}
	if len(routes) == 0 {
		return Route{}, fmt.Errorf("route to %s: none", dst)
	}
	rt := routes[0]
	var out Route
	if link, err := netlink.LinkByIndex(rt.LinkIndex); err == nil {
		out.Interface = link.Attrs().Name
	} else {
		out.Interface = fmt.Sprintf("interface %d", rt.LinkIndex)
	}
	if a, ok := netip.AddrFromSlice(rt.Gw); ok {
		out.Gateway = a.Unmap()
	}
	if a, ok := netip.AddrFromSlice(rt.Src); ok {
		out.Source = a.Unmap()
	}
	return out, nil
}

func (linuxProbes) MTU(ctx context.Context, ifname string) (int, error) {
	link, err := netlink.LinkByName(ifname)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", ifname, err)
	}
	return link.Attrs().MTU, nil
}

// bindToDevice returns a socket option setter that keeps a socket's
// packets on ifname.
func bindToDevice(fd int, ifname string) error {
	if err := unix.SetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, ifname); err != nil {
		return fmt.Errorf("bind to %s: %w", ifname, err)
	}
	return nil
}

// Ping sends an ICMP echo request from a raw socket bound to ifname with
// Don't Fragment set (IP_PMTUDISC_PROBE: set DF and ignore the kernel's
// cached path MTU, so each probe measures the path anew).
func (linuxProbes) Ping(ctx context.Context, ifname string, src, dst netip.Addr, size int, timeout time.Duration) error {
	if !dst.Is4() || !src.Is4() {
		return fmt.Errorf("ping %s: only IPv4: %w", dst, errors.ErrUnsupported)
	}
	if size < 28 {
		size = 28
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
	if err != nil {
		return fmt.Errorf("open an icmp socket: %w", err)
	}
	defer unix.Close(fd)
	if err := bindToDevice(fd, ifname); err != nil {
		return err
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_PROBE); err != nil {
		return fmt.Errorf("set don't fragment: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: src.As4()}); err != nil {
		return fmt.Errorf("bind to %s: %w", src, err)
	}
	var idb [4]byte
	rand.Read(idb[:])
	id, seq := binary.BigEndian.Uint16(idb[:2]), binary.BigEndian.Uint16(idb[2:])
	msg := make([]byte, size-20)
	msg[0] = 8 // echo request
	binary.BigEndian.PutUint16(msg[4:], id)
	binary.BigEndian.PutUint16(msg[6:], seq)
	for i := 8; i < len(msg); i++ {
		msg[i] = byte(i)
	}
	binary.BigEndian.PutUint16(msg[2:], checksum(msg))
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrInet4{Addr: dst.As4()}); err != nil {
		return fmt.Errorf("send a ping of %d bytes to %s: %w", size, dst, err)
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	buf := make([]byte, 65536)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return ErrNoReply
		}
		tv := unix.NsecToTimeval(left.Nanoseconds())
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		n, from, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
				continue
			}
			return fmt.Errorf("read the reply from %s: %w", dst, err)
		}
		sa, ok := from.(*unix.SockaddrInet4)
		if !ok || netip.AddrFrom4(sa.Addr) != dst || n < 20 {
			continue
		}
		ihl := int(buf[0]&0x0f) * 4
		if n < ihl+8 {
			continue
		}
		icmp := buf[ihl:n]
		if icmp[0] == 0 && binary.BigEndian.Uint16(icmp[4:]) == id && binary.BigEndian.Uint16(icmp[6:]) == seq {
			return nil
		}
	}
}

func checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// DNS queries server for the root's NS records from a UDP socket bound to
// ifname and src.
func (linuxProbes) DNS(ctx context.Context, ifname string, src, server netip.Addr, timeout time.Duration) (int, error) {
	d := net.Dialer{
		LocalAddr: net.UDPAddrFromAddrPort(netip.AddrPortFrom(src, 0)),
		Control: func(network, address string, c syscall.RawConn) error {
			var err error
			if cerr := c.Control(func(fd uintptr) { err = bindToDevice(int(fd), ifname) }); cerr != nil {
				return cerr
			}
			return err
		},
	}
	conn, err := d.DialContext(ctx, "udp", netip.AddrPortFrom(server, 53).String())
	if err != nil {
		return 0, fmt.Errorf("open a dns socket: %w", err)
	}
	defer conn.Close()
	q, id := rootNSQuery()
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetDeadline(deadline)
	if _, err := conn.Write(q); err != nil {
		return 0, fmt.Errorf("send the query: %w", err)
	}
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return 0, ErrNoReply
			}
			if errors.Is(err, syscall.ECONNREFUSED) {
				return 0, errors.New("nothing listens on port 53 (port unreachable)")
			}
			return 0, err
		}
		if rcode, ok := parseReply(buf[:n], id); ok {
			return rcode, nil
		}
	}
}
