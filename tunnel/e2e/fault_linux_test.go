package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/internal/netlab"
	"github.com/wgdesk/wgdesk/platform"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// The fault tests end each fault in a state a person can read (a tunnel
// "failed" with a sentence, or "inactive", or a service that refuses to
// start and says why) and prove that nothing stays behind once the
// service has started again. A ListenPort another program holds
// (wireguard-go failing to bind) is TestE2EListenPortInUse in
// busyport_linux_test.go.

// mustState fails the test unless the tunnel's state, read through the
// local API, is want.
func mustState(t *testing.T, c *api.Client, name, want string) api.TunnelJSON {
	t.Helper()
	tj, err := c.Get(context.Background(), name)
	if err != nil {
		t.Fatalf("get %s: %v", name, err)
	}
	if string(tj.State) != want {
		t.Fatalf("%s is %q (error %q), want %q", name, tj.State, tj.Error, want)
	}
	return tj
}

// dial is an API client of the lab's service for the test's duration.
func dial(t *testing.T, l *netlab.Lab) *api.Client {
	c := api.Dial(l.SocketPath())
	t.Cleanup(c.Close)
	return c
}

// mustRestore fails the test unless the client namespace is as before.
func mustRestore(t *testing.T, l *netlab.Lab, before, what string) {
	t.Helper()
	if after := l.FullSnapshot(); after != before {
		t.Fatalf("%s left changes behind (- before, + after):\n%s", what, platform.LineDiff(before, after))
	}
}

// A service killed with SIGKILL after any step of bringing a full tunnel
// up (a test build pauses there) leaves nothing behind once the release
// binary has started again, and the tunnel is inactive and starts.
func TestE2EFaultKilledDuringUp(t *testing.T) {
	l := netlab.New(t, netlab.Options{DNS: true})
	hooks := netlab.BuildTestHooks(t)
	before := l.FullSnapshot()
	svc := l.StartService()
	l.Import("home", "0.0.0.0/0, ::/0")
	svc.Stop(t)

	for _, step := range []string{"resolve", "create-tun", "set-config", "addresses-routes-dns", "up"} {
		svc := l.StartServiceWith(netlab.ServiceOptions{Bin: hooks, Env: []string{netlab.PauseEnv + "=" + step}})
		ctx, cancel := context.WithCancel(context.Background())
		c := api.Dial(l.SocketPath())
		upDone := make(chan error, 1)
		go func() { _, err := c.Up(ctx, "home"); upDone <- err }()
		netlab.WaitFor(t, 20*time.Second, "the pause after "+step, func() bool {
			return strings.Contains(svc.Log(), netlab.PausedLine+step+"\n")
		})
		during := l.FullSnapshot()
		switch step {
		case "resolve":
			if during != before {
				t.Fatalf("resolving changed the namespace:\n%s", platform.LineDiff(before, during))
			}
		case "addresses-routes-dns", "up":
			// The kill must interrupt a tunnel that changed routes and
			// resolv.conf, or the recovery is not tested.
			if !strings.Contains(during, "nameserver "+netlab.TunServer4) || !strings.Contains(during, "suppress_prefixlength 0") {
				t.Fatalf("paused after %s without the tunnel's rules and DNS in place:\n%s", step, platform.LineDiff(before, during))
			}
		default:
			if !strings.Contains(during, "home") {
				t.Fatalf("paused after %s without the tunnel's interface:\n%s", step, platform.LineDiff(before, during))
			}
		}
		svc.Kill()
		if err := <-upDone; err == nil {
			t.Fatalf("up returned no error although the service was killed after %s", step)
		}
		cancel()
		c.Close()

		next := l.StartService()
		mustRestore(t, l, before, "a kill after "+step+" and the next start")
		mustState(t, dial(t, l), "home", "inactive")
		next.Stop(t)
	}

	// The tunnel still works.
	svc = l.StartService()
	l.Wgdesk("up", "home")
	if err := l.Ping(netlab.OfficeLAN4); err != nil {
		t.Fatal(err)
	}
	l.Wgdesk("down", "home")
	svc.Stop(t)
	mustRestore(t, l, before, "the last run")
}

// A tunnel whose endpoint never answers comes up and stays up (wireguard
// keeps trying, as on every system), and its status is honest: no
// handshake, no traffic through it; down removes it all.
func TestE2EFaultEndpointUnreachable(t *testing.T) {
	l := netlab.New(t, netlab.Options{})
	before := l.FullSnapshot()
	svc := l.StartService()
	// 198.51.100.77 is on the uplink's subnet but nobody has it: the
	// packets die in ARP. The router's port 51999 answers with ICMP
	// port unreachable.
	c := dial(t, l)
	ctx := context.Background()
	for i, endpoint := range []string{"198.51.100.77:51820", netlab.UplinkServer + ":51999"} {
		name := fmt.Sprintf("nowhere%d", i)
		text := strings.Replace(l.ClientConfig("0.0.0.0/0, ::/0"), netlab.UplinkServer+":51820", endpoint, 1)
		if _, err := c.Import(ctx, name, text); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Up(ctx, name); err != nil {
			t.Fatalf("up of a tunnel to %s: %v", endpoint, err)
		}
		if err := l.Ping(netlab.TunServer4); err == nil {
			t.Fatalf("ping through a tunnel to %s, which nobody answers, succeeded", endpoint)
		}
		// Handshake initiations are retried every 5 s; the tunnel
		// survives them.
		time.Sleep(6 * time.Second)
		tj := mustState(t, c, name, "active")
		if len(tj.Peers) != 1 || !tj.Peers[0].LastHandshake.IsZero() || tj.Peers[0].RxBytes != 0 {
			t.Fatalf("status of a tunnel to %s, which never answered: %+v", endpoint, tj.Peers)
		}
		if tj.Error != "" {
			t.Fatalf("an active tunnel with an error %q", tj.Error)
		}
		if _, err := c.Down(ctx, name); err != nil {
			t.Fatal(err)
		}
		mustRestore(t, l, before, "down of a tunnel to "+endpoint)
	}
	svc.Stop(t)
}
