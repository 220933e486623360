package platform

import (
	"errors"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"
)

// TestWFPLayout checks the structures against the Windows SDK's x64
// layout (the same numbers as sizeof/offsetof of a mingw-w64 build against
// its fwpmtypes.h). A wrong offset would hand WFP garbage.
func TestWFPLayout(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the layouts below are those of 64-bit Windows")
	}
	var (
		v   fwpValue0
		b   fwpByteBlob
		d   fwpmDisplayData0
		c   fwpmFilterCondition0
		a   fwpmAction0
		f   fwpmFilter0
		s   fwpmSession0
		p   fwpmProvider0
		sl  fwpmSublayer0
		v4  fwpV4AddrAndMask
		v6  fwpV6AddrAndMask
		a16 [16]byte
	)
	for _, tc := range []struct {
		name      string
		got, want uintptr
	}{
		{"FWP_VALUE0 size", unsafe.Sizeof(v), 16},
		{"FWP_VALUE0.uint8", unsafe.Offsetof(v.value), 8},
		{"FWP_BYTE_BLOB size", unsafe.Sizeof(b), 16},
		{"FWP_BYTE_BLOB.data", unsafe.Offsetof(b.data), 8},
		{"FWPM_DISPLAY_DATA0 size", unsafe.Sizeof(d), 16},
		{"FWPM_DISPLAY_DATA0.description", unsafe.Offsetof(d.description), 8},
		{"FWPM_FILTER_CONDITION0 size", unsafe.Sizeof(c), 40},
		{"FWPM_FILTER_CONDITION0.matchType", unsafe.Offsetof(c.matchType), 16},
		{"FWPM_FILTER_CONDITION0.conditionValue", unsafe.Offsetof(c.conditionValue), 24},
		{"FWPM_ACTION0 size", unsafe.Sizeof(a), 20},
		{"FWPM_ACTION0.filterType", unsafe.Offsetof(a.filterType), 4},
		{"FWPM_FILTER0 size", unsafe.Sizeof(f), 200},
		{"FWPM_FILTER0.displayData", unsafe.Offsetof(f.displayData), 16},
		{"FWPM_FILTER0.flags", unsafe.Offsetof(f.flags), 32},
		{"FWPM_FILTER0.providerKey", unsafe.Offsetof(f.providerKey), 40},
		{"FWPM_FILTER0.providerData", unsafe.Offsetof(f.providerData), 48},
		{"FWPM_FILTER0.layerKey", unsafe.Offsetof(f.layerKey), 64},
		{"FWPM_FILTER0.subLayerKey", unsafe.Offsetof(f.subLayerKey), 80},
		{"FWPM_FILTER0.weight", unsafe.Offsetof(f.weight), 96},
		{"FWPM_FILTER0.numFilterConditions", unsafe.Offsetof(f.numFilterConditions), 112},
		{"FWPM_FILTER0.filterCondition", unsafe.Offsetof(f.filterCondition), 120},
		{"FWPM_FILTER0.action", unsafe.Offsetof(f.action), 128},
		{"FWPM_FILTER0.providerContextKey", unsafe.Offsetof(f.providerContext), 152},
		{"FWPM_FILTER0.reserved", unsafe.Offsetof(f.reserved), 168},
		{"FWPM_FILTER0.filterId", unsafe.Offsetof(f.filterID), 176},
		{"FWPM_FILTER0.effectiveWeight", unsafe.Offsetof(f.effectiveWeight), 184},
		{"FWPM_SESSION0 size", unsafe.Sizeof(s), 72},
		{"FWPM_SESSION0.displayData", unsafe.Offsetof(s.displayData), 16},
		{"FWPM_SESSION0.flags", unsafe.Offsetof(s.flags), 32},
		{"FWPM_SESSION0.txnWaitTimeoutInMSec", unsafe.Offsetof(s.txnWaitTimeoutInMSec), 36},
		{"FWPM_SESSION0.processId", unsafe.Offsetof(s.processID), 40},
		{"FWPM_SESSION0.sid", unsafe.Offsetof(s.sid), 48},
		{"FWPM_SESSION0.username", unsafe.Offsetof(s.username), 56},
		{"FWPM_SESSION0.kernelMode", unsafe.Offsetof(s.kernelMode), 64},
		{"FWPM_PROVIDER0 size", unsafe.Sizeof(p), 64},
		{"FWPM_PROVIDER0.displayData", unsafe.Offsetof(p.displayData), 16},
		{"FWPM_PROVIDER0.flags", unsafe.Offsetof(p.flags), 32},
		{"FWPM_PROVIDER0.providerData", unsafe.Offsetof(p.providerData), 40},
		{"FWPM_PROVIDER0.serviceName", unsafe.Offsetof(p.serviceName), 56},
		{"FWPM_SUBLAYER0 size", unsafe.Sizeof(sl), 72},
		{"FWPM_SUBLAYER0.displayData", unsafe.Offsetof(sl.displayData), 16},
		{"FWPM_SUBLAYER0.flags", unsafe.Offsetof(sl.flags), 32},
		{"FWPM_SUBLAYER0.providerKey", unsafe.Offsetof(sl.providerKey), 40},
		{"FWPM_SUBLAYER0.providerData", unsafe.Offsetof(sl.providerData), 48},
		{"FWPM_SUBLAYER0.weight", unsafe.Offsetof(sl.weight), 64},
		{"FWP_V4_ADDR_AND_MASK size", unsafe.Sizeof(v4), 8},
		{"FWP_V4_ADDR_AND_MASK.mask", unsafe.Offsetof(v4.mask), 4},
		{"FWP_V6_ADDR_AND_MASK size", unsafe.Sizeof(v6), 17},
		{"FWP_V6_ADDR_AND_MASK.prefixLength", unsafe.Offsetof(v6.prefixLength), 16},
		{"FWP_BYTE_ARRAY16 size", unsafe.Sizeof(a16), 16},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, tc.got, tc.want)
		}
	}
}

