//go:build !windows

package api

// DefaultSocket is where the service listens unless told otherwise.
const DefaultSocket = "/run/wgdesk/wgdesk.sock"

// accessHint is what a refused caller is told to do.
const accessHint = "ask an administrator to add you to the wgdesk group (sudo usermod -aG wgdesk $USER) and log in again"

// startHint is what a client says when no service answers.
const startHint = "start it with `sudo systemctl start wgdesk` or `sudo wgdesk service`"
