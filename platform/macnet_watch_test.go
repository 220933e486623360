package platform

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"testing"
)

// macRtMsg crafts a routing message as macOS's kernel writes it: an
// rt_msghdr and, with dst valid, an RTA_DST sockaddr.
func macRtMsg(typ, index, flags, errno int, dst netip.Addr) []byte {
	b := make([]byte, macSizeofRtMsghdr)
	b[2], b[3] = macRTMVersion, byte(typ)
	binary.NativeEndian.PutUint16(b[4:], uint16(index))
	binary.NativeEndian.PutUint32(b[8:], uint32(flags))
	binary.NativeEndian.PutUint32(b[24:], uint32(errno))
	switch {
	case dst.Is4():
		binary.NativeEndian.PutUint32(b[12:], macRTADst)
		sa := make([]byte, 16)
		sa[0], sa[1] = 16, macAFInet
		a := dst.As4()
		copy(sa[4:], a[:])
		b = append(b, sa...)
	case dst.Is6():
		binary.NativeEndian.PutUint32(b[12:], macRTADst)
		sa := make([]byte, 28)
		sa[0], sa[1] = 28, macAFInet6
		a := dst.As16()
		copy(sa[8:], a[:])
		b = append(b, sa...)
	}
	binary.NativeEndian.PutUint16(b[0:], uint16(len(b)))
	return b
}

// macIfMsg crafts an if_msghdr (RTM_IFINFO) or ifa_msghdr (RTM_NEWADDR,
// RTM_DELADDR) message for an interface index.
func macIfMsg(typ, index int) []byte {
	b := make([]byte, 112)
	if typ != macRTMIfInfo {
		b = b[:macSizeofIfaMsghdr]
	}
	binary.NativeEndian.PutUint16(b[0:], uint16(len(b)))
	b[2], b[3] = macRTMVersion, byte(typ)
	binary.NativeEndian.PutUint16(b[12:], uint16(index))
	return b
}

const (
	macIdxEn0  = 4
	macIdxUtun = 17
)

func macTestOwned() *ownedSet {
	o := &ownedSet{}
	o.note("utun5", 0, []netip.Addr{netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("2001:db8:ffff::7")})
	return o
}

func macTestIndex(o *ownedSet) func(int) bool {
	names := map[int]string{macIdxEn0: "en0", macIdxUtun: "utun5"}
	return func(i int) bool { return o.hasName(names[i]) }
}

func TestMacRouteMsgCounts(t *testing.T) {
	gw := netip.MustParseAddr("192.168.1.1")
	tests := []struct {
		name string
		msg  []byte
		want bool
	}{
		{"new default route on en0", macRtMsg(macRTMAdd, macIdxEn0, 0x803, 0, netip.IPv4Unspecified()), true},
		{"default route deleted", macRtMsg(macRTMDelete, macIdxEn0, 0x803, 0, netip.IPv4Unspecified()), true},
		{"route changed", macRtMsg(macRTMChange, macIdxEn0, 0x3, 0, gw), true},
		{"route without a destination", macRtMsg(macRTMAdd, macIdxEn0, 0x1, 0, netip.Addr{}), true},
		{"route on an unknown index", macRtMsg(macRTMAdd, 0, 0x1, 0, gw), true},
		{"address on en0", macIfMsg(macRTMNewAddr, macIdxEn0), true},
		{"address gone from en0", macIfMsg(macRTMDelAddr, macIdxEn0), true},
		{"en0 went down", macIfMsg(macRTMIfInfo, macIdxEn0), true},
		{"our endpoint's host route", macRtMsg(macRTMAdd, macIdxEn0, 0x807, 0, netip.MustParseAddr("203.0.113.7")), false},
		{"our IPv6 endpoint's host route gone", macRtMsg(macRTMDelete, macIdxEn0, 0x807, 0, netip.MustParseAddr("2001:db8:ffff::7")), false},
		{"another host route", macRtMsg(macRTMAdd, macIdxEn0, 0x807, 0, netip.MustParseAddr("203.0.113.8")), true},
		{"route into our utun", macRtMsg(macRTMAdd, macIdxUtun, 0x1, 0, netip.MustParseAddr("0.0.0.0")), false},
		{"address on our utun", macIfMsg(macRTMNewAddr, macIdxUtun), false},
		{"our utun's mtu", macIfMsg(macRTMIfInfo, macIdxUtun), false},
		{"failed request echoed", macRtMsg(macRTMAdd, macIdxEn0, 0x1, 17, gw), false},
		{"arp entry", macRtMsg(macRTMAdd, macIdxEn0, macRTFLLInfo|0x5, 0, gw), false},
		{"cloned host route", macRtMsg(macRTMAdd, macIdxEn0, macRTFWasClone|0x5, 0, netip.MustParseAddr("93.184.216.34")), false},
		{"route lookup (RTM_GET)", macRtMsg(4, macIdxEn0, 0x3, 0, gw), false},
		{"route miss (RTM_MISS)", macRtMsg(7, macIdxEn0, 0, 0, gw), false},
	}
	o := macTestOwned()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msgs, err := parseMacRouteMsgs(tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			got := false
			for _, m := range msgs {
				got = got || m.counts(macTestIndex(o), o.hasDest)
			}
			if got != tc.want {
				t.Errorf("counts %v, want %v (%+v)", got, tc.want, msgs)
			}
		})
	}
}

