package netlab

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/config"
)

// Lab is a client and a server namespace joined by a veth pair, with
// Debian's wireguard-go running in the server namespace.
type Lab struct {
	t         testing.TB
	ID        string // random, in every name the lab gives to shared things
	Client    string // the client namespace, where wgdesk runs
	Server    string // the server namespace, the router
	Dir       string // the lab's files: configs, socket, state
	ServerKey config.Key
	ClientKey config.Key // the key ClientConfig gives; the server knows its public half
	Bin       string     // the wgdesk binary under test
	socket    string     // Options.Socket
}

// Options choose what a lab runs besides the namespaces and the server
// peer.
type Options struct {
	// Bin is the wgdesk binary to run; empty builds one without cgo.
	Bin string
	// DNS runs a DNS server for home.lan on TunServer4 in the server
	// namespace; the test binary's TestMain must call Main.
	DNS bool
	// Socket is where the service listens and the CLI connects; empty: a
	// socket in the lab's directory. An installed service's test sets the
	// unit's, together with ServiceOptions.Bare.
	Socket string
}

// RequireRoot skips the test unless it runs as root on Linux with TUN
// devices, and fails it when a tool the lab needs is missing.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("network labs need root for namespaces and TUN devices: run `make test` (it uses sudo) or go test as root")
	}
	for _, tool := range []string{"ip", "wg", "wireguard-go", "ping", "getent", "sysctl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: install Debian's wireguard-go wireguard-tools iproute2 iputils-ping (make deps-test)", tool)
		}
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skipf("no /dev/net/tun here: %v", err)
	}
}

