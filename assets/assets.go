// Package assets holds the images the desktop app shows: the app icon and
// two tray icons per connection state, drawn by gen_icons.go from one
// table of states: a coloured PNG for trays that show colour, and a
// monochrome SVG template for the macOS menu bar, which tints it for light
// and dark bars itself.
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

	// The template icons are black shapes whose alpha alone is the glyph:
	// the states differ by shape (empty, half-filled, solid shield, shield
	// with an exclamation mark), never by colour.

	//go:embed tray-template-disconnected.svg
	TrayTemplateDisconnected []byte
	//go:embed tray-template-connecting.svg
	TrayTemplateConnecting []byte
	//go:embed tray-template-connected.svg
	TrayTemplateConnected []byte
	//go:embed tray-template-error.svg
	TrayTemplateError []byte
)