// TestWFPGUIDs checks the keys against their string forms in fwpmu.h.
func TestWFPGUIDs(t *testing.T) {
	for name, tc := range map[string]struct {
		g    windows.GUID
		want string
	}{
		"FWPM_LAYER_ALE_AUTH_CONNECT_V4":     {fwpmLayerALEAuthConnectV4, "{C38D57D1-05A7-4C33-904F-7FBCEEE60E82}"},
		"FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4": {fwpmLayerALEAuthRecvAcceptV4, "{E1CD9FE7-F4B5-4273-96C0-592E487B8650}"},
		"FWPM_LAYER_ALE_AUTH_CONNECT_V6":     {fwpmLayerALEAuthConnectV6, "{4A72393B-319F-44BC-84C3-BA54DCB3B6B4}"},
		"FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V6": {fwpmLayerALEAuthRecvAcceptV6, "{A3B42C97-9F04-4672-B87E-CEE9C483257F}"},
		"FWPM_CONDITION_ALE_APP_ID":          {fwpmConditionALEAppID, "{D78E1E87-8644-4EA5-9437-D809ECEFC971}"},
		"FWPM_CONDITION_ALE_USER_ID":         {fwpmConditionALEUserID, "{AF043A0A-B34D-4F86-979C-C90371AF6E66}"},
		"FWPM_CONDITION_FLAGS":               {fwpmConditionFlags, "{632CE23B-5167-435C-86D7-E903684AA80C}"},
		"FWPM_CONDITION_IP_LOCAL_INTERFACE":  {fwpmConditionIPLocalInterface, "{4CD62A49-59C3-4969-B7F3-BDA5D32890A4}"},
		"FWPM_CONDITION_IP_REMOTE_ADDRESS":   {fwpmConditionIPRemoteAddress, "{B235AE9A-1D64-49B8-A44C-5FF3D9095045}"},
		"FWPM_CONDITION_IP_LOCAL_ADDRESS":    {fwpmConditionIPLocalAddress, "{D9EE00DE-C1EF-4617-BFE3-FFD8F5A08957}"},
		"FWPM_CONDITION_IP_PROTOCOL":         {fwpmConditionIPProtocol, "{3971EF2B-623E-4F9A-8CB1-6E79B806B9A7}"},
		"FWPM_CONDITION_IP_LOCAL_PORT":       {fwpmConditionIPLocalPort, "{0C1BA1AF-5765-453F-AF22-A8F791AC775B}"},
		"FWPM_CONDITION_IP_REMOTE_PORT":      {fwpmConditionIPRemotePort, "{C35A604D-D22B-4E1A-91B4-68F674EE674B}"},
	} {
		if got := tc.g.String(); got != tc.want {
			t.Errorf("%s: %s, want %s", name, got, tc.want)
		}
	}
}

