package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/config"
)

// Addresses used only inside the namespaces the lab creates: the veth
// between client and server stands for the internet, addresses on the
// server namespace's loopback for the office LAN behind the router.
const (
	uplinkServer = "198.51.100.1"
	uplinkClient = "198.51.100.2"
	serverPort   = 51820
	tunServer4   = "10.66.0.1"
	tunClient4   = "10.66.0.2"
	tunServer6   = "fd42:66::1"
	tunClient6   = "fd42:66::2"
	officeLAN4   = "203.0.113.10"
	officeLAN6   = "2001:db8:99::10"
	officeName   = "office.home.lan"
)

// lab is a client and a server namespace joined by a veth pair, with
// Debian's wireguard-go running in the server namespace.
type lab struct {
	t         *testing.T
	id        string
	client    string // namespace names
	server    string
	dir       string
	serverKey config.Key
	clientKey config.Key
	bin       string // the wgdesk binary under test
}

func requireRoot(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("end-to-end tests run on Linux only")
	}
	if os.Geteuid() != 0 {
		t.Skip("end-to-end tests need root for network namespaces and TUN devices: run `make test` (it uses sudo) or go test as root")
	}
	for _, tool := range []string{"ip", "wg", "wireguard-go", "ping", "getent", "runuser", "useradd", "sysctl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: install Debian's wireguard-go wireguard-tools iproute2 iputils-ping passwd (make deps-test)", tool)
		}
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skipf("no /dev/net/tun here: %v", err)
	}
}

var builtBin string

// buildWgdesk builds the binary once per test process.
func buildWgdesk(t *testing.T) string {
	t.Helper()
	if builtBin != "" {
		return builtBin
	}
	dir, err := os.MkdirTemp("", "wgdesk-e2e-bin-")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "wgdesk")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/wgdesk/wgdesk")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build wgdesk: %v\n%s", err, out)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	builtBin = bin
	return bin
}

func TestMain(m *testing.M) {
	if os.Getenv("WGDESK_DNS_HELPER") != "" {
		os.Exit(serveDNSHelper(os.Getenv("WGDESK_DNS_HELPER")))
	}
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

func randomID() string {
	b := make([]byte, 3)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// run runs a command and fails the test with its output if it fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// inNS runs a command in a namespace.
func inNS(t *testing.T, ns string, args ...string) string {
	t.Helper()
	return run(t, "ip", append([]string{"netns", "exec", ns}, args...)...)
}

func newLab(t *testing.T) *lab {
	t.Helper()
	requireRoot(t)
	l := &lab{t: t, id: randomID(), bin: buildWgdesk(t)}
	l.client = "wgd-c-" + l.id
	l.server = "wgd-s-" + l.id
	var err error
	if l.dir, err = os.MkdirTemp("", "wgdesk-e2e-"); err != nil {
		t.Fatal(err)
	}
	os.Chmod(l.dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(l.dir) })

	// The client's own resolv.conf, bind-mounted by `ip netns exec`.
	etc := filepath.Join("/etc/netns", l.client)
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(etc) })
	if err := os.WriteFile(filepath.Join(etc, "resolv.conf"), []byte("# the client's uplink resolver\nnameserver "+uplinkServer+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	run(t, "ip", "netns", "add", l.client)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", l.client).Run() })
	run(t, "ip", "netns", "add", l.server)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", l.server).Run() })

	// No duplicate address detection: otherwise the kernel adds the local
	// route of a link-local address whenever DAD ends, and the before and
	// after snapshots differ for reasons of timing alone.
	for _, ns := range []string{l.client, l.server} {
		inNS(t, ns, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
	}
	vc, vs := "vc"+l.id, "vs"+l.id
	run(t, "ip", "link", "add", vc, "netns", l.client, "type", "veth", "peer", "name", vs, "netns", l.server)
	for _, ns := range []string{l.client, l.server} {
		inNS(t, ns, "ip", "link", "set", "lo", "up")
	}
	inNS(t, l.client, "ip", "addr", "add", uplinkClient+"/24", "dev", vc)
	inNS(t, l.client, "ip", "link", "set", vc, "up")
	inNS(t, l.client, "ip", "route", "add", "default", "via", uplinkServer)
	inNS(t, l.server, "ip", "addr", "add", uplinkServer+"/24", "dev", vs)
	inNS(t, l.server, "ip", "link", "set", vs, "up")
	// The office LAN stands on the server's loopback: this kernel may lack
	// the dummy driver, and the router answers for its LAN either way.
	inNS(t, l.server, "ip", "addr", "add", officeLAN4+"/32", "dev", "lo")
	inNS(t, l.server, "ip", "-6", "addr", "add", officeLAN6+"/128", "dev", "lo")

	l.startServer()
	l.startDNS()
	return l
}

// serverIf names the server's WireGuard interface. wireguard-go puts its
// control socket in the host's /var/run/wireguard, shared by every
// namespace, so the name is unique to the lab.
func (l *lab) serverIf() string { return "ws" + l.id }

// startServer runs Debian's wireguard-go in the server namespace and
// configures it with wg(8), as a RouterOS peer would be set up.
func (l *lab) startServer() {
	t := l.t
	var err error
	if l.serverKey, err = config.NewPrivateKey(); err != nil {
		t.Fatal(err)
	}
	if l.clientKey, err = config.NewPrivateKey(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", l.server, "wireguard-go", "-f", l.serverIf())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), "WG_PROCESS_FOREGROUND=1", "LOG_LEVEL=error")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start wireguard-go: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	waitFor(t, 10*time.Second, "wireguard-go's socket", func() bool {
		return exec.Command("ip", "netns", "exec", l.server, "wg", "show", l.serverIf()).Run() == nil
	})
	conf := filepath.Join(l.dir, "server.conf")
	text := fmt.Sprintf("[Interface]\nPrivateKey = %s\nListenPort = %d\n\n[Peer]\nPublicKey = %s\nAllowedIPs = %s/32, %s/128\n",
		l.serverKey, serverPort, l.clientKey.PublicKey(), tunClient4, tunClient6)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	inNS(t, l.server, "wg", "setconf", l.serverIf(), conf)
	inNS(t, l.server, "ip", "addr", "add", tunServer4+"/24", "dev", l.serverIf())
	inNS(t, l.server, "ip", "-6", "addr", "add", tunServer6+"/64", "dev", l.serverIf(), "nodad")
	inNS(t, l.server, "ip", "link", "set", l.serverIf(), "up")
}

// startDNS runs a small DNS server for home.lan on the router's tunnel
// address, as a RouterOS router with allow-remote-requests would.
func (l *lab) startDNS() {
	t := l.t
	cmd := exec.Command("ip", "netns", "exec", l.server, os.Args[0])
	cmd.Env = append(os.Environ(), "WGDESK_DNS_HELPER="+tunServer4+":53")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
}

// clientConfig is the config a RouterOS show-client-config would give.
func (l *lab) clientConfig(allowedIPs string) string {
	return fmt.Sprintf(`[Interface]
PrivateKey = %s
Address = %s/32, %s/128
DNS = %s, home.lan

[Peer]
PublicKey = %s
AllowedIPs = %s
Endpoint = %s:%d
PersistentKeepalive = 25
`, l.clientKey, tunClient4, tunClient6, tunServer4, l.serverKey.PublicKey(), allowedIPs, uplinkServer, serverPort)
}

// service is one run of `wgdesk service` in the client namespace.
type service struct {
	cmd    *exec.Cmd
	out    *bytes.Buffer
	socket string
	done   chan error
}

func (l *lab) socketPath() string { return filepath.Join(l.dir, "run", "wgdesk.sock") }
func (l *lab) stateDir() string   { return filepath.Join(l.dir, "state") }

func (l *lab) startService() *service {
	t := l.t
	os.MkdirAll(filepath.Dir(l.socketPath()), 0o755)
	s := &service{out: new(bytes.Buffer), socket: l.socketPath(), done: make(chan error, 1)}
	s.cmd = exec.Command("ip", "netns", "exec", l.client, l.bin, "service",
		"--socket", s.socket, "--state-dir", l.stateDir(), "--dns-mode", "direct", "--verbose")
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.done
		if t.Failed() {
			t.Logf("service log:\n%s", s.out.String())
		}
	})
	waitFor(t, 15*time.Second, "the service socket", func() bool {
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("service exited: %v\n%s", err, s.out.String())
		default:
		}
		return exec.Command(l.bin, "list", "--socket", s.socket).Run() == nil
	})
	return s
}

