// Package app is the wgdesk desktop app: a Fyne window listing the tunnels
// the service stores, with switches to bring them up and down, live
// figures, import, export and a system tray menu.
//
// It runs unprivileged and talks to the privileged service only through
// the Client interface (an *api.Client in production), so tests drive the
// whole UI headless, with fyne.io/fyne/v2/test, against the apitest fake
// service on a temporary socket. State and figures arrive by the service's
// event stream; every change made from a goroutine reaches the widgets
// through one dispatch function (fyne.Do in production).
//
// Fyne draws with OpenGL through cgo, so every file but this one builds
// only with cgo: a CGO_ENABLED=0 build of the module (the service and the
// command line, cross builds) sees an empty package.
package app