// New makes a lab and starts the server peer; t.Cleanup removes it all.
// It skips the test where labs cannot run (see RequireRoot).
func New(t testing.TB, opts Options) *Lab {
	t.Helper()
	RequireRoot(t)
	if opts.DNS && !mainRan {
		t.Fatal("netlab: a lab with DNS needs netlab.Main in the package's TestMain")
	}
	l := &Lab{t: t, ID: randomID(), Bin: opts.Bin, socket: opts.Socket}
	if l.Bin == "" {
		l.Bin = Build(t, false)
	}
	l.Client = "wgd-c-" + l.ID
	l.Server = "wgd-s-" + l.ID
	var err error
	if l.Dir, err = os.MkdirTemp("", "wgdesk-netlab-"); err != nil {
		t.Fatal(err)
	}
	os.Chmod(l.Dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(l.Dir) })

	// The client's own resolv.conf, bind-mounted by `ip netns exec`.
	etc := filepath.Join("/etc/netns", l.Client)
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(etc) })
	if err := os.WriteFile(l.ResolvConfPath(), []byte("# the client's uplink resolver\nnameserver "+UplinkServer+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	Run(t, "ip", "netns", "add", l.Client)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", l.Client).Run() })
	Run(t, "ip", "netns", "add", l.Server)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", l.Server).Run() })

	// No duplicate address detection: otherwise the kernel adds the local
	// route of a link-local address whenever DAD ends, and the before and
	// after snapshots differ for reasons of timing alone.
	for _, ns := range []string{l.Client, l.Server} {
		l.InNS(ns, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
	}
	vc, vs := l.ClientUplink(), "vs"+l.ID
	Run(t, "ip", "link", "add", vc, "netns", l.Client, "type", "veth", "peer", "name", vs, "netns", l.Server)
	for _, ns := range []string{l.Client, l.Server} {
		l.InNS(ns, "ip", "link", "set", "lo", "up")
	}
	l.InNS(l.Client, "ip", "addr", "add", UplinkClient+"/24", "dev", vc)
	l.InNS(l.Client, "ip", "link", "set", vc, "up")
	l.InNS(l.Client, "ip", "route", "add", "default", "via", UplinkServer)
	l.InNS(l.Server, "ip", "addr", "add", UplinkServer+"/24", "dev", vs)
	l.InNS(l.Server, "ip", "link", "set", vs, "up")
	// The office LAN stands on the server's loopback: this kernel may lack
	// the dummy driver, and the router answers for its LAN either way.
	l.InNS(l.Server, "ip", "addr", "add", OfficeLAN4+"/32", "dev", "lo")
	l.InNS(l.Server, "ip", "-6", "addr", "add", OfficeLAN6+"/128", "dev", "lo")

	l.startServer()
	if opts.DNS {
		l.startDNS()
	}
	return l
}

func randomID() string {
	b := make([]byte, 3)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Run runs a command and fails the test with its output if it fails.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// InNS runs a command in one of the lab's namespaces and returns its
// output; it fails the test if the command fails.
func (l *Lab) InNS(ns string, args ...string) string {
	l.t.Helper()
	return Run(l.t, "ip", append([]string{"netns", "exec", ns}, args...)...)
}

// ClientUplink names the client's end of the veth pair, its way to the
// "internet".
func (l *Lab) ClientUplink() string { return "vc" + l.ID }

// ServerIf names the server's WireGuard interface. wireguard-go puts its
// control socket in the host's /var/run/wireguard, shared by every
// namespace, so the name is unique to the lab.
func (l *Lab) ServerIf() string { return "ws" + l.ID }

// ResolvConfPath is the client namespace's resolv.conf, as the host sees it.
func (l *Lab) ResolvConfPath() string {
	return filepath.Join("/etc/netns", l.Client, "resolv.conf")
}

// SocketPath is where the lab's service listens.
func (l *Lab) SocketPath() string {
	if l.socket != "" {
		return l.socket
	}
	return filepath.Join(l.Dir, "run", "wgdesk.sock")
}

// StateDir is the lab's service's state directory.
func (l *Lab) StateDir() string { return filepath.Join(l.Dir, "state") }

// startServer runs Debian's wireguard-go in the server namespace and
// configures it with wg(8), as a RouterOS peer would be set up.
func (l *Lab) startServer() {
	t := l.t
	var err error
	if l.ServerKey, err = config.NewPrivateKey(); err != nil {
		t.Fatal(err)
	}
	if l.ClientKey, err = config.NewPrivateKey(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", l.Server, "wireguard-go", "-f", l.ServerIf())
	out := &Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), "WG_PROCESS_FOREGROUND=1", "LOG_LEVEL=error")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start wireguard-go: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() && out.String() != "" {
			t.Logf("wireguard-go:\n%s", out.String())
		}
	})
	WaitFor(t, 10*time.Second, "wireguard-go's socket", func() bool {
		return exec.Command("ip", "netns", "exec", l.Server, "wg", "show", l.ServerIf()).Run() == nil
	})
	conf := filepath.Join(l.Dir, "server.conf")
	text := fmt.Sprintf("[Interface]\nPrivateKey = %s\nListenPort = %d\n\n[Peer]\nPublicKey = %s\nAllowedIPs = %s/32, %s/128\n",
		l.ServerKey, ServerPort, l.ClientKey.PublicKey(), TunClient4, TunClient6)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	l.InNS(l.Server, "wg", "setconf", l.ServerIf(), conf)
	l.InNS(l.Server, "ip", "addr", "add", TunServer4+"/24", "dev", l.ServerIf())
	l.InNS(l.Server, "ip", "-6", "addr", "add", TunServer6+"/64", "dev", l.ServerIf(), "nodad")
	l.InNS(l.Server, "ip", "link", "set", l.ServerIf(), "up")
}

// startDNS runs a small DNS server for home.lan on the router's tunnel
// address, as a RouterOS router with allow-remote-requests would: a child
// copy of the test binary, which Main turns into the server.
func (l *Lab) startDNS() {
	t := l.t
	cmd := exec.Command("ip", "netns", "exec", l.Server, os.Args[0])
	cmd.Env = append(os.Environ(), dnsHelperEnv+"="+TunServer4+":53")
	out := &Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() && out.String() != "" {
			t.Logf("dns server:\n%s", out.String())
		}
	})
}

