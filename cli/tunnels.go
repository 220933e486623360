package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// Run implements the verbs that drive the service: import, list, up, down,
// status, set, delete, export and log. args excludes the verb. It returns the
// process exit code: 0 on success, 1 when the verb failed (one line on
// stderr says why), 2 for a usage error.
func Run(verb string, args []string, stdout, stderr io.Writer) int {
	ctx, cancel := signalContext()
	defer cancel()
	return run(ctx, verb, args, stdout, stderr)
}

func run(ctx context.Context, verb string, args []string, stdout, stderr io.Writer) int {
	switch verb {
	case "import":
		return importVerb(ctx, args, stdout, stderr)
	case "list":
		return listVerb(ctx, args, stdout, stderr)
	case "up", "down":
		return upDownVerb(ctx, verb, args, stdout, stderr)
	case "status":
		return statusVerb(ctx, args, stdout, stderr)
	case "delete":
		return deleteVerb(ctx, args, stdout, stderr)
	case "export":
		return exportVerb(ctx, args, stdout, stderr)
	case "log":
		return logVerb(ctx, args, stdout, stderr)
	case "set":
		return setVerb(ctx, args, stdout, stderr)
	}
	fmt.Fprintf(stderr, "wgdesk: unknown command %q\n", verb)
	return exitUsage
}

func importVerb(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCommand("import", "[--name NAME] [--scope all|router|private [--networks CIDR,...]] PATH", stdout, stderr)
	name := c.fs.String("name", "", "store the tunnel under this name (default: from the file name)")
	scopeFlag := c.fs.String("scope", "", "for a config that routes 0.0.0.0/0: all (keep it), router (only the router's networks) or private (all but the private ranges)")
	networks := c.fs.String("networks", "", "with --scope router: the router's networks (default: suggested from the config's DNS and addresses)")
	pos, ok := c.parse(args, 1, 1)
	if !ok {
		return exitUsage
	}
	scope, nets, err := parseScopeFlags(*scopeFlag, *networks)
	if err != nil {
		return c.fail(err)
	}
	path := pos[0]
	entries, err := importPath(path) // "-" reads pasted text from standard input
	if err != nil {
		return c.fail(fmt.Errorf("%s: %w", displayName(path), err))
	}
	valid := 0
	for _, e := range entries {
		if e.Err == nil {
			valid++
		}
	}
	if *name != "" && valid > 1 {
		return c.fail(fmt.Errorf("--name needs a source with one config; %s holds %d", path, valid))
	}
	if len(entries) == 0 {
		return c.fail(fmt.Errorf("%s holds no config", path))
	}
	cl := c.client()
	defer cl.Close()
	failed := false
	for _, e := range entries {
		if e.Err != nil {
			fmt.Fprintf(stderr, "skipped %s: %s\n", e.Source, oneLine(e.Err.Error()))
			if !errors.Is(e.Err, config.ErrSkipped) {
				failed = true
			}
			continue
		}
		tname := e.Name
		if *name != "" {
			tname = *name
		}
		if scope != "" && config.RoutesAllIPv4(e.Config) {
			if err := applyScope(e.Config, scope, nets); err != nil {
				fmt.Fprintf(stderr, "skipped %s: %s\n", e.Source, oneLine(err.Error()))
				failed = true
				continue
			}
		}
		// The service parses the text again: send the canonical form.
		warnings, err := cl.Import(ctx, tname, string(e.Config.Marshal()))
		if err != nil {
			if errors.Is(err, api.ErrServiceDown) || api.IsCode(err, api.CodePermissionDenied) {
				return c.fail(err)
			}
			fmt.Fprintf(stderr, "skipped %s: %s\n", e.Source, oneLine(describe(err)))
			failed = true
			continue
		}
		fmt.Fprintf(stdout, "imported %s\n", tname)
		// Warnings carry the line of the original file, so take the
		// parser's own rather than those about the canonical text.
		// The service's own (subnet collisions) have no line: keep them.
		if len(e.Warnings) > 0 {
			ws := e.Warnings
			for _, w := range warnings {
				if w.Line == 0 {
					ws = append(ws, w)
				}
			}
			warnings = ws
		}
		for _, w := range warnings {
			fmt.Fprintf(stdout, "  warning: %s\n", w)
		}
	}
	if failed {
		return exitFail
	}
	return exitOK
}

