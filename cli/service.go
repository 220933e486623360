package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/platform"
	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// serviceOptions are the flags of `wgdesk service`.
type serviceOptions struct {
	socket       string
	stateDir     string
	dnsMode      string
	resolvConf   string
	allowScripts bool
	verbose      bool
	// reresolveAfter: how old a handshake may grow before a host name
	// endpoint is looked up again (tunnel.DefaultReresolve).
	reresolveAfter time.Duration
}

// isRoot is a seam: tests check the refusal without dropping privileges.
// It is root on Linux and macOS, an elevated administrator or LocalSystem
// on Windows.
var isRoot = isRootOS

// closeTimeout bounds taking every tunnel down at exit.
const closeTimeout = 30 * time.Second

// Service implements `wgdesk service`: the privileged tunnel service. It
// runs until SIGTERM or SIGINT, then takes every tunnel down and returns 0.
// args excludes the verb.
func Service(args []string, stdout, stderr io.Writer) int {
	if code, ok := serviceSubverb(args, stdout, stderr); ok {
		return code
	}
	var o serviceOptions
	fs := flag.NewFlagSet("wgdesk service", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.socket, "socket", api.DefaultSocket, "where to listen for the CLI and the app")
	fs.StringVar(&o.stateDir, "state-dir", defaultStateDir(), "where tunnels and the undo journal are kept")
	fs.StringVar(&o.dnsMode, "dns-mode", "auto", "how to set DNS: auto, resolved, resolvconf or direct")
	fs.StringVar(&o.resolvConf, "resolv-conf", "", "the file the direct DNS mode edits (default /etc/resolv.conf)")
	fs.BoolVar(&o.allowScripts, "allow-scripts", false, "run PreUp/PostUp/PreDown/PostDown commands of configs (as root)")
	fs.BoolVar(&o.verbose, "verbose", false, "log every step")
	fs.DurationVar(&o.reresolveAfter, "reresolve-after", tunnel.DefaultReresolve, "look a host name endpoint up again when its peer's latest handshake is older than this")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: wgdesk service [flags]\n       wgdesk service install|uninstall")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	switch o.dnsMode {
	case "auto", "resolved", "resolvconf", "direct":
	default:
		fmt.Fprintf(stderr, "wgdesk service: unknown --dns-mode %q: use auto, resolved, resolvconf or direct\n", o.dnsMode)
		return exitUsage
	}
	if !isRoot() {
		fmt.Fprintln(stderr, "wgdesk service: "+needPrivilege)
		return exitFail
	}
	if code, ok := runAsOSService(o, stderr); ok {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runService(ctx, o, stderr, nil)
}

// runService runs the service until ctx ends. ready, if set, is called once
// the socket accepts connections.
func runService(ctx context.Context, o serviceOptions, stderr io.Writer, ready func()) int {
	logs := newLogs(stderr, o.verbose)
	slog := logs.component("service")
	// Listen first: if another service runs, Recover below would undo its
	// live tunnels' settings.
	ln, err := api.Listen(o.socket)
	if err != nil {
		slog.Errorf("%v", err)
		return exitFail
	}
	defer ln.Close()
	if err := prepareStateDir(o.stateDir); err != nil {
		slog.Errorf("%v", err)
		return exitFail
	}
	dnsMode := o.dnsMode
	if dnsMode == "auto" {
		dnsMode = ""
	}
	plog := logs.component("platform")
	network, err := platform.New(platform.Options{StateDir: o.stateDir, DNSMode: dnsMode, ResolvConf: o.resolvConf,
		Logger: platform.Logger{Verbosef: plog.Verbosef, Errorf: plog.Errorf}})
	if err != nil {
		slog.Errorf("set up the network: %v", err)
		return exitFail
	}
	slog.Verbosef("undoing what an earlier run left behind, if anything")
	if err := network.Recover(ctx); err != nil {
		// Go on: a leftover that cannot be undone must not keep every
		// other tunnel from working; the log says what is left.
		slog.Errorf("undo an earlier run's leftovers: %v", err)
	}
	preflight(slog.Printf)
	tlog := logs.component("tunnel")
	mgr, err := tunnel.NewManager(tunnel.ManagerOptions{
		StateDir:     o.stateDir,
		Deps:         tunnel.Deps{Network: network},
		AllowScripts: o.allowScripts,
		Logger:       tunnel.Logger{Verbosef: tlog.Verbosef, Errorf: tlog.Errorf},

		ReresolveAfter: o.reresolveAfter,
	})
	if err != nil {
		slog.Errorf("%v", err)
		return exitFail
	}
	alog := logs.component("api")
	slog.Printf("wgdesk %s listening on %s", version(), o.socket)
	if ready != nil {
		ready()
	}
	// Tunnels marked "connect at startup" come up beside the API: the
	// wait for the network must not keep the app and CLI out.
	autoCtx, stopAuto := context.WithCancel(ctx)
	autoDone := make(chan struct{})
	go func() {
		defer close(autoDone)
		mgr.Autostart(autoCtx, tunnel.AutostartOptions{})
	}()
	code := exitOK
	err = api.Serve(ctx, ln, mgr, api.Options{
		Version:    version(),
		Logger:     api.Logger{Verbosef: alog.Verbosef, Errorf: alog.Errorf},
		ConfigJSON: redactedConfigJSON,
		RecentLog:  logs.Recent,
		Doctor:     newDoctor(mgr, network, logs.component("doctor")),
	})
	if err != nil {
		slog.Errorf("%v", err)
		code = exitFail
	}
	stopAuto()
	<-autoDone
	slog.Printf("stopping: taking every tunnel down")
	cctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if err := mgr.Close(cctx); err != nil {
		slog.Errorf("take tunnels down: %v", err)
		code = exitFail
	}
	return code
}