// stop sends SIGTERM and waits for a clean exit.
func (s *service) stop(t *testing.T) {
	t.Helper()
	// ip netns exec replaces itself with the binary, so the pid is wgdesk's.
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
		if err != nil {
			t.Fatalf("service did not exit cleanly: %v\n%s", err, s.out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("service did not stop within 20s of SIGTERM\n%s", s.out.String())
	}
}

// wgdesk runs a CLI verb against the service and returns stdout.
func (l *lab) wgdesk(args ...string) string {
	l.t.Helper()
	out, errOut, err := l.wgdeskResult(args...)
	if err != nil {
		l.t.Fatalf("wgdesk %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func (l *lab) wgdeskResult(args ...string) (string, string, error) {
	verb := args[0]
	full := append([]string{verb, "--socket", l.socketPath()}, args[1:]...)
	cmd := exec.Command(l.bin, full...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// snapshot is the client namespace's network state that a tunnel may
// touch: routes in every table, policy rules, addresses, links and the
// resolv.conf bytes.
func (l *lab) snapshot() string {
	t := l.t
	var b strings.Builder
	for _, args := range [][]string{
		{"ip", "-4", "route", "show", "table", "all"},
		{"ip", "-6", "route", "show", "table", "all"},
		{"ip", "-4", "rule", "show"},
		{"ip", "-6", "rule", "show"},
		{"ip", "-br", "addr", "show"},
		{"ip", "-br", "link", "show"},
	} {
		fmt.Fprintf(&b, "$ %s\n%s", strings.Join(args, " "), inNS(t, l.client, args...))
	}
	rc, err := os.ReadFile(filepath.Join("/etc/netns", l.client, "resolv.conf"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "$ cat resolv.conf\n%s", rc)
	return b.String()
}

// ping sends a few pings from the client namespace and reports success.
func (l *lab) ping(addr string) error {
	args := []string{"netns", "exec", l.client, "ping", "-c", "2", "-i", "0.2", "-W", "2", addr}
	if strings.Contains(addr, ":") {
		args = append(args[:4], append([]string{"-6"}, args[4:]...)...)
	}
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ping %s: %v\n%s", addr, err, out)
	}
	return nil
}

// waitFor polls cond until it holds; it is for process start-up only and
// asserts nothing about speed.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s after %s", what, limit)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
