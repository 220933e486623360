package tunnel

import (
	"fmt"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/sys/windows"
	"golang.zx2c4.com/wireguard/tun"

	"github.com/wgdesk/wgdesk/internal/wintun"
)

// adapterTunnelType is the Wintun tunnel type of wgdesk's adapters, from
// which Wintun makes their device name (WireGuard for Windows' adapters
// read "WireGuard Tunnel"); wireguard-go's default is "WireGuard", which
// would make ours look like theirs in the Network Connections window.
const adapterTunnelType = "wgdesk"

// createMu serialises adapter creation. tun.WintunTunnelType is a
// package global of wireguard-go that CreateTUNWithRequestedGUID reads;
// the GUID is passed per call rather than through the equally global
// tun.WintunStaticRequestedGUID, so that two tunnels coming up at once
// cannot swap GUIDs.
var createMu sync.Mutex

// createTUN makes the Wintun adapter of a tunnel: wintun.dll is checked
// first, so that its absence is a sentence with the fix rather than
// LoadLibraryEx's code, and the adapter gets the tunnel's stable GUID
// (adapterguid.go).
func createTUN(tunnelName, ifname string, mtu int) (tun.Device, error) {
	if _, err := wintun.Find(); err != nil {
		return nil, err
	}
	guid := windows.GUID(adapterGUIDFor(tunnelName))
	createMu.Lock()
	defer createMu.Unlock()
	tun.WintunTunnelType = adapterTunnelType
	dev, err := tun.CreateTUNWithRequestedGUID(ifname, &guid, mtu)
	if err != nil && strings.Contains(err.Error(), "Unable to load library") {
		// Present but not loadable: another architecture's DLL, or a
		// damaged one.
		return nil, fmt.Errorf("%w; replace wintun.dll next to wgdesk.exe with the %s one from %s, or reinstall wgdesk",
			err, wintun.ArchOf(runtime.GOARCH), wintun.Pinned.ZipName())
	}
	return dev, err
}
