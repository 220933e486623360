package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/internal/netlab"
	"github.com/wgdesk/wgdesk/tunnel/api"

	goldenfile "github.com/wgdesk/wgdesk/internal/golden"
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
		t.Fatalf("%s left changes behind (- before, + after):\n%s", what, goldenfile.Diff(before, after))
	}
}

// nftTables is the `nft list tables` part of a FullSnapshot.
func nftTables(snapshot string) string {
	_, tables, _ := strings.Cut(snapshot, "$ nft list tables\n")
	return tables
}

// A service killed with SIGKILL after any step of bringing a full tunnel
// up (a test build pauses there), scripts included, leaves nothing
// behind once the release binary has started again, and the tunnel is
// inactive and starts.
func TestE2EFaultKilledDuringUp(t *testing.T) {
	l := netlab.New(t, netlab.Options{DNS: true})
	hooks := netlab.BuildTestHooks(t)
	before := l.FullSnapshot()
	scripts := netlab.ServiceOptions{Args: []string{"--allow-scripts"}}
	svc := l.StartServiceWith(scripts)
	text := strings.Replace(l.ClientConfig("0.0.0.0/0, ::/0"), "[Peer]", "PreUp = true\nPostUp = true\n\n[Peer]", 1)
	if _, err := dial(t, l).Import(context.Background(), "home", text); err != nil {
		t.Fatal(err)
	}
	svc.Stop(t)

	for _, step := range []string{"resolve", "pre-up", "create-tun", "set-config", "addresses-routes-dns", "up", "post-up"} {
		svc := l.StartServiceWith(netlab.ServiceOptions{Bin: hooks, Env: []string{netlab.PauseEnv + "=" + step}, Args: scripts.Args})
		ctx, cancel := context.WithCancel(context.Background())
		c := api.Dial(l.SocketPath())
		upDone := make(chan error, 1)
		go func() { _, err := c.Up(ctx, "home"); upDone <- err }()
		netlab.WaitFor(t, 20*time.Second, "the pause after "+step, func() bool {
			return strings.Contains(svc.Log(), netlab.PausedLine+step+"\n")
		})
		during := l.FullSnapshot()
		switch step {
		case "resolve", "pre-up":
			if during != before {
				t.Fatalf("the namespace changed before the TUN was made (after %s):\n%s", step, goldenfile.Diff(before, during))
			}
		case "addresses-routes-dns", "up", "post-up":
			// The kill must interrupt a tunnel that changed routes and
			// resolv.conf, or the recovery is not tested.
			if !strings.Contains(during, "nameserver "+netlab.TunServer4) || !strings.Contains(during, "suppress_prefixlength 0") {
				t.Fatalf("paused after %s without the tunnel's rules and DNS in place:\n%s", step, goldenfile.Diff(before, during))
			}
		default:
			if !strings.Contains(during, "\nhome ") { // a line of `ip -br link`
				t.Fatalf("paused after %s without the tunnel's interface:\n%s", step, goldenfile.Diff(before, during))
			}
		}
		svc.Kill()
		if err := <-upDone; err == nil {
			t.Fatalf("up returned no error although the service was killed after %s", step)
		}
		t.Logf("killed after %s; nftables tables then: %q", step, nftTables(during))
		// A kill switch in force stays closed until the next start.
		if tables := nftTables(during); tables != "" {
			if got := nftTables(l.FullSnapshot()); got != tables {
				t.Fatalf("the kill after %s changed the nftables tables from %q to %q", step, tables, got)
			}
		}
		cancel()
		c.Close()

		next := l.StartService()
		mustRestore(t, l, before, "a kill after "+step+" and the next start")
		mustState(t, dial(t, l), "home", "inactive")
		next.Stop(t)
	}

	// The tunnel still works, and the release binary has no pause: it
	// ignores the variable, and does not even contain its name.
	for bin, want := range map[string]bool{l.Bin: false, hooks: true} {
		b, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.Contains(b, []byte(netlab.PauseEnv)); got != want {
			t.Fatalf("%s contains %s: %v, want %v", bin, netlab.PauseEnv, got, want)
		}
	}
	svc = l.StartServiceWith(netlab.ServiceOptions{Env: []string{netlab.PauseEnv + "=create-tun"}, Args: scripts.Args})
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
	c := dial(t, l)
	ctx := context.Background()
	// 198.51.100.77 is on the uplink's subnet but nobody has it: the
	// packets die in ARP. The router's port 51999 answers with ICMP
	// port unreachable.
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

// The uplink vanishes while a full tunnel is up (a pulled cable, a lost
// Wi-Fi) and comes back: the tunnel stays up, or fails with a sentence;
// once the uplink is back, traffic flows again, and down leaves nothing.
func TestE2EFaultUplinkRemoved(t *testing.T) {
	l := netlab.New(t, netlab.Options{DNS: true})
	before := l.FullSnapshot()
	svc := l.StartService()
	c := dial(t, l)
	ctx := context.Background()
	l.Import("home", "0.0.0.0/0, ::/0")
	if _, err := c.Up(ctx, "home"); err != nil {
		t.Fatal(err)
	}
	if err := l.Ping(netlab.OfficeLAN4); err != nil {
		t.Fatal(err)
	}

	tablesUp := l.InNS(l.Client, "nft", "list", "tables")

	restore := l.RemoveUplink()
	// Long enough for the service to notice (the re-apply loop) and
	// for wireguard-go's sends to fail.
	time.Sleep(3 * time.Second)
	// The kill switch, when in force, stays closed without an uplink.
	if got := l.InNS(l.Client, "nft", "list", "tables"); got != tablesUp {
		t.Fatalf("the nftables tables changed when the uplink went, from %q to %q", tablesUp, got)
	}
	if err := l.Ping(netlab.OfficeLAN4); err == nil {
		t.Fatal("the office answered without an uplink: the test proves nothing")
	}
	tj, err := c.Get(ctx, "home")
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case tj.State == "active" && tj.Error == "":
	case tj.State == "failed" && tj.Error != "":
	default:
		t.Fatalf("without an uplink the tunnel is %q with error %q", tj.State, tj.Error)
	}
	t.Logf("without the uplink: %s %s", tj.State, tj.Error)

	restore()
	if tj.State == "failed" {
		if _, err := c.Up(ctx, "home"); err != nil {
			t.Fatalf("up after the uplink came back: %v", err)
		}
	}
	// wireguard-go sends a new handshake initiation once a packet waits
	// and the last one is older than 5 s.
	netlab.WaitFor(t, 30*time.Second, "traffic through the tunnel after the uplink came back", func() bool {
		return l.Ping(netlab.OfficeLAN4) == nil
	})
	mustState(t, c, "home", "active")
	if _, err := c.Down(ctx, "home"); err != nil {
		t.Fatal(err)
	}
	mustRestore(t, l, before, "down after the uplink came back")
	svc.Stop(t)
	mustRestore(t, l, before, "the service's exit")
}

