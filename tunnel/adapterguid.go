package tunnel

import (
	"crypto/sha1"
	"encoding/binary"
	"fmt"
)

// adapterGUIDNamespace is wgdesk's own RFC 4122 namespace for adapter
// GUIDs, a random UUID chosen once. Changing it changes every tunnel's
// adapter GUID, which Windows would then treat as a new network.
var adapterGUIDNamespace = [16]byte{
	0x88, 0xb7, 0x20, 0xbd, 0xe1, 0xdf, 0x4f, 0x3c,
	0x87, 0x77, 0xa1, 0xf4, 0x41, 0xc4, 0x58, 0x40,
} // 88b720bd-e1df-4f3c-8777-a1f441c45840

// adapterGUID is a Windows GUID with the layout of windows.GUID, so that
// tun_windows.go converts it with windows.GUID(g); defined here to be
// computed and tested on every OS.
type adapterGUID struct {
	Data1 uint32
	Data2 uint16
	Data3 uint16
	Data4 [8]byte
}

// String formats g as Windows does, {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}.
func (g adapterGUID) String() string {
	return fmt.Sprintf("{%08x-%04x-%04x-%x-%x}", g.Data1, g.Data2, g.Data3, g.Data4[:2], g.Data4[2:])
}

// adapterGUIDFor returns the Wintun adapter GUID of a tunnel: the same for
// the same tunnel name on every start and every machine, different for
// different names. Windows keys the network profile (Public or Private,
// and the firewall rules that go with it) and the adapter's settings on
// this GUID, so a stable one keeps them across restarts; a random GUID
// would make every start a new network. WireGuard for Windows does the
// same from its config (tunnel/deterministicguid.go).
//
// It is an RFC 4122 name-based UUID, version 5 (SHA-1), of the tunnel name
// in UTF-8 within wgdesk's namespace, so any UUID library can check it
// (Python: uuid.uuid5(UUID("88b720bd-..."), name)). The name is taken as
// is: "Home" and "home" may run side by side and must not share a GUID.
func adapterGUIDFor(tunnel string) adapterGUID {
	h := sha1.New()
	h.Write(adapterGUIDNamespace[:])
	h.Write([]byte(tunnel))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // variant RFC 4122
	// A UUID's first three fields are big-endian; a GUID holds them as
	// numbers, so its text form is the same.
	g := adapterGUID{
		Data1: binary.BigEndian.Uint32(u[0:4]),
		Data2: binary.BigEndian.Uint16(u[4:6]),
		Data3: binary.BigEndian.Uint16(u[6:8]),
	}
	copy(g.Data4[:], u[8:])
	return g
}