// TestWFPConditionValues checks how conditions are marshalled: the field
// key, the match type, the FWP data type and the value or what it points
// to.
func TestWFPConditionValues(t *testing.T) {
	var pin runtime.Pinner
	defer pin.Unpin()
	var id wfpIdentity
	mk := func(c wfpCondition) fwpmFilterCondition0 {
		t.Helper()
		fc, err := id.condition(&pin, c)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		return fc
	}
	pfx := netip.MustParsePrefix

	c := mk(wfpNum(wfpRemotePort, 53))
	if c.fieldKey != fwpmConditionIPRemotePort || c.matchType != fwpMatchEqual || c.conditionValue != (fwpValue0{fwpUint16, 53}) {
		t.Errorf("remote port: %+v", c)
	}
	if c := mk(wfpNum(wfpICMPType, 135)); c.fieldKey != fwpmConditionIPLocalPort || c.conditionValue != (fwpValue0{fwpUint16, 135}) {
		t.Errorf("icmp type: %+v", c)
	}
	if c := mk(wfpNum(wfpProtocol, ipProtoUDP)); c.fieldKey != fwpmConditionIPProtocol || c.conditionValue != (fwpValue0{fwpUint8, 17}) {
		t.Errorf("protocol: %+v", c)
	}
	if c := mk(wfpCondition{Field: wfpLoopback}); c.fieldKey != fwpmConditionFlags || c.matchType != fwpMatchFlagsAllSet || c.conditionValue != (fwpValue0{fwpUint32, 1}) {
		t.Errorf("loopback: %+v", c)
	}
	c = mk(wfpNum(wfpInterface, 0x0006_0000_0100_0000))
	if c.fieldKey != fwpmConditionIPLocalInterface || c.conditionValue.typ != fwpUint64 || *wfpAt[uint64](c.conditionValue.value) != 0x0006_0000_0100_0000 {
		t.Errorf("interface: %+v", c)
	}
	// IPv4 in host byte order: 192.168.1.1 is 0xc0a80101.
	if c := mk(wfpPrefix(wfpRemoteAddr, pfx("192.168.1.1/32"))); c.fieldKey != fwpmConditionIPRemoteAddress || c.conditionValue != (fwpValue0{fwpUint32, 0xc0a80101}) {
		t.Errorf("ipv4 address: %+v", c)
	}
	c = mk(wfpPrefix(wfpRemoteAddr, pfx("10.9.0.0/16")))
	if v := wfpAt[fwpV4AddrAndMask](c.conditionValue.value); c.conditionValue.typ != fwpV4AddrMask || *v != (fwpV4AddrAndMask{0x0a090000, 0xffff0000}) {
		t.Errorf("ipv4 subnet: %+v", c)
	}
	c = mk(wfpPrefix(wfpLocalAddr, pfx("fe80::/10")))
	if v := wfpAt[fwpV6AddrAndMask](c.conditionValue.value); c.fieldKey != fwpmConditionIPLocalAddress || c.conditionValue.typ != fwpV6AddrMask ||
		v.prefixLength != 10 || v.addr != netip.MustParseAddr("fe80::").As16() {
		t.Errorf("ipv6 subnet: %+v", c)
	}
	c = mk(wfpPrefix(wfpRemoteAddr, pfx("ff02::fb/128")))
	if v := wfpAt[[16]byte](c.conditionValue.value); c.conditionValue.typ != fwpByteArray16Type || *v != netip.MustParseAddr("ff02::fb").As16() {
		t.Errorf("ipv6 address: %+v", c)
	}
	// Without an identity, the service's conditions cannot be made.
	if _, err := id.condition(&pin, wfpCondition{Field: wfpAppID}); err == nil {
		t.Error("app id condition without an app id")
	}
}

// wfpAt reads the value a union's uintptr points to (pinned by the
// caller).
func wfpAt[T any](p uintptr) *T { return (*T)(unsafe.Add(nil, p)) }

