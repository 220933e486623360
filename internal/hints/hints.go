// Package hints is every sentence wgdesk shows people about starting,
// installing and reaching its tunnel service, in one table keyed by
// operating system. What to type differs per OS (systemd and sudo on
// Linux, sudo and dseditgroup on macOS, the service manager and Run as
// administrator on Windows), so no OS inherits another's commands, and
// every entry is tested on any OS.
package hints

import "runtime"

// Hints are the texts for one operating system. One-line texts are
// lowercase fragments that follow a colon in an error message; banner texts
// are prose lines with commands on lines of their own, indented by four
// spaces (the app shows those in monospace).
type Hints struct {
	// OS is the GOOS these texts are for.
	OS string
	// Start says how to start a service that does not answer, one line.
	Start string
	// StartBanner is Start for the app's banner, after "The wgdesk service
	// is not running."
	StartBanner string
	// Access says how a refused caller gets access, one line.
	Access string
	// AccessBanner is Access for the app's banner, after "You may not use
	// the wgdesk service."
	AccessBanner string
	// AddUser is the command that gives the current user access.
	AddUser string
	// Relogin is what a user does for a new group membership to count.
	Relogin string
	// NeedAdmin is what a command that changes the system says to a
	// caller without the right, one line.
	NeedAdmin string
	// NeedPrivilege is what `wgdesk service` says to a caller without the
	// right to run it, one line.
	NeedPrivilege string
	// CreateGroup says how to create the group, one line.
	CreateGroup string
	// Install says how to register the service with the OS's service
	// manager, one line.
	Install string
	// NotOwner is what a group member is told who asked to change,
	// delete or export a tunnel another user imported, one line.
	NotOwner string
	// AdminImport is what a group member is told whose config uses what
	// only an administrator may set (scripts, FwMark, a system routing
	// table, a port below 1024), one line.
	AdminImport string
	// Quota is what a group member is told whose import would exceed its
	// quota, one line.
	Quota string
}

// For returns the texts for goos (a runtime.GOOS value). An OS without an
// entry of its own gets texts that name no service manager.
func For(goos string) Hints {
	h, ok := table[goos]
	if !ok {
		h = table[""]
	}
	h.OS = goos
	return h
}

// Current returns the texts for the OS this program runs on.
func Current() Hints { return For(runtime.GOOS) }