// redactedConfigJSON is a tunnel's config as the API shows it: the shape of
// `wgdesk parse --json`. The API redacts before calling it; the interface's
// public key and the preshared-key flags survive redaction.
func redactedConfigJSON(c *config.Config) any { return NewConfigJSON(c, nil) }

// Version is the program's version; main sets it from its build flags.
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// logs hands out per-component loggers writing to one stream, and keeps
// the latest lines (verbose ones included) for the app's log view.
type logs struct {
	l       *log.Logger
	errs    *log.Logger // l, or one for the error side of its writer
	verbose bool

	mu     sync.Mutex
	recent []string // ring of the latest lines
	next   int      // where the next line goes once recent is full
}

// recentLines is how many lines GET /v1/log can show.
const recentLines = 1000

func newLogs(w io.Writer, verbose bool) *logs {
	l := &logs{l: log.New(w, "", log.LstdFlags), verbose: verbose}
	l.errs = errorLogger(w, l.l)
	return l
}

// keep adds a line to the ring.
func (l *logs) keep(msg string) {
	line := time.Now().Format("2006-01-02 15:04:05 ") + msg
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.recent) < recentLines {
		l.recent = append(l.recent, line)
		return
	}
	l.recent[l.next] = line
	l.next = (l.next + 1) % recentLines
}

// Recent returns the kept lines, oldest first.
func (l *logs) Recent() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.recent))
	out = append(out, l.recent[l.next:]...)
	return append(out, l.recent[:l.next]...)
}

// componentLog prefixes every line with its component's name.
type componentLog struct {
	logs   *logs
	prefix string
}

func (l *logs) component(name string) componentLog {
	return componentLog{logs: l, prefix: name + ": "}
}

func (c componentLog) line(format string, args ...any) string {
	msg := fmt.Sprintf(format, args...)
	if !strings.HasPrefix(msg, c.prefix) {
		msg = c.prefix + msg
	}
	return msg
}

func (c componentLog) Printf(format string, args ...any) {
	msg := c.line(format, args...)
	c.logs.keep(msg)
	c.logs.l.Print(msg)
}

func (c componentLog) Errorf(format string, args ...any) {
	msg := c.line(format, args...)
	c.logs.keep(msg)
	c.logs.errs.Print(msg)
}

// Verbosef logs to the stream only with --verbose; the log view always
// gets the line.
func (c componentLog) Verbosef(format string, args ...any) {
	if c.logs.verbose {
		c.Printf(format, args...)
		return
	}
	c.logs.keep(c.line(format, args...))
}

// EmbeddedService runs the tunnel service inside another process (the
// desktop app started as root on a machine where no service runs: the
// one-command quick start) with the DNS mode chosen at run time; stateDir ""
// is the default. It returns once the socket accepts connections; the service runs until
// ctx ends, then takes every tunnel down and sends its exit code on done.
func EmbeddedService(ctx context.Context, socket, stateDir string, stderr io.Writer) (done <-chan int, err error) {
	if !isRoot() {
		return nil, fmt.Errorf("run the service in-process: not root")
	}
	if stateDir == "" {
		stateDir = defaultStateDir()
	}
	o := serviceOptions{socket: socket, stateDir: stateDir, dnsMode: "auto"}
	ready := make(chan struct{})
	out := make(chan int, 1)
	go func() { out <- runService(ctx, o, stderr, func() { close(ready) }) }()
	select {
	case <-ready:
		return out, nil
	case code := <-out:
		return nil, fmt.Errorf("run the service in-process: it stopped with exit code %d (see the log above)", code)
	}
}
