package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/wgdesk/wgdesk/internal/hints"
	"github.com/wgdesk/wgdesk/internal/osservice"
)

// Seams for `wgdesk service install` and `uninstall`: tests pass a fake
// service manager, an executable path and another OS's hints.
var (
	newServiceManager = osservice.New
	executable        = os.Executable
	osHints           = hints.Current
)

// serviceSubverb runs `wgdesk service install|uninstall ARGS` and reports
// whether args named one.
func serviceSubverb(args []string, stdout, stderr io.Writer) (code int, ok bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch args[0] {
	case "install":
		return serviceInstall(args[1:], stdout, stderr), true
	case "uninstall":
		return serviceUninstall(args[1:], stdout, stderr), true
	}
	return 0, false
}

// subverbFlags is the flag set of `wgdesk service VERB`.
func subverbFlags(verb string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("wgdesk service "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: wgdesk service %s [flags]\n", verb)
		fs.PrintDefaults()
	}
	return fs
}

// serviceManagerFor checks what `wgdesk service VERB` needs: only the
// flags of fs, a service manager wgdesk can register with, and an
// administrator. Without them it prints why and returns nil and the exit
// code.
func serviceManagerFor(verb string, fs *flag.FlagSet, args []string, stderr io.Writer) (osservice.Manager, int) {
	prefix := "wgdesk service " + verb + ": "
	if err := fs.Parse(args); err != nil {
		return nil, exitUsage
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return nil, exitUsage
	}
	h := osHints()
	m, err := newServiceManager()
	if errors.Is(err, errors.ErrUnsupported) {
		fmt.Fprintln(stderr, prefix+h.Install)
		return nil, exitFail
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s%v\n", prefix, err)
		return nil, exitFail
	}
	if !isRoot() {
		fmt.Fprintln(stderr, prefix+h.NeedAdmin)
		return nil, exitFail
	}
	return m, exitOK
}

// serviceInstall implements `wgdesk service install`: register this
// executable as the tunnel service (see osservice.NewPlan), start it and
// say how to let a user drive it.
func serviceInstall(args []string, stdout, stderr io.Writer) int {
	fs := subverbFlags("install", stderr)
	anyPath := fs.Bool("any-path", false, "register this program where it is, even where a non-administrator may replace it (tests, CI)")
	m, code := serviceManagerFor("install", fs, args, stderr)
	if m == nil {
		return code
	}
	exe, err := executable()
	if err != nil {
		fmt.Fprintf(stderr, "wgdesk service install: find this program's path: %v\n", err)
		return exitFail
	}
	p := osservice.NewPlan(serviceExe(exe))
	p.AnyPath = *anyPath
	err = m.Install(p, func(step string) { fmt.Fprintln(stdout, step) })
	if errors.Is(err, osservice.ErrUntrustedPath) {
		fmt.Fprintf(stderr, "wgdesk service install: %v (or pass --any-path to accept that)\n", err)
		return exitFail
	}
	if err != nil {
		fmt.Fprintf(stderr, "wgdesk service install: %v\n", err)
		return exitFail
	}
	h := osHints()
	fmt.Fprintf(stdout, "\nThe wgdesk service runs %s and starts with the system.\n"+
		"To let a user bring tunnels up and down, add them to the group %s as an administrator:\n"+
		"    %s\n"+
		"(that adds you; put another user's name in its place), then they %s\n", strings.Join(append([]string{shellWord(p.Exe)}, p.Args...), " "), p.Group, h.AddUser, h.Relogin+".")
	return exitOK
}

// serviceUninstall implements `wgdesk service uninstall`: stop the
// service, which takes every tunnel down, and remove it. Stored tunnels and
// the local group stay.
func serviceUninstall(args []string, stdout, stderr io.Writer) int {
	m, code := serviceManagerFor("uninstall", subverbFlags("uninstall", stderr), args, stderr)
	if m == nil {
		return code
	}
	err := m.Uninstall(func(step string) { fmt.Fprintln(stdout, step) })
	switch {
	case errors.Is(err, osservice.ErrNotInstalled):
		fmt.Fprintln(stdout, "The wgdesk service is not installed; nothing to remove.")
		return exitOK
	case err != nil:
		fmt.Fprintf(stderr, "wgdesk service uninstall: %v\n", err)
		return exitFail
	}
	fmt.Fprintln(stdout, "\nStored tunnels and the local group wgdesk are kept; `wgdesk service install` brings the service back.")
	return exitOK
}

// shellWord quotes a path with spaces, as a terminal needs it (the state
// directory and an app's folder on macOS may hold them).
func shellWord(s string) string {
	if strings.ContainsAny(s, " \t") {
		return `"` + s + `"`
	}
	return s
}