// ClientConfig is the config a RouterOS show-client-config would give
// for the lab's server, with the given AllowedIPs.
func (l *Lab) ClientConfig(allowedIPs string) string {
	return fmt.Sprintf(`[Interface]
PrivateKey = %s
Address = %s/32, %s/128
DNS = %s, home.lan

[Peer]
PublicKey = %s
AllowedIPs = %s
Endpoint = %s:%d
PersistentKeepalive = 25
`, l.ClientKey, TunClient4, TunClient6, TunServer4, l.ServerKey.PublicKey(), allowedIPs, UplinkServer, ServerPort)
}

// Import writes ClientConfig(allowedIPs) to a file and imports it into
// the lab's service as name.
func (l *Lab) Import(name, allowedIPs string) {
	l.t.Helper()
	path := filepath.Join(l.Dir, name+".conf")
	if err := os.WriteFile(path, []byte(l.ClientConfig(allowedIPs)), 0o600); err != nil {
		l.t.Fatal(err)
	}
	l.Wgdesk("import", "--name", name, path)
}

// Service is one run of `wgdesk service` in the client namespace.
type Service struct {
	cmd  *exec.Cmd
	out  *Buffer
	done chan error // holds the exit status once the process ended
}

// StartService runs `wgdesk service` in the client namespace on the lab's
// socket and state directory, with direct DNS (the namespace's own
// resolv.conf), and returns once it answers; t.Cleanup kills it.
func (l *Lab) StartService() *Service {
	l.t.Helper()
	return l.StartServiceWith(ServiceOptions{})
}

// ServiceOptions change one run of the service (StartServiceWith).
type ServiceOptions struct {
	Bin  string   // the binary to run; empty: the lab's
	Env  []string // added to the service's environment
	Args []string // more flags, such as --allow-scripts
	// Bare runs Bin with Args alone, as a unit file's ExecStart would:
	// without the lab's --socket, --state-dir, --dns-mode direct and
	// --verbose. The service then uses its defaults (Options.Socket must
	// name its socket) and picks its DNS mode itself.
	Bare bool
}

// StartServiceWith is StartService with another binary or environment,
// such as a test build told to pause (see BuildTestHooks).
func (l *Lab) StartServiceWith(o ServiceOptions) *Service {
	t := l.t
	t.Helper()
	bin := o.Bin
	if bin == "" {
		bin = l.Bin
	}
	s := &Service{out: &Buffer{}, done: make(chan error, 1)}
	if o.Bare {
		s.cmd = exec.Command("ip", append([]string{"netns", "exec", l.Client, bin}, o.Args...)...)
	} else {
		os.MkdirAll(filepath.Dir(l.SocketPath()), 0o755)
		s.cmd = exec.Command("ip", append([]string{"netns", "exec", l.Client, bin, "service",
			"--socket", l.SocketPath(), "--state-dir", l.StateDir(), "--dns-mode", "direct", "--verbose"}, o.Args...)...)
	}
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if len(o.Env) > 0 {
		s.cmd.Env = append(os.Environ(), o.Env...)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		err := <-s.done
		s.done <- err
		if t.Failed() {
			t.Logf("service log:\n%s", s.out.String())
		}
	})
	WaitFor(t, 15*time.Second, "the service socket", func() bool {
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("service exited: %v\n%s", err, s.out.String())
		default:
		}
		return exec.Command(l.Bin, "list", "--socket", l.SocketPath()).Run() == nil
	})
	return s
}

// Log is what the service printed so far.
func (s *Service) Log() string { return s.out.String() }

// PID is the service's process id: `ip netns exec` replaces itself with
// the binary.
func (s *Service) PID() int { return s.cmd.Process.Pid }

