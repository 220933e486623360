//go:build cgo && linux

package app

import (
	"bufio"
	"bytes"
	"context"
	"image"
	_ "image/png"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/cli"
	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/internal/netlab"
	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
)

// smoke is the setup of an end-to-end test: the real binary built with
// cgo and a virtual X display, and a service on a socket: the fake one
// (serveFake) or the real one in a network lab (serveLab).
type smoke struct {
	t       *testing.T
	dir     string
	bin     string
	socket  string
	display string
	svc     *apitest.Service // with serveFake
	lab     *netlab.Lab      // with serveLab
}

func newSmoke(t *testing.T, tools ...string) *smoke {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary and starts an X server; skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("not root: the smoke tests run in make test-gui as root (they start an X server)")
	}
	for _, tool := range append([]string{"Xvfb"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is missing (make deps-gui installs it)", tool)
		}
	}
	s := &smoke{t: t, dir: t.TempDir()}
	s.bin = filepath.Join(s.dir, "wgdesk")
	build := exec.Command("go", "build", "-o", s.bin, "github.com/wgdesk/wgdesk")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	s.display = startXvfb(t)
	return s
}

// serveFake serves the in-process fake service with two tunnels, office
// active, on a socket of its own.
func (s *smoke) serveFake() {
	t := s.t
	t.Helper()
	s.svc = apitest.New()
	for _, name := range []string{"home", "office"} {
		cfg, _, err := config.Parse([]byte(smokeConfig(t)))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.svc.Import(name, cfg); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.svc.Up(context.Background(), "office"); err != nil {
		t.Fatal(err)
	}
	s.socket = filepath.Join(s.dir, "wgdesk.sock")
	ln, err := api.Listen(s.socket)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- api.Serve(ctx, ln, freshService{s.svc}, api.Options{
			Access:     &api.Access{PeerCred: func(net.Conn) (api.Cred, error) { return api.Cred{}, nil }},
			ConfigJSON: func(c *config.Config) any { return cli.NewConfigJSON(c, nil) },
		})
	}()
	t.Cleanup(func() { cancel(); <-served })
}

// serveLab runs the real service, the binary under test in service mode,
// in a network lab (internal/netlab) whose server namespace runs
// wireguard-go as the router. Two tunnels point at that router: "home",
// left off, and "office", brought up; serveLab returns once office has
// handshaken with the router through the lab's veth. The app then runs
// outside the namespaces, on the lab's socket.
func (s *smoke) serveLab() {
	t := s.t
	t.Helper()
	s.lab = netlab.New(t, netlab.Options{Bin: s.bin})
	s.lab.StartService()
	s.lab.Import("home", "0.0.0.0/0, ::/0")
	s.lab.Import("office", netlab.TunServer4+"/32, "+netlab.OfficeLAN4+"/32")
	s.lab.Wgdesk("up", "office")
	// A ping through the tunnel makes the handshake happen now rather
	// than whenever the keepalive is due.
	if err := s.lab.Ping(netlab.OfficeLAN4); err != nil {
		t.Fatalf("office LAN unreachable through the tunnel: %v", err)
	}
	s.socket = s.lab.SocketPath()
}

// proc is the running app.
type proc struct {
	cmd    *exec.Cmd
	stderr *netlab.Buffer
	done   chan struct{} // closed when the app exited
	err    error         // how it exited, once done is closed
}

// env is the environment of the app under test.
func (s *smoke) env() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + s.dir,            // Fyne keeps its settings there
		"XDG_RUNTIME_DIR=" + s.dir, // its single-instance socket too
		"DISPLAY=" + s.display,
		"LANG=en_US.UTF-8",
	}
}

// startApp runs wgdesk --socket on the display with env added; with the
// fake service it waits until the app follows the service's events (the
// real service has no such signal: callers poll for the window instead).
func (s *smoke) startApp(env ...string) *proc {
	s.t.Helper()
	return s.startAppArgs(nil, env...)
}

