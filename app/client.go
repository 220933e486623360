//go:build cgo

package app

import (
	"context"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// Client is the part of the service API the app uses. *api.Client
// implements it; every method fails fast with an error wrapping
// api.ErrServiceDown when nothing listens on the socket.
type Client interface {
	Import(ctx context.Context, name, configText string) ([]config.Warning, error)
	Up(ctx context.Context, name string) (api.TunnelJSON, error)
	Down(ctx context.Context, name string) (api.TunnelJSON, error)
	Delete(ctx context.Context, name string) error
	// SetOptions sets a tunnel's kill switch and Allow LAN; the service
	// applies them at once to an active tunnel.
	SetOptions(ctx context.Context, name string, o api.OptionsJSON) (api.TunnelJSON, error)
	// Config returns the full wg-quick text, private key included.
	Config(ctx context.Context, name string) (string, error)
	// Log returns the service's latest log lines, oldest first.
	Log(ctx context.Context) ([]string, error)
	// Events follows the service's changes; the first event is a snapshot.
	Events(ctx context.Context) (*api.EventStream, error)
	// Doctor runs the connection doctor on a tunnel (doctor.go).
	Doctor(ctx context.Context, name string) (api.DoctorJSON, error)
}

var _ Client = (*api.Client)(nil)