// Stop sends SIGTERM and waits for a clean exit.
func (s *Service) Stop(t testing.TB) {
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

// WaitExit waits up to limit for the service to exit by itself, sending
// no signal (something else stops it, such as a package's prerm), and
// returns its exit status; exited is false when it still runs.
func (s *Service) WaitExit(limit time.Duration) (exited bool, err error) {
	select {
	case err := <-s.done:
		s.done <- err
		return true, err
	case <-time.After(limit):
		return false, nil
	}
}

// Kill kills the service with SIGKILL, as a crash would, and waits until
// it is gone.
func (s *Service) Kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	err := <-s.done
	s.done <- err
}

// Wgdesk runs a CLI verb against the lab's service and returns stdout;
// it fails the test if the command fails.
func (l *Lab) Wgdesk(args ...string) string {
	l.t.Helper()
	out, errOut, err := l.WgdeskResult(args...)
	if err != nil {
		l.t.Fatalf("wgdesk %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// WgdeskResult runs a CLI verb against the lab's service and returns its
// stdout, stderr and error.
func (l *Lab) WgdeskResult(args ...string) (stdout, stderr string, err error) {
	verb := args[0]
	full := append([]string{verb, "--socket", l.SocketPath()}, args[1:]...)
	cmd := exec.Command(l.Bin, full...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// PeerStatus is a peer in `wgdesk status --json`.
type PeerStatus struct {
	PublicKey     string `json:"public_key"`
	Endpoint      string `json:"endpoint"`
	RxBytes       uint64 `json:"rx_bytes"`
	TxBytes       uint64 `json:"tx_bytes"`
	LastHandshake string `json:"last_handshake"`
}

// TunnelStatus is `wgdesk status --json NAME`.
type TunnelStatus struct {
	Name      string       `json:"name"`
	State     string       `json:"state"`
	Interface string       `json:"interface"`
	Peers     []PeerStatus `json:"peers"`
}

// Status runs `wgdesk status --json name` and decodes it.
func (l *Lab) Status(name string) TunnelStatus {
	l.t.Helper()
	out := l.Wgdesk("status", "--json", name)
	var st TunnelStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		l.t.Fatalf("status --json %s is not a tunnel object: %v\n%s", name, err, out)
	}
	return st
}

// ServerHandshakes is the server's `wg show latest-handshakes`: a line
// per peer with its public key and the Unix time of the last handshake,
// 0 for none.
func (l *Lab) ServerHandshakes() string {
	l.t.Helper()
	return l.InNS(l.Server, "wg", "show", l.ServerIf(), "latest-handshakes")
}

// Snapshot is the client namespace's network state that a tunnel may
// touch: routes in every table, policy rules, addresses, links and the
// resolv.conf bytes.
func (l *Lab) Snapshot() string {
	t := l.t
	t.Helper()
	var b strings.Builder
	for _, args := range [][]string{
		{"ip", "-4", "route", "show", "table", "all"},
		{"ip", "-6", "route", "show", "table", "all"},
		{"ip", "-4", "rule", "show"},
		{"ip", "-6", "rule", "show"},
		{"ip", "-br", "addr", "show"},
		{"ip", "-br", "link", "show"},
	} {
		fmt.Fprintf(&b, "$ %s\n%s", strings.Join(args, " "), l.InNS(l.Client, args...))
	}
	rc, err := os.ReadFile(l.ResolvConfPath())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "$ cat resolv.conf\n%s", rc)
	return b.String()
}

// Ping sends a few pings from the client namespace and reports success.
func (l *Lab) Ping(addr string) error {
	args := []string{"netns", "exec", l.Client, "ping", "-c", "2", "-i", "0.2", "-W", "2", addr}
	if strings.Contains(addr, ":") {
		args = append(args[:4], append([]string{"-6"}, args[4:]...)...)
	}
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ping %s: %v\n%s", addr, err, out)
	}
	return nil
}

// WaitFor polls cond until it holds; it is for process start-up only and
// asserts nothing about speed.
func WaitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
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
