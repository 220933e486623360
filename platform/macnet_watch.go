package platform

// The macOS route monitor's logic, without the routing socket (which lives
// in macnet_watch_darwin.go): which messages of the routing socket
// (route(4)) mean that the uplink may have changed. The layouts and values
// are those of <net/route.h> and <net/if.h> of macOS; the darwin file checks
// them against golang.org/x/sys/unix at compile time.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Routing message types and flags of macOS.
const (
	macRTMVersion  = 5
	macRTMAdd      = 0x1
	macRTMDelete   = 0x2
	macRTMChange   = 0x3
	macRTMNewAddr  = 0xc
	macRTMDelAddr  = 0xd
	macRTMIfInfo   = 0xe
	macRTADst      = 0x1
	macRTFLLInfo   = 0x400   // a link-layer (ARP, neighbour) entry
	macRTFWasClone = 0x20000 // a route cloned for one destination
	macAFInet      = 2
	macAFInet6     = 30

	macSizeofRtMsghdr  = 92 // struct rt_msghdr
	macSizeofIfMsghdr  = 14 // struct if_msghdr up to ifm_index
	macSizeofIfaMsghdr = 20 // struct ifa_msghdr
)

// macRouteMsg is what the watcher needs from one routing message.
type macRouteMsg struct {
	Type  int
	Index int        // interface index: rtm_index, ifm_index or ifam_index
	Flags int        // rtm_flags (route messages only)
	Errno int        // rtm_errno: a failed request echoed back
	Dst   netip.Addr // RTA_DST of a route message, if it is an IP address
}

var errMacShortMsg = errors.New("short routing message")

// parseMacRouteMsgs splits what one read of a routing socket returned
// (usually one message) and parses the headers of the messages the watcher
// cares about; others are skipped.
func parseMacRouteMsgs(b []byte) ([]macRouteMsg, error) {
	var out []macRouteMsg
	for len(b) > 0 {
		if len(b) < 4 {
			return out, errMacShortMsg
		}
		n := int(binary.NativeEndian.Uint16(b[0:2]))
		if n < 4 || n > len(b) {
			return out, fmt.Errorf("routing message of %d bytes in %d: %w", n, len(b), errMacShortMsg)
		}
		m, ok, err := parseMacRouteMsg(b[:n])
		if err != nil {
			return out, err
		}
		if ok {
			out = append(out, m)
		}
		b = b[n:]
	}
	return out, nil
}

// parseMacRouteMsg parses one message; ok is false for versions and types
// the watcher ignores (RTM_GET, RTM_MISS, multicast, ...).
func parseMacRouteMsg(b []byte) (m macRouteMsg, ok bool, err error) {
	if b[2] != macRTMVersion {
		return m, false, nil
	}
	m.Type = int(b[3])
	u16 := func(off int) int { return int(binary.NativeEndian.Uint16(b[off:])) }
	i32 := func(off int) int { return int(int32(binary.NativeEndian.Uint32(b[off:]))) }
	switch m.Type {
	case macRTMAdd, macRTMDelete, macRTMChange:
		if len(b) < macSizeofRtMsghdr {
			return m, false, fmt.Errorf("route message of %d bytes: %w", len(b), errMacShortMsg)
		}
		// u_short rtm_msglen; u_char rtm_version, rtm_type; u_short rtm_index;
		// int rtm_flags (at 8), rtm_addrs (12), rtm_pid, rtm_seq, rtm_errno (24)
		m.Index = u16(4)
		m.Flags = i32(8)
		m.Errno = i32(24)
		if i32(12)&macRTADst != 0 {
			m.Dst = macSockaddrAddr(b[macSizeofRtMsghdr:]) // RTA_DST comes first
		}
	case macRTMIfInfo:
		if len(b) < macSizeofIfMsghdr {
			return m, false, fmt.Errorf("interface message of %d bytes: %w", len(b), errMacShortMsg)
		}
		m.Index = u16(12)
	case macRTMNewAddr, macRTMDelAddr:
		if len(b) < macSizeofIfaMsghdr {
			return m, false, fmt.Errorf("address message of %d bytes: %w", len(b), errMacShortMsg)
		}
		m.Index = u16(12)
	default:
		return m, false, nil
	}
	return m, true, nil
}

// macSockaddrAddr returns the address of a sockaddr_in or sockaddr_in6, or
// the zero Addr for any other kind (a link-level sockaddr_dl).
func macSockaddrAddr(b []byte) netip.Addr {
	if len(b) < 2 || int(b[0]) > len(b) {
		return netip.Addr{}
	}
	switch b[1] {
	case macAFInet:
		if b[0] >= 8 {
			return netip.AddrFrom4([4]byte(b[4:8]))
		}
	case macAFInet6:
		if b[0] >= 24 {
			return netip.AddrFrom16([16]byte(b[8:24]))
		}
	}
	return netip.Addr{}
}

// counts reports whether m may mean that the uplink changed. Not counted:
// failed requests, per-destination clones and link-layer entries (macOS
// makes them for every host it talks to), the endpoints' host routes this
// Network adds (ownDest), and anything on its utun interfaces (ownIndex).
func (m macRouteMsg) counts(ownIndex func(int) bool, ownDest func(netip.Addr) bool) bool {
	switch m.Type {
	case macRTMAdd, macRTMDelete, macRTMChange:
		if m.Errno != 0 || m.Flags&(macRTFLLInfo|macRTFWasClone) != 0 {
			return false
		}
		if m.Dst.IsValid() && ownDest(m.Dst) {
			return false
		}
	case macRTMNewAddr, macRTMDelAddr, macRTMIfInfo:
	default:
		return false
	}
	return m.Index == 0 || !ownIndex(m.Index)
}

// errMacRouteOverflow is what a routing socket's reader returns when the
// kernel dropped messages because the socket's buffer was full (ENOBUFS):
// something changed, but what is not known.
var errMacRouteOverflow = errors.New("routing socket overflow")

var _ Watcher = (*macNetwork)(nil)

// Watch implements Watcher with the routing socket: every message that may
// mean a new uplink (see macRouteMsg.counts) calls changed. It returns nil
// when ctx ends; the socket is closed to stop the read.
func (n *macNetwork) Watch(ctx context.Context, changed func()) error {
	if n.openRoutes == nil {
		return fmt.Errorf("watch routes: %w", errors.ErrUnsupported)
	}
	sock, err := n.openRoutes()
	if err != nil {
		return fmt.Errorf("open routing socket: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { sock.Close() })
	defer func() {
		if stop() {
			sock.Close()
		}
	}()
	buf := make([]byte, 16<<10)
	for {
		k, err := sock.Read(buf)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, errMacRouteOverflow):
			changed()
			continue
		case err != nil:
			return fmt.Errorf("read routing socket: %w", err)
		}
		msgs, err := parseMacRouteMsgs(buf[:k])
		if err != nil {
			// A message we cannot read may be one that matters.
			n.logf("route monitor: %v", err)
			changed()
			continue
		}
		for _, m := range msgs {
			if m.counts(n.ownIndex, n.self.hasDest) {
				changed()
				break
			}
		}
	}
}

// ownIndex reports whether the interface of this index is one of our utuns.
// An index that names nothing (an interface already gone) is not ours.
func (n *macNetwork) ownIndex(index int) bool {
	name, err := n.ifName(index)
	return err == nil && n.self.hasName(name)
}

// bypassDests are the destinations of the endpoints' host routes.
func (e *macEntry) bypassDests() []netip.Addr {
	out := make([]netip.Addr, 0, len(e.Bypass))
	for _, b := range e.Bypass {
		out = append(out, b.Dest)
	}
	return out
}