func listVerb(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCommand("list", "", stdout, stderr)
	if _, ok := c.parse(args, 0, 0); !ok {
		return exitUsage
	}
	cl := c.client()
	defer cl.Close()
	ts, err := cl.List(ctx)
	if err != nil {
		return c.fail(err)
	}
	if len(ts) == 0 {
		fmt.Fprintln(stdout, "no tunnels; add one with `wgdesk import PATH`")
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tINTERFACE")
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Name, t.State, orDash(t.Interface))
	}
	tw.Flush()
	return exitOK
}

// logVerb prints the service's latest log lines, oldest first.
func logVerb(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCommand("log", "", stdout, stderr)
	if _, ok := c.parse(args, 0, 0); !ok {
		return exitUsage
	}
	cl := c.client()
	defer cl.Close()
	lines, err := cl.Log(ctx)
	if err != nil {
		return c.fail(err)
	}
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}
	return exitOK
}

func upDownVerb(ctx context.Context, verb string, args []string, stdout, stderr io.Writer) int {
	c := newCommand(verb, "NAME", stdout, stderr)
	pos, ok := c.parse(args, 1, 1)
	if !ok {
		return exitUsage
	}
	cl := c.client()
	defer cl.Close()
	change := cl.Up
	if verb == "down" {
		change = cl.Down
	}
	t, err := change(ctx, pos[0])
	if err != nil {
		return c.fail(err)
	}
	if t.Interface != "" {
		fmt.Fprintf(stdout, "%s is %s on %s\n", t.Name, t.State, t.Interface)
	} else {
		fmt.Fprintf(stdout, "%s is %s\n", t.Name, t.State)
	}
	for _, w := range t.Warnings { // subnet collisions found now
		fmt.Fprintf(stdout, "  warning: %s\n", w)
	}
	return exitOK
}

func deleteVerb(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCommand("delete", "NAME", stdout, stderr)
	pos, ok := c.parse(args, 1, 1)
	if !ok {
		return exitUsage
	}
	cl := c.client()
	defer cl.Close()
	if err := cl.Delete(ctx, pos[0]); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(stdout, "deleted %s\n", pos[0])
	return exitOK
}

func exportVerb(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCommand("export", "NAME [--qr FILE.png]", stdout, stderr)
	qr := c.fs.String("qr", "", "write the config as a QR code PNG to this file (mode 0600) instead of printing it")
	pos, ok := c.parse(args, 1, 1)
	if !ok {
		return exitUsage
	}
	cl := c.client()
	defer cl.Close()
	text, err := cl.Config(ctx, pos[0])
	if err != nil {
		return c.fail(err)
	}
	if *qr == "" {
		io.WriteString(stdout, text)
		return exitOK
	}
	cfg, _, err := config.Parse([]byte(text))
	if err != nil {
		return c.fail(fmt.Errorf("the service sent a config that does not parse: %w", err))
	}
	png, err := cfg.QRPNG()
	if err != nil {
		return c.fail(err)
	}
	if err := config.WriteSecretFile(*qr, png); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(stderr, "wrote %s; it holds the private key, keep it safe\n", *qr)
	return exitOK
}

// StatusJSON is one tunnel in `wgdesk status --json`.
type StatusJSON struct {
	Name      string           `json:"name"`
	State     string           `json:"state"`
	Error     string           `json:"error,omitempty"`
	Interface string           `json:"interface"`
	Peers     []PeerStatusJSON `json:"peers"`
	// KillSwitch is what the kill switch does now ("unused" for a split
	// tunnel, "off", "unavailable", "armed", "active"); absent from an
	// older service. AllowLAN is the stored setting.
	KillSwitch string `json:"kill_switch,omitempty"`
	AllowLAN   bool   `json:"allow_lan,omitempty"`
	// Warnings are routes of the tunnel that overlap a directly
	// connected subnet, as sentences; absent when there are none.
	Warnings []string `json:"warnings,omitempty"`
	// Autostart: the service brings the tunnel up when it starts
	// ("connect at startup").
	Autostart bool `json:"autostart,omitempty"`
	// Connection is what the handshakes say while active: "connecting",
	// "connected" or "no_handshake"; absent otherwise and from an older
	// service.
	Connection string `json:"connection,omitempty"`
}

// PeerStatusJSON is one peer in `wgdesk status --json`.
type PeerStatusJSON struct {
	PublicKey     string `json:"public_key"`
	Endpoint      string `json:"endpoint"`
	RxBytes       uint64 `json:"rx_bytes"`
	TxBytes       uint64 `json:"tx_bytes"`
	LastHandshake string `json:"last_handshake,omitempty"` // RFC 3339; absent: never
}