// The state directory fills up while the service runs: an import fails
// with a sentence, a tunnel either comes up or fails with a sentence and
// leaves nothing behind, the stored tunnels stay whole, and once there is
// room again everything works.
func TestE2EFaultStateDirFull(t *testing.T) {
	l := netlab.New(t, netlab.Options{DNS: true})
	l.MountTmpfs(l.StateDir(), 1<<20)
	before := l.FullSnapshot()
	svc := l.StartService()
	c := dial(t, l)
	ctx := context.Background()
	l.Import("home", "0.0.0.0/0, ::/0")
	l.Import("office", "10.66.0.0/24, 203.0.113.0/24")

	filler, err := netlab.FillDir(l.StateDir())
	if err != nil {
		t.Fatalf("fill the state directory: %v", err)
	}
	_, err = c.Import(ctx, "more", l.ClientConfig("10.66.0.0/24"))
	if err == nil {
		t.Fatal("an import into a full state directory succeeded")
	}
	if !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("the failed import does not say the disk is full: %v", err)
	}
	t.Logf("import: %v", err)
	for _, name := range []string{"home", "office"} {
		tj, err := c.Up(ctx, name)
		t.Logf("up %s with a full state directory: %v; %s %q", name, err, tj.State, tj.Error)
		if err != nil {
			tj = mustState(t, c, name, "failed")
			if !strings.Contains(tj.Error, "no space left on device") {
				t.Fatalf("%s failed without saying the disk is full: %q", name, tj.Error)
			}
			mustRestore(t, l, before, "a failed up of "+name)
			continue
		}
		if err := l.Ping(netlab.TunServer4); err != nil {
			t.Fatalf("%s is active but carries nothing: %v", name, err)
		}
		if _, err := c.Down(ctx, name); err != nil {
			t.Fatalf("down %s with a full state directory: %v", name, err)
		}
		mustRestore(t, l, before, "up and down of "+name+" with a full state directory")
	}
	// The failed import left no half-stored tunnel.
	if list, err := c.List(ctx); err != nil || len(list) != 2 {
		t.Fatalf("list with a full state directory: %v, %v", list, err)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Import(ctx, "more", l.ClientConfig("10.66.0.0/24")); err != nil {
		t.Fatalf("import once there is room: %v", err)
	}
	svc.Stop(t)
	// The next start finds every tunnel whole.
	svc = l.StartService()
	for _, name := range []string{"home", "office", "more"} {
		mustState(t, c, name, "inactive")
	}
	l.Wgdesk("up", "home")
	if err := l.Ping(netlab.OfficeLAN4); err != nil {
		t.Fatal(err)
	}
	l.Wgdesk("down", "home")
	svc.Stop(t)
	mustRestore(t, l, before, "the last run")
}

// serviceRefuses runs the service, which must exit with an error within
// a while, and returns what it printed.
func serviceRefuses(t *testing.T, l *netlab.Lab) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", "netns", "exec", l.Client, l.Bin, "service",
		"--socket", l.SocketPath(), "--state-dir", l.StateDir(), "--dns-mode", "direct", "--verbose").CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("the service kept running:\n%s", out)
	}
	if err == nil {
		t.Fatalf("the service exited without an error:\n%s", out)
	}
	return string(out)
}

