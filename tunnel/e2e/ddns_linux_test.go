package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/internal/netlab"
)

// connStatus is the part of `wgdesk status --json NAME` these tests read.
type connStatus struct {
	State      string `json:"state"`
	Connection string `json:"connection"`
	Peers      []struct {
		Endpoint      string `json:"endpoint"`
		LastHandshake string `json:"last_handshake"`
	} `json:"peers"`
}

func statusOf(t *testing.T, l *netlab.Lab, name string) connStatus {
	t.Helper()
	out := l.Wgdesk("status", "--json", name)
	var st connStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json %s: %v\n%s", name, err, out)
	}
	return st
}

// waitConnection polls status --json until the connection is want and
// returns how long that took.
func waitConnection(t *testing.T, l *netlab.Lab, name, want string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		st := statusOf(t, l, name)
		if st.Connection == want {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("%s: connection %q after %s, want %q", name, st.Connection, limit, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// status --json shows the states at the right times: a tunnel to Debian's
// wireguard-go peer is connected; one whose key the server does not know
// (the server stays silent, as a router that drops the port would) is
// connecting until 10 s have passed without a handshake, then
// no_handshake; an inactive tunnel shows none.
func TestE2EConnectionStates(t *testing.T) {
	l := netlab.New(t, netlab.Options{})
	l.StartService()

	l.Import("office", netlab.TunServer4+"/32")
	if st := statusOf(t, l, "office"); st.Connection != "" {
		t.Errorf("inactive tunnel: connection %q, want none", st.Connection)
	}
	l.Wgdesk("up", "office")
	waitConnection(t, l, "office", "connected", 10*time.Second)
	l.Wgdesk("down", "office")

	stranger, err := config.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(l.ClientConfig(netlab.TunServer4+"/32"), l.ClientKey.String(), stranger.String(), 1)
	path := filepath.Join(l.Dir, "stranger.conf")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	l.Wgdesk("import", "--name", "stranger", path)
	up := time.Now()
	l.Wgdesk("up", "stranger")
	if st := statusOf(t, l, "stranger"); st.State != "active" || st.Connection != "connecting" {
		t.Fatalf("right after up: %s/%q, want active/connecting", st.State, st.Connection)
	}
	waitConnection(t, l, "stranger", "no_handshake", 20*time.Second)
	if d := time.Since(up); d < 10*time.Second {
		t.Errorf("no_handshake after %s, before the 10 s a handshake may take", d)
	}
	if st := statusOf(t, l, "stranger"); st.Peers[0].LastHandshake != "" {
		t.Errorf("the stranger handshook: %+v", st.Peers)
	}
}

// A router on dynamic DNS moves: the endpoint's name resolves through the
// client namespace's hosts file, the server takes a new address (and
// loses its session, as a router that reconnects does), the name follows,
// and the client looks it up again, handshakes with the new address and
// passes traffic without `down`/`up`. Two triggers, each alone: the
// handshake grows older than --reresolve-after (shortened to 3 s), and,
// with that at an hour, a change of the client's network (netlink: an
// address added in the client namespace on each round, as a new Wi-Fi
// would).
//
// The name goes through /etc/hosts rather than the lab's DNS server: `ip
// netns exec` bind-mounts /etc/netns/NAME/hosts over /etc/hosts for the
// service it starts, which is the system resolver's first source, so the
// production lookup (Go's resolver, files before dns) runs unchanged; a
// DNS server would have to sit outside the tunnel on the uplink, which
// the lab keeps for the "internet". The file is rewritten in place: a
// bind mount follows the inode, not the name.
func TestE2EDDNSFollowsMovedRouter(t *testing.T) {
	t.Run("stale handshake", func(t *testing.T) { testDDNSMove(t, "3s", false, "no handshake for 3s") })
	t.Run("network change", func(t *testing.T) { testDDNSMove(t, "1h", true, "the network changed") })
}

func testDDNSMove(t *testing.T, reresolveAfter string, changeNetwork bool, why string) {
	const name = "router.ddns.test"
	const moved = "198.51.100.7"
	l := netlab.New(t, netlab.Options{})
	hosts := filepath.Join("/etc/netns", l.Client, "hosts")
	writeHosts := func(addr string) {
		t.Helper()
		f, err := os.OpenFile(hosts, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, "127.0.0.1 localhost\n%s %s\n", addr, name)
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	writeHosts(netlab.UplinkServer)
	svc := l.StartServiceWith(netlab.ServiceOptions{Args: []string{"--reresolve-after", reresolveAfter}})

	text := strings.Replace(l.ClientConfig(netlab.TunServer4+"/32, "+netlab.OfficeLAN4+"/32"),
		fmt.Sprintf("Endpoint = %s:%d", netlab.UplinkServer, netlab.ServerPort),
		fmt.Sprintf("Endpoint = %s:%d", name, netlab.ServerPort), 1)
	if !strings.Contains(text, name) {
		t.Fatal("the config names no host")
	}
	path := filepath.Join(l.Dir, "home.conf")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	l.Wgdesk("import", "--name", "home", path)
	l.Wgdesk("up", "home")
	waitConnection(t, l, "home", "connected", 10*time.Second)
	if err := l.Ping(netlab.OfficeLAN4); err != nil {
		t.Fatalf("before the move: %v", err)
	}
	old := fmt.Sprintf("%s:%d", netlab.UplinkServer, netlab.ServerPort)
	if st := statusOf(t, l, "home"); st.Peers[0].Endpoint != old {
		t.Fatalf("endpoint %s before the move, want %s", st.Peers[0].Endpoint, old)
	}

	// The router reconnects with a new address; the name follows.
	vs := "vs" + l.ID
	// Deleted first: deleting a subnet's primary address deletes its
	// secondaries too (without promote_secondaries).
	l.InNS(l.Server, "ip", "addr", "del", netlab.UplinkServer+"/24", "dev", vs)
	l.InNS(l.Server, "ip", "addr", "add", moved+"/24", "dev", vs)
	l.InNS(l.Server, "wg", "setconf", l.ServerIf(), filepath.Join(l.Dir, "server.conf"))
	movedAt := time.Now()
	writeHosts(moved)

	want := fmt.Sprintf("%s:%d", moved, netlab.ServerPort)
	var st connStatus
	for round := 1; ; round++ {
		if changeNetwork {
			l.InNS(l.Client, "ip", "addr", "add", fmt.Sprintf("192.0.2.%d/32", round), "dev", "lo")
		}
		// Traffic makes the client handshake when the old session gets
		// no answer.
		pingErr := l.Ping(netlab.OfficeLAN4)
		st = statusOf(t, l, "home")
		hs, _ := time.Parse(time.RFC3339, st.Peers[0].LastHandshake)
		if pingErr == nil && st.Peers[0].Endpoint == want && hs.After(movedAt.Add(-time.Second)) {
			break
		}
		if time.Since(movedAt) > 40*time.Second {
			t.Fatalf("40 s after the move: endpoint %s, handshake %s, ping %v", st.Peers[0].Endpoint, st.Peers[0].LastHandshake, pingErr)
		}
	}
	t.Logf("followed the move in %s", time.Since(movedAt).Round(time.Second))
	if st.State != "active" || st.Connection != "connected" {
		t.Errorf("after the move: %s/%s, want active/connected", st.State, st.Connection)
	}
	log := svc.Log()
	if n := strings.Count(log, "is up on"); n != 1 {
		t.Errorf("the tunnel came up %d times, want once (no down/up):\n%s", n, log)
	}
	if !strings.Contains(log, name+" moved from "+old+" to "+want+" ("+why+")") {
		t.Errorf("the service log does not name the move:\n%s", log)
	}
	if strings.Contains(log, l.ClientKey.String()) {
		t.Error("the service log holds the private key")
	}
}
