// Package hints is every sentence wgdesk shows people about starting,
// installing and reaching its tunnel service, in one table keyed by
// operating system (table.json). What to type differs per OS, so no OS
// inherits another's commands, and every entry is tested on any OS.
package hints

import (
	_ "embed"
	"encoding/json"
	"runtime"
)

// Hints are the texts for one operating system. One-line texts are
// lowercase fragments that follow a colon in an error message; banner texts
// are prose lines with commands on lines of their own, indented by four
// spaces (the app shows those in monospace).
type Hints struct {
	// OS is the GOOS these texts are for; For sets it.
	OS string `json:"-"`
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

// table holds every OS's texts, keyed by GOOS ("" for any other OS). The
// texts are data, in table.json, so that the program for one OS carries
// the others' sentences only as data its tests read.
//
//go:embed table.json
var tableJSON []byte

var table = mustTable(tableJSON)

// mustTable decodes the table; a broken table.json is a build defect that
// every test of this package reports.
func mustTable(b []byte) map[string]Hints {
	var t map[string]Hints
	if err := json.Unmarshal(b, &t); err != nil {
		panic("hints: table.json: " + err.Error())
	}
	return t
}
