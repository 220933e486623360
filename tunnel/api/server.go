package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/platform"
	"github.com/wgdesk/wgdesk/tunnel"
)

// Logger is where the server reports refused callers and failures (either
// field may be nil). Nothing logged carries a key.
type Logger = platform.Logger

// Options configure Serve. The zero value serves with the OS credential
// check and shows no config in tunnel answers.
type Options struct {
	// Version is reported by GET /v1/version.
	Version string
	Logger  Logger
	// ConfigJSON renders a redacted config for the "config" field of a
	// tunnel answer (the CLI passes the `wgdesk parse --json` shape). The
	// server redacts the config before calling it. Nil leaves the field out.
	ConfigJSON func(c *config.Config) any
	// RecentLog returns the service's latest log lines, oldest first, for
	// GET /v1/log (the app's log view). Nil: the log is empty. The lines
	// carry no key material, as every log line of the service.
	RecentLog func() []string
	// Access decides who may call. Nil means the OS credentials of the
	// peer, checked against root and the group wgdesk.
	Access *Access
	// ShutdownTimeout bounds the wait for requests in flight when ctx ends
	// (default 10s). Event streams are closed at once.
	ShutdownTimeout time.Duration
	// ReadTimeout bounds reading a request, body included (default
	// 30s); IdleTimeout how long a kept-alive connection may wait for its
	// next request (default 2 min); WriteTimeout writing an answer
	// (default 1 min; up, down and options get changeTimeout, since
	// scripts and name lookups may take that long). An event stream
	// lifts the read bound once its request is read and bounds each of
	// its writes by eventWriteTimeout, so it stays open.
	ReadTimeout, IdleTimeout, WriteTimeout time.Duration
	// MaxStreams bounds the open event streams of all callers (default
	// 64), MaxStreamsPerCaller those of one account (default 8). Each
	// costs a subscription the service fills every second.
	MaxStreams, MaxStreamsPerCaller int
	// Doctor runs the connection doctor on a tunnel for POST
	// /v1/tunnels/{name}/doctor. Nil: the service's Diagnose if it is a
	// Diagnoser, else the endpoint answers unsupported.
	Doctor func(ctx context.Context, name string) (DoctorJSON, error)
}

// Defaults of Options.
const (
	defaultReadTimeout         = 30 * time.Second
	defaultIdleTimeout         = 2 * time.Minute
	defaultWriteTimeout        = time.Minute
	defaultMaxStreams          = 64
	defaultMaxStreamsPerCaller = 8
	// changeTimeout is the write bound of up, down and options.
	changeTimeout = 10 * time.Minute
)

// maxBody bounds a request body: a config is at most 1 MiB of text, and
// JSON escaping may double it.
const maxBody = 2<<20 + 4096

// Serve answers API requests on ln until ctx is done, then shuts down: event
// streams end at once, other requests get ShutdownTimeout to finish. It
// closes ln. It returns nil after a shutdown caused by ctx.
func Serve(ctx context.Context, ln net.Listener, svc tunnel.Service, opts Options) error {
	if opts.Access == nil {
		opts.Access = &Access{}
	}
	if opts.ShutdownTimeout == 0 {
		opts.ShutdownTimeout = 10 * time.Second
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&opts.ReadTimeout, defaultReadTimeout}, {&opts.IdleTimeout, defaultIdleTimeout}, {&opts.WriteTimeout, defaultWriteTimeout}} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	if opts.MaxStreams <= 0 {
		opts.MaxStreams = defaultMaxStreams
	}
	if opts.MaxStreamsPerCaller <= 0 {
		opts.MaxStreamsPerCaller = defaultMaxStreamsPerCaller
	}
	s := &server{svc: svc, opts: opts, closing: make(chan struct{}), streamsOf: map[string]int{}}
	logSocketAccess(ln, opts.Logger)
	hs := &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       opts.ReadTimeout,
		WriteTimeout:      opts.WriteTimeout,
		IdleTimeout:       opts.IdleTimeout,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, callerKey{}, s.opts.Access.check(c))
		},
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve api: %w", err)
	case <-ctx.Done():
	}
	s.closeOnce.Do(func() { close(s.closing) })
	sctx, cancel := context.WithTimeout(context.Background(), opts.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	// Shutdown closes only the listeners Serve has registered; the
	// goroutine above may not have got that far. Closing it here as well
	// means the socket is gone when Serve returns, so a new service can
	// listen on the same path at once.
	ln.Close()
	s.streams.Wait()
	if err != nil {
		hs.Close()
		return fmt.Errorf("shut down api: %w", err)
	}
	return nil
}