func newStatusJSON(t api.TunnelJSON) StatusJSON {
	s := StatusJSON{Name: t.Name, State: string(t.State), Error: t.Error, Interface: t.Interface, Peers: []PeerStatusJSON{},
		KillSwitch: string(t.KillSwitch), Connection: string(t.Connection)}
	s.Warnings = t.Warnings
	if t.Options != nil {
		s.AllowLAN = t.Options.AllowLAN
		s.Autostart = t.Options.Autostart
	}
	for _, p := range t.Peers {
		ps := PeerStatusJSON{PublicKey: p.PublicKey, Endpoint: p.Endpoint, RxBytes: p.RxBytes, TxBytes: p.TxBytes}
		if !p.LastHandshake.IsZero() {
			ps.LastHandshake = p.LastHandshake.UTC().Format(time.RFC3339)
		}
		s.Peers = append(s.Peers, ps)
	}
	return s
}

// now is the clock the human status output measures "ago" against.
var now = time.Now

func statusVerb(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCommand("status", "[--json] [NAME]", stdout, stderr)
	asJSON := c.fs.Bool("json", false, "print JSON: an array of tunnels, or one object when NAME is given")
	pos, ok := c.parse(args, 0, 1)
	if !ok {
		return exitUsage
	}
	cl := c.client()
	defer cl.Close()
	var ts []api.TunnelJSON
	if len(pos) == 1 {
		t, err := cl.Get(ctx, pos[0])
		if err != nil {
			return c.fail(err)
		}
		ts = []api.TunnelJSON{t}
	} else {
		var err error
		if ts, err = cl.List(ctx); err != nil {
			return c.fail(err)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if len(pos) == 1 {
			enc.Encode(newStatusJSON(ts[0]))
			return exitOK
		}
		out := make([]StatusJSON, 0, len(ts))
		for _, t := range ts {
			out = append(out, newStatusJSON(t))
		}
		enc.Encode(out)
		return exitOK
	}
	if len(ts) == 0 {
		fmt.Fprintln(stdout, "no tunnels; add one with `wgdesk import PATH`")
	}
	for i, t := range ts {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		writeStatus(stdout, t, now())
	}
	return exitOK
}

func writeStatus(w io.Writer, t api.TunnelJSON, now time.Time) {
	fmt.Fprintf(w, "tunnel: %s\n", t.Name)
	fmt.Fprintf(w, "  state: %s\n", t.State)
	if c := connectionText(t.Connection); c != "" {
		fmt.Fprintf(w, "  connection: %s\n", c)
	}
	if t.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", oneLine(t.Error))
	}
	if t.Interface != "" {
		fmt.Fprintf(w, "  interface: %s\n", t.Interface)
	}
	if ks := killSwitchText(t); ks != "" {
		fmt.Fprintf(w, "  kill switch: %s\n", ks)
	}
	if t.Options != nil && t.Options.Autostart {
		fmt.Fprintf(w, "  connect at startup: %s\n", autostartText(true))
	}
	for _, s := range t.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", s)
	}
	for _, p := range t.Peers {
		fmt.Fprintf(w, "  peer: %s\n", p.PublicKey)
		fmt.Fprintf(w, "    endpoint: %s\n", orDash(p.Endpoint))
		fmt.Fprintf(w, "    latest handshake: %s\n", handshakeAgo(p.LastHandshake, now))
		fmt.Fprintf(w, "    transfer: %s received, %s sent\n", humanBytes(p.RxBytes), humanBytes(p.TxBytes))
	}
}

// connectionText says what an active tunnel's handshakes say, for people.
func connectionText(c tunnel.Connection) string {
	switch c {
	case tunnel.ConnConnecting:
		return "connecting (waiting for the first handshake)"
	case tunnel.ConnConnected:
		return "connected"
	case tunnel.ConnNoHandshake:
		return "no handshake: the peer does not answer (`wgdesk doctor` tells why)"
	}
	return string(c)
}

// handshakeAgo says how long ago a handshake was: "12s ago", "3m 4s ago".
func handshakeAgo(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t).Round(time.Second)
	if d < 0 {
		d = 0
	}
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h >= 24:
		return fmt.Sprintf("%dd %dh ago", h/24, h%24)
	case h > 0:
		return fmt.Sprintf("%dh %dm ago", h, m)
	case m > 0:
		return fmt.Sprintf("%dm %ds ago", m, s)
	}
	return fmt.Sprintf("%ds ago", s)
}

// humanBytes gives a byte count in binary units, as wg(8) does.
func humanBytes(n uint64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v := float64(n)
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := -1
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.2f %s", v, units[i])
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}