func TestParseMacRouteMsgs(t *testing.T) {
	ep := netip.MustParseAddr("2001:db8:ffff::7")
	b := append(macRtMsg(macRTMAdd, 3, 0x807, 0, ep), macIfMsg(macRTMIfInfo, 9)...)
	b = append(b, macRtMsg(4, 3, 0, 0, ep)...) // RTM_GET: skipped
	msgs, err := parseMacRouteMsgs(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []macRouteMsg{
		{Type: macRTMAdd, Index: 3, Flags: 0x807, Dst: ep},
		{Type: macRTMIfInfo, Index: 9},
	}
	if len(msgs) != len(want) || msgs[0] != want[0] || msgs[1] != want[1] {
		t.Errorf("parsed %+v, want %+v", msgs, want)
	}

	for name, bad := range map[string][]byte{
		"length beyond the read": macRtMsg(macRTMAdd, 3, 0, 0, ep)[:50],
		"tiny":                   {1, 0},
		"header cut short":       {8, 0, macRTMVersion, macRTMAdd, 0, 0, 0, 0},
	} {
		if _, err := parseMacRouteMsgs(bad); !errors.Is(err, errMacShortMsg) {
			t.Errorf("%s: error %v, want a short message", name, err)
		}
	}
	other := macRtMsg(macRTMAdd, 3, 0, 0, ep)
	other[2] = 4 // an older version
	if msgs, err := parseMacRouteMsgs(other); err != nil || len(msgs) != 0 {
		t.Errorf("unknown version: %v, %v; want skipped", msgs, err)
	}
}

// pipeSocket is a routing socket made of a pipe: the test writes messages.
type pipeSocket struct {
	*io.PipeReader
	overflow chan struct{}
}

func (p pipeSocket) Read(b []byte) (int, error) {
	select {
	case <-p.overflow:
		return 0, errMacRouteOverflow
	default:
	}
	return p.PipeReader.Read(b)
}

// TestMacWatch runs Watch on a pipe: messages about the uplink call
// changed, the Network's own (made by a real Apply on the simulated Mac)
// do not, and ending ctx ends Watch.
func TestMacWatch(t *testing.T) {
	f := newMacFixture(t)
	r, w := io.Pipe()
	sock := pipeSocket{PipeReader: r, overflow: make(chan struct{}, 1)}
	f.net.openRoutes = func() (io.ReadCloser, error) { return sock, nil }
	f.net.ifName = func(i int) (string, error) {
		if i == macIdxUtun {
			return "utun5", nil
		}
		return "en0", nil
	}
	f.apply(t, macFull())

	changed := make(chan struct{}, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.net.Watch(ctx, func() { changed <- struct{}{} }) }()

	ours := [][]byte{
		macRtMsg(macRTMAdd, macIdxEn0, 0x807, 0, netip.MustParseAddr("198.51.100.9")), // an endpoint of macFull
		macRtMsg(macRTMAdd, macIdxUtun, 0x1, 0, netip.MustParseAddr("128.0.0.0")),
		macIfMsg(macRTMIfInfo, macIdxUtun),
	}
	for _, m := range ours {
		if _, err := w.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	// A pipe write returns once Watch read it all; the uplink's message
	// after ours is the first to call changed.
	if _, err := w.Write(macIfMsg(macRTMDelAddr, macIdxEn0)); err != nil {
		t.Fatal(err)
	}
	<-changed
	if len(changed) != 0 {
		t.Errorf("%d more calls: our own messages counted", len(changed))
	}
	sock.overflow <- struct{}{}
	if _, err := w.Write(macIfMsg(macRTMIfInfo, macIdxUtun)); err != nil { // ignored, but wakes the reader
		t.Fatal(err)
	}
	<-changed // the overflow
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Watch after cancel: %v", err)
	}
	if _, err := w.Write(macIfMsg(macRTMIfInfo, macIdxEn0)); err == nil {
		t.Error("the socket is still open after Watch returned")
	}

	// Removing the tunnel forgets its interface.
	f.apply(t, Settings{})
	if f.net.self.hasName("utun5") {
		t.Error("utun5 still ours after its settings were removed")
	}
}

func TestMacWatchUnavailable(t *testing.T) {
	f := newMacFixture(t)
	if err := f.net.Watch(context.Background(), func() {}); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Watch without a routing socket: %v", err)
	}
	f.net.openRoutes = func() (io.ReadCloser, error) { return nil, errors.New("no permission") }
	if err := f.net.Watch(context.Background(), func() {}); err == nil {
		t.Error("Watch with a failing socket: no error")
	}
}
