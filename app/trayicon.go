//go:build cgo

package app

import (
	"runtime"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/wgdesk/wgdesk/app/tray"
	"github.com/wgdesk/wgdesk/assets"
)

// hostOS is runtime.GOOS, named here so that callers pick the icon for
// the running OS without importing runtime themselves.
const hostOS = runtime.GOOS

// trayIconFor picks the tray image for icon on the OS named goos (a
// runtime.GOOS value).
//
// On macOS it is the monochrome SVG wrapped in a *theme.ThemedResource:
// Fyne's SetSystemTrayIcon (fyne v2.7.1, internal/driver/glfw/
// driver_desktop.go) hands exactly that type to systray.SetTemplateIcon, so
// the menu bar uses the image's alpha as a mask and tints it for light and
// dark bars. Its toOSIcon passes the bytes through unchanged everywhere but
// Windows, and NSImage decodes the SVG itself; Fyne converts SVG tray icons
// to PNG for every OS except macOS for this reason (fyne-io/fyne#6083).
//
// Elsewhere it is the coloured PNG: StatusNotifier hosts on Linux take no
// SVG, and Windows wants a bitmap it converts to ICO.
func trayIconFor(icon tray.Icon, goos string) fyne.Resource {
	name, png, svg := "disconnected", assets.TrayDisconnected, assets.TrayTemplateDisconnected
	switch icon {
	case tray.IconConnecting:
		name, png, svg = "connecting", assets.TrayConnecting, assets.TrayTemplateConnecting
	case tray.IconConnected:
		name, png, svg = "connected", assets.TrayConnected, assets.TrayTemplateConnected
	case tray.IconError:
		name, png, svg = "error", assets.TrayError, assets.TrayTemplateError
	}
	if goos == "darwin" {
		return theme.NewThemedResource(fyne.NewStaticResource("tray-template-"+name+".svg", svg))
	}
	return fyne.NewStaticResource("tray-"+name+".png", png)
}
