package tunnel

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"github.com/vishvananda/netns"
)

// The netlink route lookup in a network namespace of the test's own: no
// route at all, a connected subnet (a route to the endpoint, no default
// route), then a default route. Needs root.
func TestNetlinkRoutes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a network namespace")
	}
	name := fmt.Sprintf("wgdesk-rt-%d", os.Getpid())
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
	}
	ip("netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	in := func(args ...string) { t.Helper(); ip(append([]string{"-n", name}, args...)...) }

	// look runs the checks on a thread inside the namespace.
	look := func(dst string) (def, to bool) {
		t.Helper()
		type result struct {
			def, to bool
			err     error
		}
		ch := make(chan result)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
			h, err := netns.GetFromName(name)
			if err == nil {
				err = netns.Set(h)
				h.Close()
			}
			if err != nil {
				ch <- result{err: err}
				return
			}
			r := NewRouteChecker()
			var res result
			var err1, err2 error
			res.def, err1 = r.DefaultRoute()
			res.to, err2 = r.RouteTo(netip.MustParseAddr(dst))
			if err1 != nil {
				res.err = err1
			} else {
				res.err = err2
			}
			ch <- res
		}()
		res := <-ch
		if res.err != nil {
			t.Fatal(res.err)
		}
		return res.def, res.to
	}

	if def, to := look("198.51.100.1"); def || to {
		t.Errorf("empty namespace: default route %v, route to the endpoint %v", def, to)
	}
	in("link", "add", "up0", "type", "veth", "peer", "name", "up1")
	in("addr", "add", "198.51.100.2/24", "dev", "up0")
	in("link", "set", "up1", "up")
	in("link", "set", "up0", "up")
	if def, to := look("198.51.100.1"); def || !to {
		t.Errorf("connected subnet: default route %v, route to the endpoint %v", def, to)
	}
	if _, to := look("203.0.113.1"); to {
		t.Error("a route to an address outside the subnet, without a default route")
	}
	in("route", "add", "default", "via", "198.51.100.1")
	if def, to := look("203.0.113.1"); !def || !to {
		t.Errorf("default route: %v, route to any address %v", def, to)
	}
	// A blackhole default route carries nothing.
	in("route", "del", "default")
	in("route", "add", "blackhole", "default")
	if def, _ := look("203.0.113.1"); def {
		t.Error("a blackhole default route counts as online")
	}
}
