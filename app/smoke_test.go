//go:build cgo

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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/cli"
	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
)

// smoke is the setup of an end-to-end test: the real binary built with
// cgo, the fake service (two tunnels, office active) on a socket and a
// virtual X display.
type smoke struct {
	t       *testing.T
	dir     string
	bin     string
	socket  string
	display string
	svc     *apitest.Service
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
	s := &smoke{t: t, dir: t.TempDir(), svc: apitest.New()}
	s.bin = filepath.Join(s.dir, "wgdesk")
	build := exec.Command("go", "build", "-o", s.bin, "github.com/wgdesk/wgdesk")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}

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
	s.display = startXvfb(t)
	return s
}

// proc is the running app.
type proc struct {
	stderr *lockedBuffer
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

// startApp runs wgdesk --socket on the display with env added, and waits
// until it follows the service's events.
func (s *smoke) startApp(env ...string) *proc {
	t := s.t
	t.Helper()
	cmd := exec.Command(s.bin, "--socket", s.socket)
	p := &proc{stderr: &lockedBuffer{}, done: make(chan struct{})}
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
// against the fake service, without a session bus, and takes a
// screenshot of its window into $WGDESK_SCREENSHOT_DIR (default a
// temporary directory) as main-window.png.
func TestSmokeUnderXvfb(t *testing.T) {
	s := newSmoke(t, "import", "xwininfo")
	shots := os.Getenv("WGDESK_SCREENSHOT_DIR")
	if shots == "" {
		shots = s.dir
	}
	p := s.startApp() // no DBUS_SESSION_BUS_ADDRESS: the app must skip the tray

	const title = "wgdesk — connected: office"
	var window string // X window id
	p.poll(t, "the window titled "+title, func() bool {
		out, err := run(t, "xwininfo", "-display", s.display, "-name", title)
		if err != nil {
			return false
		}
		// xwininfo: Window id: 0x200007 "wgdesk — connected: office"
		_, rest, _ := strings.Cut(out, "Window id: ")
		window, _, _ = strings.Cut(rest, " ")
		return strings.HasPrefix(window, "0x")
	})
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

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
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
	x := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
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
