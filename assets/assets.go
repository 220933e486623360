// Package assets holds the images the desktop app shows: the app icon and
// one tray icon per connection state (drawn by gen_icons.go).
package assets

import _ "embed"

var (
	//go:embed wgdesk.png
	AppIcon []byte
	//go:embed tray-disconnected.png
	TrayDisconnected []byte
	//go:embed tray-connecting.png
	TrayConnecting []byte
	//go:embed tray-connected.png
	TrayConnected []byte
	//go:embed tray-error.png
	TrayError []byte
)
