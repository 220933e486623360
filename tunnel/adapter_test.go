package tunnel

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.zx2c4.com/wireguard/tun"
	"golang.zx2c4.com/wireguard/tun/tuntest"

	"github.com/wgdesk/wgdesk/platform"
)

// luidTUN is a TUN device that reports a Windows LUID, as *tun.NativeTun
// does.
type luidTUN struct {
	tun.Device
	luid uint64
}

func (d luidTUN) LUID() uint64 { return d.luid }

// bindingNetwork is a Network that binds adapters, recording every call
// in order.
type bindingNetwork struct {
	platform.Network
	mu    sync.Mutex
	calls []string
}

func (n *bindingNetwork) BindAdapter(ifname string, id uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls = append(n.calls, fmt.Sprintf("bind %s %d", ifname, id))
}

func (n *bindingNetwork) Apply(ctx context.Context, ifname string, s platform.Settings) error {
	n.mu.Lock()
	n.calls = append(n.calls, fmt.Sprintf("apply %s empty=%v", ifname, s.IsZero()))
	n.mu.Unlock()
	return n.Network.Apply(ctx, ifname, s)
}

func (n *bindingNetwork) log() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.calls)
}

func TestEngineBindsAdapterBeforeApply(t *testing.T) {
	l := newLab(t)
	ck := mustKey(t)
	r := l.newRouter(ck)
	deps := l.deps()
	create := deps.CreateTUN
	deps.CreateTUN = func(name string, mtu int) (tun.Device, error) {
		d, err := create(name, mtu)
		return luidTUN{Device: d, luid: 0x2a000001}, err
	}
	bn := &bindingNetwork{Network: deps.Network}
	deps.Network = bn
	e, err := StartEngine(context.Background(), EngineOptions{
		Name: "test", Interface: "home", Config: clientConfig(ck, r),
		Deps: deps, Logger: Logger{Errorf: t.Logf},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := bn.log()
	want := []string{"bind home 704643073", "apply home empty=false", "apply home empty=true"}
	if !slices.Equal(got, want) {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestBindAdapterNeedsBoth(t *testing.T) {
	plain := tuntest.NewChannelTUN().TUN()
	bn := &bindingNetwork{}
	bindAdapter(bn, plain, "wgd0") // a device without a LUID: Linux, macOS
	if len(bn.log()) != 0 {
		t.Errorf("bound a device without a LUID: %q", bn.log())
	}
	bindAdapter(bn, luidTUN{Device: plain, luid: 7}, "home")
	if got := bn.log(); !slices.Equal(got, []string{"bind home 7"}) {
		t.Errorf("calls %q", got)
	}
	// A Network that does not bind is left alone (and does not panic).
	bindAdapter(nonBinding{}, luidTUN{Device: plain, luid: 7}, "home")
}

type nonBinding struct{ platform.Network }