type server struct {
	svc       tunnel.Service
	opts      Options
	closing   chan struct{} // closed when the server shuts down
	closeOnce sync.Once
	streams   sync.WaitGroup // event streams in flight

	streamsMu   sync.Mutex
	streamsOpen int            // event streams open now
	streamsOf   map[string]int // of them, by caller account
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/version", s.version)
	mux.HandleFunc("GET /v1/tunnels", s.list)
	mux.HandleFunc("POST /v1/tunnels", s.importTunnel)
	mux.HandleFunc("GET /v1/tunnels/{name}", s.get)
	mux.HandleFunc("DELETE /v1/tunnels/{name}", s.delete)
	mux.HandleFunc("POST /v1/tunnels/{name}/up", s.up)
	mux.HandleFunc("POST /v1/tunnels/{name}/down", s.down)
	mux.HandleFunc("GET /v1/tunnels/{name}/config", s.config)
	mux.HandleFunc("PUT /v1/tunnels/{name}/options", s.setOptions)
	mux.HandleFunc("POST /v1/tunnels/{name}/doctor", s.doctor)
	mux.HandleFunc("GET /v1/events", s.events)
	mux.HandleFunc("GET /v1/log", s.log)
	mux.HandleFunc("GET /v1/debug/runtime", s.debugRuntime)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &Error{Code: CodeBadRequest, Message: fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path)}, http.StatusNotFound)
	})
	return s.authorize(mux)
}

// authorize refuses callers the connection check did not allow, on every
// path but /v1/version.
func (s *server) authorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Context().Value(callerKey{}).(caller)
		if r.URL.Path == "/v1/version" || c.allowed {
			next.ServeHTTP(w, r)
			return
		}
		s.opts.Logger.Error("refused %s %q from %s: %s", r.Method, r.URL.Path, c.cred, c.reason)
		writeError(w, &Error{Code: CodePermissionDenied, Message: "permission denied: " + accessHint}, http.StatusForbidden)
	})
}

func (s *server) version(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, VersionJSON{API: Version, Version: s.opts.Version})
}

func (s *server) log(w http.ResponseWriter, r *http.Request) {
	lines := []string{}
	if s.opts.RecentLog != nil {
		lines = append(lines, s.opts.RecentLog()...)
	}
	writeJSON(w, http.StatusOK, LogJSON{Lines: lines})
}

func (s *server) list(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.tunnelsJSON(s.svc.List()))
}

func (s *server) get(w http.ResponseWriter, r *http.Request) {
	if name, ok := s.pathName(w, r); ok {
		s.answerTunnel(w, r, name)
	}
}

func (s *server) importTunnel(w http.ResponseWriter, r *http.Request) {
	req, err := decodeImport(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Parse again here: the service trusts no client's validation.
	cfg, warnings, err := config.Parse([]byte(req.Config))
	if err != nil {
		s.fail(w, r, fmt.Errorf("config for %s: %w", req.Name, err))
		return
	}
	if err := s.svc.ImportAs(callerOf(r).who, req.Name, cfg); err != nil {
		s.fail(w, r, err)
		return
	}
	info, err := s.svc.Get(req.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.opts.Logger.Verbose("imported %q (%d peers) for %s", req.Name, len(cfg.Peers), callerOf(r).cred)
	// The service's own warnings (subnet collisions) follow the
	// parser's, so that every client shows them with the import.
	ws := warningsJSON(warnings)
	for _, m := range info.Warnings {
		ws = append(ws, WarningJSON{Key: "AllowedIPs", Message: m})
	}
	writeJSON(w, http.StatusCreated, ImportResponse{Tunnel: s.tunnelJSON(info), Warnings: ws})
}

func (s *server) up(w http.ResponseWriter, r *http.Request) {
	s.change(w, r, "up", s.svc.Up)
}

func (s *server) down(w http.ResponseWriter, r *http.Request) {
	s.change(w, r, "down", s.svc.Down)
}

func (s *server) change(w http.ResponseWriter, r *http.Request, what string, f func(context.Context, string) error) {
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(changeTimeout))
	name, ok := s.pathName(w, r)
	if !ok {
		return
	}
	s.opts.Logger.Verbose("%s %q requested by %s", what, name, callerOf(r).cred)
	if err := f(r.Context(), name); err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerTunnel(w, r, name)
}

// answerTunnel answers with the tunnel as it is now.
func (s *server) answerTunnel(w http.ResponseWriter, r *http.Request, name string) {
	info, err := s.svc.Get(name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.tunnelJSON(info))
}

// setOptions stores a tunnel's options; the service applies them to an
// active tunnel at once. Administrators and the member who imported the
// tunnel may (see tunnel.Caller).
func (s *server) setOptions(w http.ResponseWriter, r *http.Request) {
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(changeTimeout))
	name, ok := s.pathName(w, r)
	if !ok {
		return
	}
	req, err := decodeOptions(http.MaxBytesReader(w, r.Body, 4096))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.opts.Logger.Verbose("options of %q (kill switch %q, allow lan %v) requested by %s", name, req.KillSwitch, req.AllowLAN, callerOf(r).cred)
	if err := s.svc.SetOptionsAs(r.Context(), callerOf(r).who, name, req.Options()); err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerTunnel(w, r, name)
}

