package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/wgdesk/wgdesk/platform"
	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
	"github.com/wgdesk/wgdesk/tunnel/doctor"
)

// Doctor implements `wgdesk doctor NAME [--json]`: the service checks the
// tunnel (activating it for the checks if it is down) and the verb prints
// each check's verdict, what it saw and the fix, with RouterOS commands
// where the fix is on the router. Exit code 0 when no check failed, 1
// when one did or the doctor could not run, 2 for a usage error.
func Doctor(args []string, stdout, stderr io.Writer) int {
	ctx, cancel := signalContext()
	defer cancel()
	return doctorVerb(ctx, args, stdout, stderr)
}

func doctorVerb(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCommand("doctor", "[--json] NAME", stdout, stderr)
	asJSON := c.fs.Bool("json", false, "print the report as JSON")
	pos, ok := c.parse(args, 1, 1)
	if !ok {
		return exitUsage
	}
	cl := c.client()
	defer cl.Close()
	if !*asJSON {
		fmt.Fprintf(stderr, "Checking %s; this takes a few seconds, up to half a minute without a handshake…\n", pos[0])
	}
	rep, err := cl.Doctor(ctx, pos[0])
	if err != nil {
		return c.fail(err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		io.WriteString(stdout, FormatDoctor(rep))
	}
	if rep.Worst() == doctor.Fail {
		return exitFail
	}
	return exitOK
}

// newDoctor is the service's connection doctor on this system's probes
// and network's connected subnets.
func newDoctor(svc tunnel.Service, network platform.Network, log componentLog) func(context.Context, string) (api.DoctorJSON, error) {
	d := &doctor.Doctor{Svc: svc, Probes: doctor.OSProbes(network),
		Logger: platform.Logger{Verbosef: log.Verbosef, Errorf: log.Errorf}}
	return d.Run
}

// verdictMarks are how a terminal shows each verdict.
var verdictMarks = map[doctor.Verdict]string{
	doctor.OK:      "[ ok ]",
	doctor.Warn:    "[warn]",
	doctor.Fail:    "[FAIL]",
	doctor.Skipped: "[skip]",
}

// FormatDoctor renders a doctor's report for a terminal: one block per
// check, prose wrapped, RouterOS commands on lines of their own (never
// wrapped, so they can be copied).
func FormatDoctor(rep api.DoctorJSON) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tunnel %s", rep.Tunnel)
	if rep.Interface != "" {
		fmt.Fprintf(&b, " (%s)", rep.Interface)
	}
	b.WriteString("\n")
	if rep.BroughtUp {
		wrap(&b, "", "It was down: the doctor activated it for the checks and took it down again.")
	}
	fails, warns := 0, 0
	for _, c := range rep.Checks {
		b.WriteString("\n")
		mark := verdictMarks[c.Verdict]
		if mark == "" {
			mark = "[" + string(c.Verdict) + "]"
		}
		fmt.Fprintf(&b, "%s %s\n", mark, c.Title)
		wrap(&b, "       ", c.Seen)
		if c.Fix != "" {
			wrap(&b, "       ", "Fix: "+c.Fix)
		}
		if len(c.RouterOS) > 0 {
			b.WriteString("       On the router (RouterOS terminal):\n")
			for _, cmd := range c.RouterOS {
				b.WriteString("         " + cmd + "\n")
			}
		}
		switch c.Verdict {
		case doctor.Fail:
			fails++
		case doctor.Warn:
			warns++
		}
	}
	b.WriteString("\n")
	switch {
	case fails > 0:
		fmt.Fprintf(&b, "%s failed, %s.\n", plural(fails, "check"), plural(warns, "warning"))
	case warns > 0:
		fmt.Fprintf(&b, "No check failed; %s.\n", plural(warns, "warning"))
	default:
		b.WriteString("Every check passed.\n")
	}
	return b.String()
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// wrap writes text in lines of at most 78 characters, each starting with
// indent; a word longer than a line stands alone.
func wrap(b *strings.Builder, indent, text string) {
	line := indent
	for _, w := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(w) > 78 {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += w
	}
	if len(line) > len(indent) {
		b.WriteString(line + "\n")
	}
}