// The state directory turns read-only (as a file system does after an
// I/O error) while the service runs: tunnels come up or fail with a
// sentence and leave nothing behind. A service that starts on a
// read-only state directory says so and exits, after it has undone what
// a crashed run left behind.
func TestE2EFaultStateDirReadOnly(t *testing.T) {
	l := netlab.New(t, netlab.Options{DNS: true})
	l.MountTmpfs(l.StateDir(), 1<<20)
	before := l.FullSnapshot()
	svc := l.StartService()
	c := dial(t, l)
	ctx := context.Background()
	l.Import("home", "0.0.0.0/0, ::/0")

	l.RemountTmpfs(l.StateDir(), true)
	if _, err := c.Import(ctx, "more", l.ClientConfig("10.66.0.0/24")); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("an import into a read-only state directory: %v", err)
	}
	tj, err := c.Up(ctx, "home")
	t.Logf("up with a read-only state directory: %v; %s %q", err, tj.State, tj.Error)
	if err != nil {
		if tj = mustState(t, c, "home", "failed"); !strings.Contains(tj.Error, "read-only file system") {
			t.Fatalf("home failed without saying the state directory is read-only: %q", tj.Error)
		}
		// The CLI says it in a sentence that names the directory.
		_, stderr, err := l.WgdeskResult("up", "home")
		want := "The state directory " + l.StateDir() + " is read-only: wgdesk cannot record what it changes, so it did not bring home up."
		if err == nil || !strings.Contains(stderr, want) {
			t.Fatalf("wgdesk up with a read-only state directory: %v\n%s\nwant %q", err, stderr, want)
		}
	} else {
		if err := l.Ping(netlab.OfficeLAN4); err != nil {
			t.Fatalf("home is active but carries nothing: %v", err)
		}
		if _, err := c.Down(ctx, "home"); err != nil {
			t.Fatalf("down with a read-only state directory: %v", err)
		}
	}
	mustRestore(t, l, before, "home with a read-only state directory")
	svc.Stop(t)

	out := serviceRefuses(t, l)
	t.Logf("a start on the read-only state directory:\n%s", out)
	if !strings.Contains(out, "read-only") || !strings.Contains(out, l.StateDir()) {
		t.Fatalf("the service's refusal does not name the read-only state directory:\n%s", out)
	}
	mustRestore(t, l, before, "a refused start")

	// A crash with the full tunnel up, and the disk goes read-only
	// before the next start: that start still undoes the crashed run's
	// rules, routes, kill switch and resolv.conf from its journal, which
	// it cannot update, before it gives up.
	l.RemountTmpfs(l.StateDir(), false)
	svc = l.StartService()
	l.Wgdesk("up", "home")
	svc.Kill()
	l.RemountTmpfs(l.StateDir(), true)
	out = serviceRefuses(t, l)
	t.Logf("a start on the read-only state directory after a crash:\n%s", out)
	mustRestore(t, l, before, "a start on a read-only state directory after a crash")

	l.RemountTmpfs(l.StateDir(), false)
	svc = l.StartService()
	mustState(t, c, "home", "inactive")
	svc.Stop(t)
	mustRestore(t, l, before, "the last run")
}

// A stored config that no longer parses (a disk error, a hand edit)
// does not stop the service: it lists the others, which work, and shows
// that one as failed with a sentence naming the file and the line.
func TestE2EFaultCorruptStoredConfig(t *testing.T) {
	l := netlab.New(t, netlab.Options{DNS: true})
	before := l.FullSnapshot()
	svc := l.StartService()
	l.Import("home", "0.0.0.0/0, ::/0")
	l.Import("office", "10.66.0.0/24, 203.0.113.0/24")
	svc.Stop(t)
	stored := filepath.Join(l.StateDir(), "tunnels", "home.conf")
	if err := os.WriteFile(stored, []byte("[Interface]\nPrivateKey = not a key\n\x00\x00garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	svc = l.StartService()
	c := dial(t, l)
	ctx := context.Background()
	list, err := c.List(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("list with a corrupt config: %+v, %v", list, err)
	}
	tj := mustState(t, c, "home", "failed")
	if !strings.Contains(tj.Error, "home.conf") || !strings.Contains(tj.Error, "line") {
		t.Fatalf("the corrupt tunnel's error does not name the file and the line: %q", tj.Error)
	}
	t.Logf("home: %s", tj.Error)
	if _, err := c.Up(ctx, "home"); err == nil {
		t.Fatal("a corrupt config came up")
	} else {
		t.Logf("up home: %v", err)
	}
	mustRestore(t, l, before, "a refused up of a corrupt config")
	mustState(t, c, "office", "inactive")
	if _, err := c.Up(ctx, "office"); err != nil {
		t.Fatal(err)
	}
	if err := l.Ping(netlab.OfficeLAN4); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Down(ctx, "office"); err != nil {
		t.Fatal(err)
	}
	svc.Stop(t)
	mustRestore(t, l, before, "the last run")
}