// doctor runs the connection doctor on a tunnel, activating it for the
// checks if it is down. Group members may, whoever owns the tunnel: the
// report names no key but the tunnel's public one, and members may bring
// any tunnel up and down anyway.
func (s *server) doctor(w http.ResponseWriter, r *http.Request) {
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(changeTimeout))
	name, ok := s.pathName(w, r)
	if !ok {
		return
	}
	run := s.opts.Doctor
	if d, ok := s.svc.(Diagnoser); ok && run == nil {
		run = d.Diagnose
	}
	if run == nil {
		s.fail(w, r, &Error{Code: CodeUnsupported, Message: "this service has no connection doctor"})
		return
	}
	s.opts.Logger.Verbose("doctor of %q requested by %s", name, callerOf(r).cred)
	rep, err := run(r.Context(), name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *server) delete(w http.ResponseWriter, r *http.Request) {
	name, ok := s.pathName(w, r)
	if !ok {
		return
	}
	if err := s.svc.DeleteAs(callerOf(r).who, name); err != nil {
		s.fail(w, r, err)
		return
	}
	s.opts.Logger.Verbose("deleted %q for %s", name, callerOf(r).cred)
	w.WriteHeader(http.StatusNoContent)
}

// config is the one answer that carries a private key: for
// administrators and the member who imported the tunnel.
func (s *server) config(w http.ResponseWriter, r *http.Request) {
	name, ok := s.pathName(w, r)
	if !ok {
		return
	}
	cfg, err := s.svc.ConfigAs(callerOf(r).who, name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.opts.Logger.Verbose("exported the config of %q, private key included, to %s", name, callerOf(r).cred)
	writeJSON(w, http.StatusOK, ConfigResponse{Name: name, Config: string(cfg.Marshal())})
}

func (s *server) tunnelsJSON(infos []tunnel.TunnelInfo) []TunnelJSON {
	out := make([]TunnelJSON, 0, len(infos))
	for _, info := range infos {
		out = append(out, s.tunnelJSON(info))
	}
	return out
}

func (s *server) tunnelJSON(info tunnel.TunnelInfo) TunnelJSON {
	t := TunnelJSON{
		Name:      info.Name,
		State:     info.State,
		Error:     info.Error,
		Interface: info.Interface,
		Since:     info.Since,
		Peers:     make([]PeerJSON, 0, len(info.Peers)),

		Connection: info.Connection,

		Options:           optionsJSON(info.Options),
		FullTunnel:        info.FullTunnel,
		KillSwitch:        info.KillSwitch,
		KillSwitchActive:  info.KillSwitchActive(),
		AllowLANAvailable: info.AllowLANAvailable,
		Warnings:          info.Warnings,
	}
	if info.Owner != nil {
		t.Owner = info.Owner.String()
	}
	for _, p := range info.Peers {
		t.Peers = append(t.Peers, PeerJSON{
			PublicKey:     p.PublicKey.String(),
			Endpoint:      p.Endpoint,
			RxBytes:       p.RxBytes,
			TxBytes:       p.TxBytes,
			LastHandshake: p.LastHandshake,
		})
	}
	if info.Config != nil && s.opts.ConfigJSON != nil {
		// The service promises a redacted config; redact again anyway, a
		// leaked key is worth more than a copy.
		b, err := json.Marshal(s.opts.ConfigJSON(info.Config.Redact()))
		if err != nil {
			s.opts.Logger.Error("encode the config of %q: %v", info.Name, err)
		} else {
			t.Config = b
		}
	}
	return t
}

// pathName returns the tunnel name in the request's path once
// tunnel.CheckName has passed it, or answers bad_name. Handlers call it
// before they log anything: until then the name is any text the caller
// chose, and a newline in it (%0A) would forge a line in the service log
// that GET /v1/log shows. Log lines quote names all the same.
func (s *server) pathName(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := r.PathValue("name")
	if err := tunnel.CheckName(name); err != nil {
		s.fail(w, r, err)
		return "", false
	}
	return name, true
}

func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	e, status := toError(err)
	if e.Code == CodeInternal {
		s.opts.Logger.Error("%s %q: %v", r.Method, r.URL.Path, err)
	}
	writeError(w, e, status)
}

func writeError(w http.ResponseWriter, e *Error, status int) {
	writeJSON(w, status, errorBody{Error: &Error{Code: e.Code, Message: lowerFirst(e.Message), Line: e.Line}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// lowerFirst keeps messages in the API's lowercase style even when an
// error from below starts with a capital.
func lowerFirst(s string) string {
	if s == "" || strings.ToLower(s[:1]) == s[:1] {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
