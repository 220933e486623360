package loginstart

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LaunchAgent is the macOS Starter: a launch agent in
// ~/Library/LaunchAgents that launchd loads when the user logs in to the
// desktop and that runs the app once, with HiddenFlag. macOS 13 and later
// list it in System Settings > General > Login Items, where the user may
// turn it off; that switch lives in the system's own database, which no
// public tool reads, so Enabled reports the file.
type LaunchAgent struct {
	home string // the user's home directory
	exe  string // the app's program, inside wgdesk.app
}

// LaunchAgentLabel is the agent's label, apart from the app's bundle ID
// (io.github.wgdesk.wgdesk) and the service's (io.github.wgdesk.service).
const LaunchAgentLabel = "io.github.wgdesk.login"

// NewLaunchAgent is the agent of the user whose home is home, running exe.
func NewLaunchAgent(home, exe string) (LaunchAgent, error) {
	if !filepath.IsAbs(home) {
		return LaunchAgent{}, errors.New("no home directory")
	}
	if !filepath.IsAbs(exe) {
		return LaunchAgent{}, fmt.Errorf("the program's path %q is not absolute", exe)
	}
	return LaunchAgent{home: home, exe: exe}, nil
}

// Path is where the agent's property list is.
func (a LaunchAgent) Path() string {
	return filepath.Join(a.home, "Library", "LaunchAgents", LaunchAgentLabel+".plist")
}

func (a LaunchAgent) Available() (bool, string) { return true, "" }

// Enabled: the property list exists.
func (a LaunchAgent) Enabled() (bool, error) {
	_, err := os.Stat(a.Path())
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("read launch agent: %w", err)
}

// SetEnabled writes the property list or removes it. It does not load the
// agent now: that would start a second app at once. launchd reads it at
// the next login.
func (a LaunchAgent) SetEnabled(on bool) error {
	return setFile(a.Path(), []byte(a.plist()), on, "launch agent")
}

// plist is the agent's property list. It runs the app once per desktop
// login (LimitLoadToSessionType Aqua: not for an SSH login), and not
// again when the user quits it (no KeepAlive). The app is interactive, so
// launchd does not throttle it.
func (a LaunchAgent) plist() string {
	var b strings.Builder
	esc := func(s string) string {
		var e strings.Builder
		xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + LaunchAgentLabel + `</string>
	<key>ProgramArguments</key>
	<array>
		<string>` + esc(a.exe) + `</string>
		<string>` + HiddenFlag + `</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>LimitLoadToSessionType</key>
	<string>Aqua</string>
	<key>ProcessType</key>
	<string>Interactive</string>
</dict>
</plist>
`)
	return b.String()
}
