package tunnel

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/conn/bindtest"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun"
	"golang.zx2c4.com/wireguard/tun/tuntest"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/platform/platformtest"
)

// lab gives engines in-process doubles: channel TUNs, channel binds and
// the platformtest fake network, and plays the far end of a tunnel with a plain wireguard-go
// device, as a RouterOS router would.
type lab struct {
	t   *testing.T
	net *platformtest.Fake

	mu       sync.Mutex
	tuns     map[string]*labTUN // by interface name, latest
	created  int
	nextBind conn.Bind
	scripts  []string
	existing map[string]bool // interface names the "OS" already has
}

// labTUN is a channel TUN that answers to the requested name and records
// its Close.
type labTUN struct {
	tun.Device
	ch     *tuntest.ChannelTUN
	name   string
	once   sync.Once
	closed chan struct{}
}

func (l *labTUN) Name() (string, error) { return l.name, nil }

func (l *labTUN) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Device.Close()
}

func (l *labTUN) isClosed() bool {
	select {
	case <-l.closed:
		return true
	default:
		return false
	}
}

func newLab(t *testing.T) *lab {
	return &lab{t: t, net: platformtest.New(), tuns: map[string]*labTUN{}, existing: map[string]bool{}}
}

func (l *lab) deps() Deps {
	return Deps{
		CreateTUN: func(name string, mtu int) (tun.Device, error) {
			ct := tuntest.NewChannelTUN()
			lt := &labTUN{Device: ct.TUN(), ch: ct, name: name, closed: make(chan struct{})}
			l.mu.Lock()
			defer l.mu.Unlock()
			l.tuns[name] = lt
			l.created++
			return lt, nil
		},
		NewBind: func() conn.Bind {
			l.mu.Lock()
			defer l.mu.Unlock()
			if b := l.nextBind; b != nil {
				l.nextBind = nil
				return b
			}
			return bindtest.NewChannelBinds()[0] // nobody at the other end
		},
		Network: l.net,
		RunScript: func(ctx context.Context, cmd string) error {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.scripts = append(l.scripts, cmd)
			return nil
		},
		InterfaceExists: func(name string) bool {
			l.mu.Lock()
			defer l.mu.Unlock()
			return l.existing[name]
		},
		// The host's netlink and system bus stay out of unit tests.
		watchLinks:  watchNothing,
		watchResume: watchNothing,
	}
}

// watchNothing is a change source that never reports a change.
func watchNothing(ctx context.Context, _ func()) error {
	<-ctx.Done()
	return nil
}

func (l *lab) tun(name string) *labTUN {
	l.mu.Lock()
	defer l.mu.Unlock()
	lt := l.tuns[name]
	if lt == nil {
		l.t.Fatalf("no TUN named %s was created", name)
	}
	return lt
}

func (l *lab) createdTUNs() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.created
}

func (l *lab) ranScripts() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.scripts...)
}

// Addresses of the two tunnel ends.
var (
	clientIP = netip.MustParseAddr("10.9.0.2")
	routerIP = netip.MustParseAddr("10.9.0.1")
)

// router is the far end: a plain wireguard-go device configured by hand.
type router struct {
	tun *tuntest.ChannelTUN
	dev *device.Device
	key config.Key
}

// newRouter starts a wireguard-go device that accepts clientKey's public
// key for 10.9.0.2/32, and arranges that the next engine's bind talks to
// it. The engine must use endpoint routerEndpoint.
func (l *lab) newRouter(clientKey config.Key) *router {
	l.t.Helper()
	binds := bindtest.NewChannelBinds()
	l.mu.Lock()
	l.nextBind = binds[0]
	l.mu.Unlock()
	r := &router{tun: tuntest.NewChannelTUN(), key: mustKey(l.t)}
	r.dev = device.NewDevice(r.tun.TUN(), binds[1], &device.Logger{Verbosef: device.DiscardLogf, Errorf: l.t.Logf})
	pub := clientKey.PublicKey()
	uapi := fmt.Sprintf("private_key=%s\nlisten_port=0\nreplace_peers=true\npublic_key=%s\nreplace_allowed_ips=true\nallowed_ip=%s/32\n",
		hex.EncodeToString(r.key[:]), hex.EncodeToString(pub[:]), clientIP)
	if err := r.dev.IpcSet(uapi); err != nil {
		l.t.Fatalf("configure router: %v", err)
	}
	if err := r.dev.Up(); err != nil {
		l.t.Fatalf("router up: %v", err)
	}
	l.t.Cleanup(r.dev.Close)
	return r
}

// setPSK gives the router's peer pub the preshared key psk.
func (r *router) setPSK(t *testing.T, pub, psk config.Key) {
	t.Helper()
	uapi := fmt.Sprintf("public_key=%s\nupdate_only=true\npreshared_key=%s\n", hex.EncodeToString(pub[:]), hex.EncodeToString(psk[:]))
	if err := r.dev.IpcSet(uapi); err != nil {
		t.Fatalf("set router psk: %v", err)
	}
}

// routerEndpoint reaches the router through the channel binds: bindtest
// routes by port only, and the first bind of a pair sends port 1 to the
// second.
var routerEndpoint = config.Endpoint{Host: "127.0.0.1", Port: 1}

func mustKey(t *testing.T) config.Key {
	t.Helper()
	k, err := config.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// clientConfig is a split tunnel to r.
func clientConfig(clientKey config.Key, r *router) *config.Config {
	return &config.Config{
		Interface: config.Interface{
			PrivateKey: clientKey,
			Addresses:  []netip.Prefix{netip.PrefixFrom(clientIP, 32)},
			DNS:        []netip.Addr{routerIP},
		},
		Peers: []config.Peer{{
			PublicKey:  r.key.PublicKey(),
			AllowedIPs: []netip.Prefix{netip.PrefixFrom(routerIP, 32), netip.MustParsePrefix("192.168.88.0/24")},
			Endpoint:   routerEndpoint,
		}},
	}
}

// sendPacket writes an ICMP echo from src into one TUN and waits for it to
// come out of the other, unchanged.
func sendPacket(t *testing.T, from, to *tuntest.ChannelTUN, src, dst netip.Addr) {
	t.Helper()
	pkt := tuntest.Ping(dst, src)
	select {
	case from.Outbound <- pkt:
	case <-time.After(10 * time.Second):
		t.Fatalf("packet %s -> %s: the device did not read it", src, dst)
	}
	select {
	case got := <-to.Inbound:
		if !bytes.Equal(got, pkt) {
			t.Fatalf("packet %s -> %s arrived changed", src, dst)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("packet %s -> %s did not arrive", src, dst)
	}
}

func wantState(t *testing.T, n *platformtest.Fake, want string) {
	t.Helper()
	if got := n.State(); got != want {
		t.Fatalf("platform state:\n%s\nwant:\n%s", got, want)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
