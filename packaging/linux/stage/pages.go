//go:build linux

package main

import "github.com/wgdesk/wgdesk/internal/manpage"

// AppPage is wgdesk(1) around the help that `wgdesk help` prints.
func AppPage(version, help string) manpage.Page {
	return manpage.Page{
		Name: "wgdesk", Section: 1, Manual: "User Commands", Source: "wgdesk " + version,
		Summary: "WireGuard client: desktop app and command line",
		Intro: []string{
			"wgdesk keeps WireGuard tunnels and switches them on and off. The desktop app and the commands below " +
				"ask the tunnel service, wgdesk-service(8), which runs as root; members of the group wgdesk may use it " +
				"without sudo (sudo usermod -aG wgdesk $USER, then log out and in again).",
		},
		Help: help,
		Extra: []manpage.Section{
			{Title: "FILES", Items: []manpage.Item{
				{Term: "/run/wgdesk/wgdesk.sock", Desc: "the tunnel service's socket, for root and the group wgdesk"},
			}},
			{Title: "SEE ALSO", Text: []string{"wgdesk-service(8), wg(8), wg-quick(8)"}},
		},
	}
}

// ServicePage is wgdesk-service(8) around the help that
// `wgdesk service -h` prints.
func ServicePage(version, help string) manpage.Page {
	return manpage.Page{
		Name: "wgdesk-service", Section: 8, Manual: "System Administration", Source: "wgdesk " + version,
		Summary: "the wgdesk tunnel service",
		Intro: []string{
			"wgdesk-service is wgdesk built without the desktop app, for the service: systemd runs it as " +
				"wgdesk-service service (the unit wgdesk.service). It brings tunnels up and down for the app and the " +
				"command line, which reach it on its socket; root and members of the group wgdesk may use it. " +
				"When it stops it takes its tunnels down. wgdesk-service service and wgdesk service take the same flags.",
		},
		Help: help,
		Extra: []manpage.Section{
			{Title: "FILES", Items: []manpage.Item{
				{Term: "/run/wgdesk/wgdesk.sock", Desc: "the socket (RuntimeDirectory of the unit)"},
				{Term: "/var/lib/wgdesk", Desc: "stored tunnels, their options and the undo journal (StateDirectory of the unit); kept when the package is removed, deleted when it is purged"},
				{Term: "/usr/lib/systemd/system/wgdesk.service", Desc: "the systemd unit"},
			}},
			{Title: "SEE ALSO", Text: []string{"wgdesk(1), systemctl(1), journalctl(1)"}},
		},
	}
}