// startAppArgs is startApp with more arguments for the app.
func (s *smoke) startAppArgs(args []string, env ...string) *proc {
	t := s.t
	t.Helper()
	cmd := exec.Command(s.bin, append(args, "--socket", s.socket)...)
	p := &proc{cmd: cmd, stderr: &netlab.Buffer{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	cmd.Env = append(s.env(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	if s.svc == nil {
		return p
	}
	select {
	case <-s.svc.Subscribed:
	case <-p.done:
		t.Fatalf("app exited before connecting: %v\n%s", p.err, p.stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("app did not connect to the service\n%s", p.stderr.String())
	}
	return p
}

// poll checks done with a growing pause until it holds. The app is
// another process drawing on an X server: no event tells the test when a
// frame or a D-Bus export is ready, so these waits poll, bounded.
func (p *proc) poll(t *testing.T, what string, done func() bool) {
	t.Helper()
	for try := 0; !done(); try++ {
		if try == 100 {
			t.Fatalf("gave up waiting for %s\n%s", what, p.stderr.String())
		}
		select {
		case <-p.done:
			t.Fatalf("app exited while waiting for %s: %v\n%s", what, p.err, p.stderr.String())
		case <-time.After(time.Duration(min(try+1, 10)) * 50 * time.Millisecond):
		}
	}
}

// TestSmokeUnderXvfb starts the real binary on a virtual X display
// against the real service in a network lab (office up and handshaken
// with the lab's wireguard-go, home off), without a session bus, and
// takes a screenshot of its window into $WGDESK_SCREENSHOT_DIR (default a
// temporary directory) as main-window.png.
func TestSmokeUnderXvfb(t *testing.T) {
	s := newSmoke(t, "import", "xwininfo")
	s.serveLab()
	shots := os.Getenv("WGDESK_SCREENSHOT_DIR")
	if shots == "" {
		shots = s.dir
	}

	// What the app will show: office active with a real handshake, which
	// the router saw too; home imported but off.
	office := s.lab.Status("office")
	if office.State != "active" || len(office.Peers) != 1 {
		t.Fatalf("office after up: %+v", office)
	}
	peer := office.Peers[0]
	if peer.PublicKey != s.lab.ServerKey.PublicKey().String() || peer.LastHandshake == "" || peer.RxBytes == 0 {
		t.Fatalf("office's peer has no handshake with the lab's router: %+v", peer)
	}
	if hs, err := time.Parse(time.RFC3339, peer.LastHandshake); err != nil || time.Since(hs) > time.Hour {
		t.Fatalf("office's last handshake %q is not a recent time: %v", peer.LastHandshake, err)
	}
	if out := s.lab.ServerHandshakes(); !strings.Contains(out, s.lab.ClientKey.PublicKey().String()) || strings.Contains(out, "\t0\n") {
		t.Fatalf("the router has no handshake with the client: %q", out)
	}
	if home := s.lab.Status("home"); home.State != "inactive" {
		t.Fatalf("home should be off, is %q", home.State)
	}

	busesBefore := sessionBusDaemons(t)
	p := s.startApp() // no DBUS_SESSION_BUS_ADDRESS: the app must skip the tray

	// The title comes from the service's state: the app reached the real
	// service through the lab's socket and follows it.
	const title = "wgdesk — connected: office"
	window := p.waitWindow(t, s.display, title)
	shot := filepath.Join(shots, "main-window.png")
	var colours int
	// The title changes before the next frame is drawn. The bare window
	// ("Connecting…", three buttons) has about 250 colours of anti-aliased
	// text; with the two tunnels, badges and detail cards it has over 500.
	p.poll(t, "a screenshot of the loaded window", func() bool {
		if out, err := run(t, "import", "-display", s.display, "-window", window, shot); err != nil {
			t.Fatalf("screenshot: %v\n%s", err, out)
		}
		colours = distinctColours(t, shot)
		return colours > 400
	})
	t.Logf("screenshot with %d colours: %s", colours, shot)
	if !strings.Contains(p.stderr.String(), "no system tray") {
		t.Errorf("app did not log why it skipped the tray:\n%s", p.stderr.String())
	}

	// A second launch shows the first window and leaves.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hung test only
	defer cancel()
	second := exec.CommandContext(ctx, s.bin, "--socket", s.socket)
	second.Env = s.env()
	if out, err := second.CombinedOutput(); err != nil || !strings.Contains(string(out), "already running") {
		t.Errorf("second launch: %v\n%s", err, out)
	}
	select {
	case <-p.done:
		t.Errorf("the first instance exited after the second launch: %v\n%s", p.err, p.stderr.String())
	default:
	}

	// The app follows the real service live: office switched off from the
	// command line, the window's title says nothing is connected.
	s.lab.Wgdesk("down", "office")
	p.waitWindow(t, s.display, "wgdesk")

	// The session ends apps with SIGTERM: the app quits cleanly, exit
	// status 0, and says why.
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
		if p.err != nil || !strings.Contains(p.stderr.String(), "terminated: quitting") {
			t.Errorf("after SIGTERM: exit %v\n%s", p.err, p.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Errorf("the app did not quit on SIGTERM\n%s", p.stderr.String())
	}
	// Without a session bus the app must not have started one of its own
	// (D-Bus autolaunch), which would outlive it.
	for pid, args := range sessionBusDaemons(t) {
		if _, ok := busesBefore[pid]; !ok {
			t.Errorf("a session bus daemon appeared while the app ran: pid %d %s", pid, args)
		}
	}
}

// sessionBusDaemons lists the running dbus-daemon processes that serve a
// session bus, by pid.
func sessionBusDaemons(t *testing.T) map[int]string {
	t.Helper()
	out := map[int]string{}
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		if err != nil {
			continue // gone meanwhile
		}
		args := strings.ReplaceAll(strings.TrimRight(string(cmd), "\x00"), "\x00", " ")
		if strings.Contains(args, "dbus-daemon") && strings.Contains(args, "--session") {
			out[pid] = args
		}
	}
	return out
}

// waitWindow waits for a window with exactly this title on display and
// returns its X window id.
func (p *proc) waitWindow(t *testing.T, display, title string) string {
	t.Helper()
	var window string
	p.poll(t, "the window titled "+title, func() bool {
		out, err := run(t, "xwininfo", "-display", display, "-name", title)
		if err != nil {
			return false
		}
		// xwininfo: Window id: 0x200007 "wgdesk — connected: office"
		_, rest, _ := strings.Cut(out, "Window id: ")
		window, _, _ = strings.Cut(rest, " ")
		return strings.HasPrefix(window, "0x")
	})
	return window
}

// freshService moves the fake service's fixed times to the present, so
// that the screenshot reads "12 s ago" rather than a date long past.
type freshService struct{ *apitest.Service }

func (f freshService) fresh(info tunnel.TunnelInfo) tunnel.TunnelInfo {
	now := time.Now()
	info.Since = now.Add(-25 * time.Minute)
	info.Peers = slices.Clone(info.Peers)
	for i := range info.Peers {
		info.Peers[i].LastHandshake = now.Add(-12 * time.Second)
	}
	return info
}

func (f freshService) List() []tunnel.TunnelInfo {
	infos := f.Service.List()
	for i := range infos {
		infos[i] = f.fresh(infos[i])
	}
	return infos
}

func (f freshService) Get(name string) (tunnel.TunnelInfo, error) {
	info, err := f.Service.Get(name)
	return f.fresh(info), err
}

func (f freshService) Subscribe() (<-chan tunnel.Event, func()) {
	in, cancel := f.Service.Subscribe()
	out := make(chan tunnel.Event, 16)
	go func() {
		for ev := range in {
			ev.Tunnel = f.fresh(ev.Tunnel)
			out <- ev
		}
	}()
	return out, cancel
}

// run runs a short-lived X client; a client that hangs (import waits for
// a mouse click when it finds no window) fails the test instead.
func run(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s %s hung", name, strings.Join(args, " "))
	}
	return string(out), err
}

// startXvfb starts an X server on a free display and returns its name
// once it accepts clients (-displayfd writes the number when ready).
func startXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// -noreset: without it the server restarts whenever its last client
	// leaves, and a client that connects meanwhile cannot open the display.
	x := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-noreset")
	x.ExtraFiles = []*os.File{w}
	var xerr bytes.Buffer
	x.Stderr = &xerr
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		x.Process.Kill()
		x.Wait()
	})
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("Xvfb did not start: %v\n%s", err, xerr.String())
	}
	return ":" + strings.TrimSpace(line)
}

func distinctColours(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}

// smokeConfig is a config with fresh keys that looks like a RouterOS
// road-warrior setup.
func smokeConfig(t *testing.T) string {
	t.Helper()
	priv, err := config.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	peer, err := config.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return "[Interface]\nPrivateKey = " + priv.String() + "\nAddress = 192.168.100.2/32\nDNS = 192.168.100.1\n" +
		"[Peer]\nPublicKey = " + peer.PublicKey().String() + "\nAllowedIPs = 192.168.88.0/24\nEndpoint = 127.0.0.1:13231\nPersistentKeepalive = 25\n"
}
