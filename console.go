package main

import "strings"

// appLaunch reports whether args start the desktop app rather than a
// command: no arguments, or the app's flags (--socket, --hidden).
func appLaunch(args []string) bool {
	return len(args) == 0 || args[0] == "--socket" || strings.HasPrefix(args[0], "--socket=") ||
		args[0] == "--hidden" // a start at login (app/autostart.go)
}

// consolePlan is what a command started from the Windows exe does about
// its standard streams. The exe is linked as a GUI-subsystem program
// (-H windowsgui), so that no console window opens beside the app; such a
// program gets no console, and its standard handles are empty unless the
// caller redirected them. A command attaches to the console of the
// process that started it (cmd.exe, PowerShell), as WireGuard for Windows
// does, and binds the streams that have no valid handle to that console; a stream redirected to a file or
// a pipe keeps its handle, so `wgdesk list > tunnels.txt` still works.
type consolePlan struct {
	attach bool
	// rebind says, for stdin, stdout and stderr, whether to bind the
	// stream to the attached console.
	rebind [3]bool
}

// planConsole decides what to do for args, given which of stdin, stdout
// and stderr hold a valid inherited handle.
func planConsole(args []string, valid [3]bool) consolePlan {
	if appLaunch(args) {
		return consolePlan{} // the app has no use for a console
	}
	// Attach even when every stream is redirected: Ctrl+C typed in that
	// console then reaches the command, as it does a console program.
	p := consolePlan{attach: true}
	for i, ok := range valid {
		p.rebind[i] = !ok
	}
	return p
}
