package tunnel

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/tun"
	"golang.zx2c4.com/wireguard/tun/tuntest"

	"github.com/wgdesk/wgdesk/platform"
	"github.com/wgdesk/wgdesk/platform/platformtest"
)

// busyBind is a Bind whose port busy is taken by another program: Open
// of it fails as the kernel's bind does; any other port opens, port 0 as
// randomPort. refused receives a value each time Open was refused,
// before the refusal returns.
type busyBind struct {
	busy, randomPort uint16
	refused          chan struct{}

	mu     sync.Mutex
	closed chan struct{}
}

func (b *busyBind) Open(port uint16) ([]conn.ReceiveFunc, uint16, error) {
	if port == b.busy {
		b.refused <- struct{}{}
		return nil, 0, &net.OpError{Op: "listen", Net: "udp4", Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}
	}
	if port == 0 {
		port = b.randomPort
	}
	closed := make(chan struct{})
	b.mu.Lock()
	b.closed = closed
	b.mu.Unlock()
	recv := func(packets [][]byte, sizes []int, eps []conn.Endpoint) (int, error) {
		<-closed
		return 0, net.ErrClosed
	}
	return []conn.ReceiveFunc{recv}, port, nil
}

func (b *busyBind) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed != nil {
		close(b.closed)
		b.closed = nil
	}
	return nil
}

func (b *busyBind) SetMark(uint32) error               { return nil }
func (b *busyBind) Send([][]byte, conn.Endpoint) error { return nil }
func (b *busyBind) ParseEndpoint(s string) (conn.Endpoint, error) {
	return conn.NewStdNetBind().ParseEndpoint(s)
}
func (b *busyBind) BatchSize() int { return 1 }

// kernelTUN is a channel TUN that reports itself up only when told, as a
// kernel TUN does once the link is set up.
type kernelTUN struct {
	tun.Device
	events chan tun.Event
}

func (k *kernelTUN) Events() <-chan tun.Event { return k.events }

// linkUpNetwork is the fake network, except that setting the link up
// tells the TUN, and Apply returns only once the device has reacted to
// it by trying the busy port: the order in which wireguard-go fell back
// to a random port.
type linkUpNetwork struct {
	*platformtest.Fake
	tun     *kernelTUN
	refused chan struct{}
	once    sync.Once
}

func (n *linkUpNetwork) Apply(ctx context.Context, ifname string, s platform.Settings) error {
	if err := n.Fake.Apply(ctx, ifname, s); err != nil {
		return err
	}
	if !s.IsZero() {
		n.once.Do(func() {
			n.tun.events <- tun.EventUp
			<-n.refused
		})
	}
	return nil
}

// A ListenPort another program holds fails the start with a sentence
// that names the port, instead of a tunnel that is active on a random
// port no peer knows.
func TestEngineListenPortInUse(t *testing.T) {
	const port = 40000
	refused := make(chan struct{}, 4)
	ktun := &kernelTUN{Device: tuntest.NewChannelTUN().TUN(), events: make(chan tun.Event, 1)}
	// The channel TUN's own first event (EventUp) is not passed on.
	n := &linkUpNetwork{Fake: platformtest.New(), tun: ktun, refused: refused}
	cfg := splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")
	cfg.Interface.ListenPort = port
	_, err := StartEngine(context.Background(), EngineOptions{
		Name: "home", Interface: "home", Config: cfg, Logger: Logger{Errorf: t.Logf},
		Deps: Deps{
			CreateTUN: func(string, int) (tun.Device, error) { return ktun, nil },
			NewBind:   func() conn.Bind { return &busyBind{busy: port, randomPort: 51234, refused: refused} },
			Network:   n,
		},
	})
	var se *StepError
	var pe *PortInUseError
	if !errors.As(err, &se) || !errors.As(err, &pe) || pe.Port != port {
		t.Fatalf("start with port %d taken: %v, want a StepError with a PortInUseError", port, err)
	}
	want := fmt.Sprintf("UDP port %d is in use by another program; choose another ListenPort or remove it", port)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if got := n.State(); got != "" {
		t.Errorf("the failed start left:\n%s", got)
	}
}

func TestListenPortOf(t *testing.T) {
	for text, want := range map[string]uint16{
		"private_key=aa\nlisten_port=51820\nfwmark=1\npublic_key=bb\n": 51820,
		"private_key=aa\npublic_key=bb\nlisten_port=9\n":               0, // not the device's
		"private_key=aa\n": 0,
	} {
		if got, err := listenPortOf(text); err != nil || got != want {
			t.Errorf("%q: %d, %v, want %d", text, got, err, want)
		}
	}
	if _, err := listenPortOf("listen_port=x\n"); err == nil {
		t.Error("a bad listen_port line passed")
	}
}