var table = map[string]Hints{
	"linux": {
		Start:         "start it with `sudo systemctl start wgdesk` or `sudo wgdesk service`",
		StartBanner:   "Start it with\n    sudo systemctl start wgdesk\nor run it in a terminal with\n    sudo wgdesk service",
		Access:        "ask an administrator to add you to the wgdesk group (sudo usermod -aG wgdesk $USER) and log in again",
		AccessBanner:  "Ask an administrator to add you to the wgdesk group\n    sudo usermod -aG wgdesk $USER\nthen log out and in again.",
		AddUser:       "sudo usermod -aG wgdesk $USER",
		Relogin:       "log out and in again",
		NeedAdmin:     "this needs root: run it with sudo",
		NeedPrivilege: "the tunnel service must run as root: start it with `sudo systemctl start wgdesk` or `sudo wgdesk service`",
		CreateGroup:   "create it with `sudo groupadd --system wgdesk`",
		Install:       "wgdesk registers its service with systemd, which does not run here: start it with `sudo wgdesk service` and keep it running, or have your init system run `wgdesk service` as root",
		NotOwner:      "only the user who imported it, or root (sudo wgdesk), may change, delete or export it",
		AdminImport:   "remove that from the config, or ask an administrator to import the config with `sudo wgdesk import FILE`",
		Quota:         "delete tunnels you no longer use with `wgdesk delete NAME`, or ask an administrator to import this one with `sudo wgdesk import FILE`",
	},
	// launchd registration is not written yet (issue #14): the service runs
	// in a terminal.
	"darwin": {
		Start:         "start it in a terminal with `sudo wgdesk service`",
		StartBanner:   "Run it in a terminal with\n    sudo wgdesk service",
		Access:        "ask an administrator to add you to the wgdesk group (sudo dseditgroup -o edit -a $USER -t user wgdesk) and log out and in again",
		AccessBanner:  "Ask an administrator to add you to the wgdesk group\n    sudo dseditgroup -o edit -a $USER -t user wgdesk\nthen log out and in again.",
		AddUser:       "sudo dseditgroup -o edit -a $USER -t user wgdesk",
		Relogin:       "log out and in again",
		NeedAdmin:     "this needs root: run it with sudo",
		NeedPrivilege: "the tunnel service must run as root: start it in a terminal with `sudo wgdesk service`",
		CreateGroup:   "create it with `sudo dseditgroup -o create wgdesk`",
		Install:       "macOS has no wgdesk launch daemon yet (issue #14): run `sudo wgdesk service` in a terminal and keep it open",
		NotOwner:      "only the user who imported it, or root (sudo wgdesk), may change, delete or export it",
		AdminImport:   "remove that from the config, or ask an administrator to import the config with `sudo wgdesk import FILE`",
		Quota:         "delete tunnels you no longer use with `wgdesk delete NAME`, or ask an administrator to import this one with `sudo wgdesk import FILE`",
	},
	// Group membership is read from the logon token, so it takes effect at
	// the next sign-in.
	"windows": {
		Start:         "start it with `sc start wgdesk` or from the Services app; if it is not installed, run `wgdesk service install` in a terminal opened with Run as administrator",
		StartBanner:   "Start it from the Services app, or with\n    sc start wgdesk\nin a terminal opened with Run as administrator. If it is not installed, install it there with\n    wgdesk service install",
		Access:        "ask an administrator to add you to the local group wgdesk (net localgroup wgdesk %USERNAME% /add) and sign out and in again, or Run as administrator",
		AccessBanner:  "Ask an administrator to add you to the local group wgdesk\n    net localgroup wgdesk %USERNAME% /add\nthen sign out and in again.",
		AddUser:       "net localgroup wgdesk %USERNAME% /add",
		Relogin:       "sign out and in again",
		NeedAdmin:     "this needs an administrator: open a terminal with Run as administrator and run it there",
		NeedPrivilege: "the tunnel service must run as an administrator: in a terminal opened with Run as administrator, install it with `wgdesk service install`, or run it in that terminal with `wgdesk service`",
		CreateGroup:   "create it with `net localgroup wgdesk /add` in a terminal opened with Run as administrator",
		Install:       "in a terminal opened with Run as administrator, run `wgdesk service install`",
		NotOwner:      "only the user who imported it, or an administrator (a terminal opened with Run as administrator), may change, delete or export it",
		AdminImport:   "remove that from the config, or ask an administrator to import the config with `wgdesk import FILE` in a terminal opened with Run as administrator",
		Quota:         "delete tunnels you no longer use with `wgdesk delete NAME`, or ask an administrator to import this one with `wgdesk import FILE` in a terminal opened with Run as administrator",
	},
	// Any other OS: root and a terminal, nothing more specific.
	"": {
		Start:         "start it as root with `wgdesk service`",
		StartBanner:   "Run it as root in a terminal with\n    wgdesk service",
		Access:        "ask an administrator to add you to the wgdesk group and log in again",
		AccessBanner:  "Ask an administrator to add you to the wgdesk group, then log out and in again.",
		AddUser:       "",
		Relogin:       "log out and in again",
		NeedAdmin:     "this needs root",
		NeedPrivilege: "the tunnel service must run as root: start it as root with `wgdesk service`",
		CreateGroup:   "create it with your system's group tool",
		Install:       "wgdesk cannot register its service on this system: run `wgdesk service` as root in a terminal",
		NotOwner:      "only the user who imported it, or root, may change, delete or export it",
		AdminImport:   "remove that from the config, or ask an administrator to import the config with `wgdesk import FILE` as root",
		Quota:         "delete tunnels you no longer use with `wgdesk delete NAME`, or ask an administrator to import this one as root",
	},
}
