// Command wgdesk is a desktop WireGuard client. One binary plays several
// roles, chosen by the first argument, as wireguard-windows does:
//
//	wgdesk [--socket PATH] the desktop app (unprivileged)
//	wgdesk service ...     the privileged tunnel service
//	wgdesk parse ...       validate config files without storing them
//	wgdesk import|list|up|down|status|delete|export ...
//	                       drive the service from a terminal
//
// Service mode never initialises a GUI toolkit.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/wgdesk/wgdesk/cli"
	_ "github.com/wgdesk/wgdesk/internal/locale" // before the GUI toolkit reads the locale
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	attachConsole(os.Args[1:]) // Windows: commands print to the console they were typed in
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cli.Version = version
	if appLaunch(args) {
		return runGUI(args, stdout, stderr)
	}
	verb, rest := args[0], args[1:]
	switch verb {
	case "service":
		return cli.Service(rest, stdout, stderr)
	case "parse":
		return cli.Parse(rest, stdout, stderr)
	case "import", "list", "up", "down", "status", "delete", "export", "log", "set":
		return cli.Run(verb, rest, stdout, stderr)
	case "doctor":
		return cli.Doctor(rest, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "wgdesk", version)
		return 0
	case "help", "--help", "-h":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "wgdesk: unknown command %q\n\n", verb)
		usage(stderr)
		return 2
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage: wgdesk [command] [arguments]

With no command, wgdesk starts the desktop app; with --hidden (as a
start at login does) it starts in the tray without a window.

Commands:
  parse [--json] PATH...        check .conf, .zip or QR image files; store nothing
  import [--name NAME] PATH     add tunnels from a .conf, .zip or QR image;
                                --scope all|router|private narrows a full tunnel
  list                          list stored tunnels and their state
  up NAME                       activate a tunnel
  down NAME                     deactivate a tunnel
  status [--json] [NAME]        show state, handshakes and traffic
  doctor [--json] NAME          check why a tunnel passes nothing; RouterOS fixes
  set NAME killswitch=on|off|auto allowlan=on|off autostart=on|off
                                change a tunnel's kill switch, Allow LAN and
                                whether it connects when the service starts
  delete NAME                   remove a stored tunnel
  export NAME [--qr FILE.png]   print a tunnel's config, or write it as a QR code
  log                           print the service's latest log lines
  service [flags]               run the privileged tunnel service (as root or administrator)
  service install|uninstall     register or remove it with systemd or the Windows service manager
  version                       print the version

Every command that talks to the service accepts --socket PATH.
`)
}