// TestWFPNeedsServiceSID: a process not started by the service manager
// (this test) has no service SID, and the engine refuses with the hint,
// before it opens a session.
func TestWFPNeedsServiceSID(t *testing.T) {
	if _, err := processServiceSID(); !errors.Is(err, windows.ERROR_NO_SUCH_GROUP) {
		t.Skipf("this test process has a service sid, or the token cannot be read: %v", err)
	}
	var e wfpEngine
	err := e.set([]winFirewallPlan{{Interface: "home", LUID: 1, FullIPv4: true}})
	if !errors.Is(err, windows.ERROR_NO_SUCH_GROUP) || !strings.Contains(err.Error(), "wgdesk service install") {
		t.Fatalf("set without a service sid: %v", err)
	}
	if e.handle != 0 {
		t.Error("a session was left open")
	}
}

// underWine reports whether this runs under Wine, whose ntdll exports
// wine_get_version.
func underWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}

// wfpTestIdentity is an identity for tests: the process's user SID, and an
// app ID made in Go (the form FwpmGetAppIdFromFileName0 returns: the
// exe's device path in UTF-16 with its NUL).
func wfpTestIdentity() (wfpIdentity, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return wfpIdentity{}, err
	}
	sd, err := wfpMatchSD(u.User.Sid)
	if err != nil {
		return wfpIdentity{}, err
	}
	name := windows.StringToUTF16(`\device\harddiskvolume1\wgdesk.exe`)
	return wfpIdentity{appID: &fwpByteBlob{size: uint32(2 * len(name)), data: (*byte)(unsafe.Pointer(&name[0]))}, sd: sd}, nil
}

// TestWFPEngine drives the whole engine, with the test process's user
// SID in place of the service SID: open, put plans in force, replace
// them, close. On Windows it would really block this machine's network
// for a moment (everything but this process), so it runs there only with
// WGDESK_REAL_WFP_TEST=1, as administrator. Under Wine it runs always,
// but Wine 8 has no filtering engine: FwpmEngineOpen0 answers
// RPC_S_CANNOT_SUPPORT (and FwpmGetAppIdFromFileName0 is not even a
// stub), so there it checks only that a failed open leaves nothing
// behind.
func TestWFPEngine(t *testing.T) {
	if !underWine() && os.Getenv("WGDESK_REAL_WFP_TEST") != "1" {
		t.Skip("blocks this machine's network; set WGDESK_REAL_WFP_TEST=1 to run it on Windows as administrator")
	}
	wine := underWine()
	e := &wfpEngine{identity: func() (wfpIdentity, error) {
		u, err := windows.GetCurrentProcessToken().GetTokenUser()
		if err != nil {
			return wfpIdentity{}, err
		}
		if !wine {
			return newWFPIdentity(u.User.Sid)
		}
		// Wine 8 lacks FwpmGetAppIdFromFileName0 (calling it aborts
		// the process); an app ID of our own stands in.
		return wfpTestIdentity()
	}}
	home := winFirewallPlan{Interface: "home", LUID: 1, FullIPv4: true, FullIPv6: true,
		DNS: []netip.Addr{netip.MustParseAddr("192.168.100.1"), netip.MustParseAddr("fd00:100::1")}}
	err := e.set([]winFirewallPlan{home})
	if wine {
		// RPC_S_CANNOT_SUPPORT (1764): Wine has no engine to open.
		if !errors.Is(err, windows.Errno(1764)) || !strings.Contains(err.Error(), "FwpmEngineOpen0") {
			t.Fatalf("set under Wine: %v, want FwpmEngineOpen0's RPC_S_CANNOT_SUPPORT", err)
		}
		if e.handle != 0 || e.id.appID != nil || e.filters != nil {
			t.Fatalf("a failed open left state: %+v", e)
		}
		return
	}
	if err != nil {
		t.Fatalf("set: %v", err)
	}
	if e.handle == 0 || len(e.filters) != len(wfpFilters([]winFirewallPlan{home})) {
		t.Fatalf("after set: handle %#x, %d filters", e.handle, len(e.filters))
	}
	if e.id.appID == nil || e.id.appID.size == 0 {
		t.Errorf("no app id: %+v", e.id.appID)
	}
	lan := home
	lan.AllowLAN, lan.LAN = true, []netip.Prefix{netip.MustParsePrefix("192.168.1.0/24")}
	handle := e.handle
	if err := e.set([]winFirewallPlan{lan}); err != nil {
		t.Fatalf("replace: %v", err)
	}
	if e.handle != handle || len(e.filters) != len(wfpFilters([]winFirewallPlan{lan})) {
		t.Errorf("after replace: handle %#x (was %#x), %d filters", e.handle, handle, len(e.filters))
	}
	if err := e.set(nil); err != nil || e.handle != 0 || e.filters != nil || e.id.appID != nil {
		t.Errorf("after close: %v, handle %#x, filters %v", err, e.handle, e.filters)
	}
}

// TestWFPMarshalFilters marshals every filter of a dual-stack plan with
// Allow LAN as FwpmFilterAdd0 would get it, and checks each against its
// spec: layer, sublayer, weight, action, the hard flag and every
// condition's key.
func TestWFPMarshalFilters(t *testing.T) {
	id, err := wfpTestIdentity()
	if err != nil {
		t.Fatal(err)
	}
	e := &wfpEngine{id: id}
	e.provider, _ = windows.GenerateGUID()
	e.sublayer, _ = windows.GenerateGUID()
	keys := map[wfpField]windows.GUID{
		wfpAppID: fwpmConditionALEAppID, wfpServiceSID: fwpmConditionALEUserID, wfpLoopback: fwpmConditionFlags,
		wfpInterface: fwpmConditionIPLocalInterface, wfpProtocol: fwpmConditionIPProtocol,
		wfpLocalPort: fwpmConditionIPLocalPort, wfpRemotePort: fwpmConditionIPRemotePort,
		wfpICMPType: fwpmConditionIPLocalPort, wfpICMPCode: fwpmConditionIPRemotePort,
		wfpRemoteAddr: fwpmConditionIPRemoteAddress, wfpLocalAddr: fwpmConditionIPLocalAddress,
	}
	layers := map[wfpLayer]windows.GUID{wfpConnectV4: fwpmLayerALEAuthConnectV4, wfpRecvV4: fwpmLayerALEAuthRecvAcceptV4,
		wfpConnectV6: fwpmLayerALEAuthConnectV6, wfpRecvV6: fwpmLayerALEAuthRecvAcceptV6}

	plan := winFirewallPlan{Interface: "home", LUID: 99, FullIPv4: true, FullIPv6: true, AllowLAN: true,
		DNS: []netip.Addr{netip.MustParseAddr("192.168.100.1"), netip.MustParseAddr("fd00:100::1")},
		LAN: []netip.Prefix{netip.MustParsePrefix("192.168.1.0/24"), netip.MustParsePrefix("2001:db8:1::/64")}}
	fs := wfpFilters([]winFirewallPlan{plan})
	for _, f := range fs {
		var pin runtime.Pinner
		m, err := e.marshalFilter(&pin, f)
		if err != nil {
			t.Fatalf("%s: %v", f.line(), err)
		}
		wantAction := uint32(fwpActionBlock)
		if f.Permit {
			wantAction = fwpActionPermit
		}
		hard := m.flags&fwpmFilterFlagClearActionRight != 0
		if m.layerKey != layers[f.Layer] || m.subLayerKey != e.sublayer || *m.providerKey != e.provider ||
			m.weight != (fwpValue0{fwpUint8, uintptr(f.Weight)}) || m.action.typ != wantAction || hard != f.Hard ||
			int(m.numFilterConditions) != len(f.Conditions) || windows.UTF16PtrToString(m.displayData.name) != "wgdesk: "+f.Name {
			t.Errorf("%s: marshalled as %+v", f.line(), m)
		}
		if len(f.Conditions) > 0 {
			conds := unsafe.Slice(m.filterCondition, m.numFilterConditions)
			for i, c := range f.Conditions {
				if conds[i].fieldKey != keys[c.Field] {
					t.Errorf("%s: condition %d (%s) has key %v", f.line(), i, c, conds[i].fieldKey)
				}
			}
		} else if m.filterCondition != nil {
			t.Errorf("%s: conditions without any", f.line())
		}
		pin.Unpin()
	}
	if len(fs) < 40 {
		t.Errorf("only %d filters", len(fs))
	}
}
