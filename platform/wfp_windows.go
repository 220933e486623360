package platform

// The kill switch's Windows calls: wfpEngine puts the filters of
// wfpfilters.go in force through the WFP management API of fwpuclnt.dll.
//
// One dynamic WFP session per process (FWPM_SESSION_FLAG_DYNAMIC): every
// object added in it, our provider, our sublayer and the filters, is
// deleted by Windows when the session ends, also when the process dies
// (https://learn.microsoft.com/en-us/windows/win32/api/fwpmtypes/ns-fwpmtypes-fwpm_session0).
// The session holds one provider and one sublayer of maximum weight, with
// the filters of all kill-switched tunnels together; each change replaces
// the filters inside one transaction, so that a changed plan (another
// tunnel, new LAN subnets after a network change) never leaves a gap and
// a failed change leaves the old filters in force.
//
// Memory handed to WFP: every structure, string and out parameter is
// allocated in Go memory and pinned with a runtime.Pinner until the call
// returns (WFP copies what it needs). Pinning is needed, not only keeping
// alive: the unions of FWP_VALUE0 hold their pointers as uintptr, which
// the garbage collector neither follows nor keeps alive, and the
// addresses pass through wfpCall as uintptr, where a variable on a
// goroutine stack could move with the stack. A pinned object is on the
// heap and can neither move nor be freed. The app ID blob is WFP's own memory
// (FwpmGetAppIdFromFileName0), kept for the session and given back with
// FwpmFreeMemory0.
//
// None of this can run for real outside Windows: Wine 8's fwpuclnt.dll is
// a set of stubs with no filtering engine behind it. What Wine does run
// (wfp_windows_test.go): the layout of every structure, the condition
// values, and the refusal without a service SID.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	modFwpuclnt                = windows.NewLazySystemDLL("fwpuclnt.dll")
	procFwpmEngineOpen0        = modFwpuclnt.NewProc("FwpmEngineOpen0")
	procFwpmEngineClose0       = modFwpuclnt.NewProc("FwpmEngineClose0")
	procFwpmTransactionBegin0  = modFwpuclnt.NewProc("FwpmTransactionBegin0")
	procFwpmTransactionCommit0 = modFwpuclnt.NewProc("FwpmTransactionCommit0")
	procFwpmTransactionAbort0  = modFwpuclnt.NewProc("FwpmTransactionAbort0")
	procFwpmProviderAdd0       = modFwpuclnt.NewProc("FwpmProviderAdd0")
	procFwpmSubLayerAdd0       = modFwpuclnt.NewProc("FwpmSubLayerAdd0")
	procFwpmFilterAdd0         = modFwpuclnt.NewProc("FwpmFilterAdd0")
	procFwpmFilterDeleteByID0  = modFwpuclnt.NewProc("FwpmFilterDeleteById0")
	procFwpmGetAppIDFromFile0  = modFwpuclnt.NewProc("FwpmGetAppIdFromFileName0")
	procFwpmFreeMemory0        = modFwpuclnt.NewProc("FwpmFreeMemory0")
)

// wfpCall calls a WFP function, which returns a Win32 error code.
func wfpCall(name string, p *windows.LazyProc, args ...uintptr) error {
	if err := p.Find(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	r, _, _ := p.Call(args...)
	if r != 0 {
		return fmt.Errorf("%s: %w", name, windows.Errno(r))
	}
	return nil
}

// wfpIdentity is what the service permit matches: the app ID of the
// service's exe and a security descriptor that grants
// FWP_ACTRL_MATCH_FILTER to the service SID. Both are needed: the app ID
// alone would also admit the GUI and the CLI (the same exe), the SID
// alone any process of the service (there is only ours, but the exe pins
// it).
type wfpIdentity struct {
	appID *fwpByteBlob
	// wfpAppID: appID is WFP's memory, to free with FwpmFreeMemory0;
	// else Go's (a test's).
	wfpAppID bool
	sd       *windows.SECURITY_DESCRIPTOR
}

func (id *wfpIdentity) free() {
	if id.appID != nil && id.wfpAppID {
		procFwpmFreeMemory0.Call(uintptr(unsafe.Pointer(&id.appID)))
	}
	id.appID = nil
}

// serviceIdentity returns the identity of this process, which must run as
// a service with a service SID (SERVICE_SID_TYPE_UNRESTRICTED, set by
// `wgdesk service install`); without one it fails with
// ERROR_NO_SUCH_GROUP.
func serviceIdentity() (wfpIdentity, error) {
	sid, err := processServiceSID()
	if err != nil {
		return wfpIdentity{}, err
	}
	return newWFPIdentity(sid)
}

// securityServiceIDBaseRID is SECURITY_SERVICE_ID_BASE_RID (winnt.h): the
// first sub-authority of a service SID, S-1-5-80-....
const securityServiceIDBaseRID = 80

// processServiceSID finds the service SID in this process's token: an
// enabled group S-1-5-80-x1-...-x5 (a per-service SID; S-1-5-80-0 is "all
// services", which every service has).
func processServiceSID() (*windows.SID, error) {
	var tok windows.Token
	if err := windows.OpenProcessToken(windows.CurrentProcess(), windows.TOKEN_QUERY, &tok); err != nil {
		return nil, fmt.Errorf("open process token: %w", err)
	}
	defer tok.Close()
	groups, err := tok.GetTokenGroups()
	if err != nil {
		return nil, fmt.Errorf("read token groups: %w", err)
	}
	for _, g := range groups.AllGroups() {
		s := g.Sid
		if g.Attributes&windows.SE_GROUP_ENABLED == 0 || !s.IsValid() ||
			s.IdentifierAuthority() != windows.SECURITY_NT_AUTHORITY ||
			s.SubAuthorityCount() < 6 || s.SubAuthority(0) != securityServiceIDBaseRID {
			continue
		}
		return s.Copy()
	}
	return nil, fmt.Errorf("find the service sid: %w", windows.ERROR_NO_SUCH_GROUP)
}

// newWFPIdentity makes the identity of this exe run under sid.
func newWFPIdentity(sid *windows.SID) (wfpIdentity, error) {
	sd, err := wfpMatchSD(sid)
	if err != nil {
		return wfpIdentity{}, err
	}
	exe, err := os.Executable()
	if err != nil {
		return wfpIdentity{}, fmt.Errorf("find this exe: %w", err)
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	appID := new(*fwpByteBlob)
	pin.Pin(appID)
	if err := wfpCall("FwpmGetAppIdFromFileName0", procFwpmGetAppIDFromFile0,
		uintptr(unsafe.Pointer(wfpString(&pin, exe))), uintptr(unsafe.Pointer(appID))); err != nil {
		return wfpIdentity{}, fmt.Errorf("app id of %s: %w", exe, err)
	}
	return wfpIdentity{appID: *appID, wfpAppID: true, sd: sd}, nil
}

// wfpMatchSD returns a self-relative security descriptor that grants
// FWP_ACTRL_MATCH_FILTER to sid: an FWPM_CONDITION_ALE_USER_ID condition
// with it matches the traffic of processes whose token holds sid.
func wfpMatchSD(sid *windows.SID) (*windows.SECURITY_DESCRIPTOR, error) {
	dacl, err := windows.ACLFromEntries([]windows.EXPLICIT_ACCESS{{
		AccessPermissions: fwpActrlMatchFilter,
		AccessMode:        windows.GRANT_ACCESS,
		Trustee: windows.TRUSTEE{
			TrusteeForm:  windows.TRUSTEE_IS_SID,
			TrusteeType:  windows.TRUSTEE_IS_GROUP,
			TrusteeValue: windows.TrusteeValueFromSID(sid),
		},
	}}, nil)
	if err != nil {
		return nil, fmt.Errorf("make the service's acl: %w", err)
	}
	sd, err := windows.NewSecurityDescriptor()
	if err != nil {
		return nil, fmt.Errorf("make the service's security descriptor: %w", err)
	}
	if err := sd.SetDACL(dacl, true, false); err != nil {
		return nil, fmt.Errorf("set the service's acl: %w", err)
	}
	if sd, err = sd.ToSelfRelative(); err != nil {
		return nil, fmt.Errorf("make the security descriptor self-relative: %w", err)
	}
	return sd, nil
}

var _ winFirewall = (*wfpEngine)(nil)

// wfpEngine implements winFirewall with one dynamic WFP session. The zero
// value is ready and holds no session until the first plan.
type wfpEngine struct {
	// identity returns who the service permit admits (nil:
	// serviceIdentity); tests set their own.
	identity func() (wfpIdentity, error)

	mu       sync.Mutex
	handle   uintptr // the engine handle; 0: no session
	provider windows.GUID
	sublayer windows.GUID
	id       wfpIdentity
	filters  []uint64 // the IDs of the filters in force
}

// set implements winFirewall.
func (e *wfpEngine) set(plans []winFirewallPlan) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(plans) == 0 {
		e.closeLocked()
		return nil
	}
	if unsafe.Sizeof(uintptr(0)) != 8 {
		// FWPM_FILTER0's UINT64 union aligns differently on 32-bit
		// Windows; wfp_types_windows.go and its tests are for 64-bit.
		return errors.New("the kill switch is built for 64-bit windows only")
	}
	opened := false
	if e.handle == 0 {
		if err := e.openLocked(); err != nil {
			return err
		}
		opened = true
	}
	if err := e.replaceLocked(wfpFilters(plans)); err != nil {
		if opened {
			e.closeLocked()
		}
		return err
	}
	return nil
}

// openLocked opens the dynamic session and adds our provider and
// sublayer.
func (e *wfpEngine) openLocked() error {
	identity := e.identity
	if identity == nil {
		identity = serviceIdentity
	}
	id, err := identity()
	if errors.Is(err, windows.ERROR_NO_SUCH_GROUP) {
		return fmt.Errorf("%s: %w", winNoServiceSIDHint, err)
	}
	if err != nil {
		return err
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	name := wfpString(&pin, "wgdesk")
	session := &fwpmSession0{
		displayData:          fwpmDisplayData0{name: name, description: wfpString(&pin, "wgdesk kill switch")},
		flags:                fwpmSessionFlagDynamic,
		txnWaitTimeoutInMSec: 10000, // a stuck transaction of someone else fails ours, not hangs it
	}
	pin.Pin(session)
	h := new(uintptr)
	pin.Pin(h)
	if err := wfpCall("FwpmEngineOpen0", procFwpmEngineOpen0, 0, rpcCAuthnWinNT, 0,
		uintptr(unsafe.Pointer(session)), uintptr(unsafe.Pointer(h))); err != nil {
		id.free()
		return fmt.Errorf("open the filter engine: %w", err)
	}
	e.handle, e.id = *h, id
	if err := e.addBaseLocked(&pin); err != nil {
		e.closeLocked()
		return err
	}
	return nil
}

// addBaseLocked adds the provider and the sublayer, with keys new to this
// session: nothing of an earlier process can clash with them.
func (e *wfpEngine) addBaseLocked(pin *runtime.Pinner) error {
	var err error
	if e.provider, err = windows.GenerateGUID(); err != nil {
		return err
	}
	if e.sublayer, err = windows.GenerateGUID(); err != nil {
		return err
	}
	pin.Pin(&e.provider)
	provider := &fwpmProvider0{
		providerKey: e.provider,
		displayData: fwpmDisplayData0{name: wfpString(pin, "wgdesk"), description: wfpString(pin, "wgdesk kill switch")},
	}
	sublayer := &fwpmSublayer0{
		subLayerKey: e.sublayer,
		displayData: fwpmDisplayData0{name: wfpString(pin, "wgdesk kill switch"), description: wfpString(pin, "Permits the tunnels and blocks everything else")},
		providerKey: &e.provider,
		weight:      0xffff, // before every other sublayer
	}
	pin.Pin(provider)
	pin.Pin(sublayer)
	return e.transactionLocked(func() error {
		if err := wfpCall("FwpmProviderAdd0", procFwpmProviderAdd0, e.handle, uintptr(unsafe.Pointer(provider)), 0); err != nil {
			return err
		}
		return wfpCall("FwpmSubLayerAdd0", procFwpmSubLayerAdd0, e.handle, uintptr(unsafe.Pointer(sublayer)), 0)
	})
}

// closeLocked ends the session, which deletes everything in it.
func (e *wfpEngine) closeLocked() {
	if e.handle != 0 {
		procFwpmEngineClose0.Call(e.handle)
		e.handle = 0
	}
	e.id.free()
	e.filters = nil
}

// transactionLocked runs f in a transaction: all of it or nothing.
func (e *wfpEngine) transactionLocked(f func() error) error {
	if err := wfpCall("FwpmTransactionBegin0", procFwpmTransactionBegin0, e.handle, 0); err != nil {
		return err
	}
	if err := f(); err != nil {
		procFwpmTransactionAbort0.Call(e.handle)
		return err
	}
	if err := wfpCall("FwpmTransactionCommit0", procFwpmTransactionCommit0, e.handle); err != nil {
		procFwpmTransactionAbort0.Call(e.handle)
		return err
	}
	return nil
}

// replaceLocked deletes the filters in force and adds fs, in one
// transaction.
func (e *wfpEngine) replaceLocked(fs []wfpFilter) error {
	var ids []uint64
	err := e.transactionLocked(func() error {
		for _, id := range e.filters {
			if err := wfpCall("FwpmFilterDeleteById0", procFwpmFilterDeleteByID0, e.handle, uintptr(id)); err != nil {
				return err
			}
		}
		for _, f := range fs {
			id, err := e.addFilterLocked(f)
			if err != nil {
				return fmt.Errorf("add filter %q: %w", f.line(), err)
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put the kill switch's filters in force: %w", err)
	}
	e.filters = ids
	return nil
}

// addFilterLocked adds one filter to our sublayer and returns its ID.
func (e *wfpEngine) addFilterLocked(f wfpFilter) (uint64, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	filter, err := e.marshalFilter(&pin, f)
	if err != nil {
		return 0, err
	}
	id := new(uint64)
	pin.Pin(id)
	if err := wfpCall("FwpmFilterAdd0", procFwpmFilterAdd0, e.handle, uintptr(unsafe.Pointer(filter)), 0, uintptr(unsafe.Pointer(id))); err != nil {
		return 0, err
	}
	return *id, nil
}

// marshalFilter builds f as FWPM_FILTER0 in our sublayer, pinned with pin
// with everything it points to.
func (e *wfpEngine) marshalFilter(pin *runtime.Pinner, f wfpFilter) (*fwpmFilter0, error) {
	filter := &fwpmFilter0{
		displayData: fwpmDisplayData0{name: wfpString(pin, "wgdesk: "+f.Name), description: wfpString(pin, f.line())},
		providerKey: &e.provider,
		layerKey:    wfpLayerKey(f.Layer),
		subLayerKey: e.sublayer,
		weight:      fwpValue0{typ: fwpUint8, value: uintptr(f.Weight)},
		action:      fwpmAction0{typ: fwpActionBlock},
	}
	if f.Permit {
		filter.action.typ = fwpActionPermit
	}
	if f.Hard {
		filter.flags |= fwpmFilterFlagClearActionRight
	}
	if len(f.Conditions) > 0 {
		conds := make([]fwpmFilterCondition0, len(f.Conditions))
		for i, c := range f.Conditions {
			var err error
			if conds[i], err = e.id.condition(pin, c); err != nil {
				return nil, err
			}
		}
		pin.Pin(&conds[0])
		filter.numFilterConditions = uint32(len(conds))
		filter.filterCondition = &conds[0]
	}
	pin.Pin(&e.provider)
	pin.Pin(filter)
	return filter, nil
}

func wfpLayerKey(l wfpLayer) windows.GUID {
	switch l {
	case wfpConnectV4:
		return fwpmLayerALEAuthConnectV4
	case wfpRecvV4:
		return fwpmLayerALEAuthRecvAcceptV4
	case wfpConnectV6:
		return fwpmLayerALEAuthConnectV6
	default:
		return fwpmLayerALEAuthRecvAcceptV6
	}
}

// wfpString returns s as a pinned UTF-16 string.
func wfpString(pin *runtime.Pinner, s string) *uint16 {
	p, err := windows.UTF16PtrFromString(s)
	if err != nil { // a NUL in one of our own names
		panic(err)
	}
	pin.Pin(p)
	return p
}

// wfpPinned returns the address of v, pinned.
func wfpPinned[T any](pin *runtime.Pinner, v T) uintptr {
	p := &v
	pin.Pin(p)
	return uintptr(unsafe.Pointer(p))
}

// condition marshals c as FWPM_FILTER_CONDITION0. Values that go by
// pointer are pinned with pin.
func (id *wfpIdentity) condition(pin *runtime.Pinner, c wfpCondition) (fwpmFilterCondition0, error) {
	fc := fwpmFilterCondition0{matchType: fwpMatchEqual}
	switch c.Field {
	case wfpAppID:
		if id.appID == nil {
			return fc, errors.New("no app id")
		}
		fc.fieldKey = fwpmConditionALEAppID
		fc.conditionValue = fwpValue0{typ: fwpByteBlobType, value: uintptr(unsafe.Pointer(id.appID))}
	case wfpServiceSID:
		if id.sd == nil {
			return fc, errors.New("no security descriptor")
		}
		pin.Pin(id.sd)
		fc.fieldKey = fwpmConditionALEUserID
		fc.conditionValue = fwpValue0{typ: fwpSecurityDescriptor,
			value: wfpPinned(pin, fwpByteBlob{size: id.sd.Length(), data: (*byte)(unsafe.Pointer(id.sd))})}
	case wfpLoopback:
		fc.fieldKey, fc.matchType = fwpmConditionFlags, fwpMatchFlagsAllSet
		fc.conditionValue = fwpValue0{typ: fwpUint32, value: fwpConditionFlagIsLoopback}
	case wfpInterface:
		fc.fieldKey = fwpmConditionIPLocalInterface
		fc.conditionValue = fwpValue0{typ: fwpUint64, value: wfpPinned(pin, c.Num)}
	case wfpProtocol:
		fc.fieldKey = fwpmConditionIPProtocol
		fc.conditionValue = fwpValue0{typ: fwpUint8, value: uintptr(uint8(c.Num))}
	case wfpLocalPort, wfpICMPType:
		fc.fieldKey = fwpmConditionIPLocalPort
		fc.conditionValue = fwpValue0{typ: fwpUint16, value: uintptr(uint16(c.Num))}
	case wfpRemotePort, wfpICMPCode:
		fc.fieldKey = fwpmConditionIPRemotePort
		fc.conditionValue = fwpValue0{typ: fwpUint16, value: uintptr(uint16(c.Num))}
	case wfpRemoteAddr, wfpLocalAddr:
		fc.fieldKey = fwpmConditionIPRemoteAddress
		if c.Field == wfpLocalAddr {
			fc.fieldKey = fwpmConditionIPLocalAddress
		}
		v, err := wfpAddrValue(pin, c.Prefix)
		if err != nil {
			return fc, err
		}
		fc.conditionValue = v
	default:
		return fc, fmt.Errorf("unknown condition field %d", c.Field)
	}
	return fc, nil
}

// wfpAddrValue marshals an address (a single-address prefix) or a subnet.
// IPv4 values are numbers in host byte order, as WFP compares them.
func wfpAddrValue(pin *runtime.Pinner, p netip.Prefix) (fwpValue0, error) {
	if !p.IsValid() {
		return fwpValue0{}, errors.New("invalid address")
	}
	p = p.Masked()
	a := p.Addr().Unmap()
	switch {
	case a.Is4() && p.IsSingleIP():
		b := a.As4()
		return fwpValue0{typ: fwpUint32, value: uintptr(binary.BigEndian.Uint32(b[:]))}, nil
	case a.Is4():
		b := a.As4()
		mask := uint32(0)
		if p.Bits() > 0 {
			mask = ^uint32(0) << (32 - p.Bits())
		}
		return fwpValue0{typ: fwpV4AddrMask, value: wfpPinned(pin, fwpV4AddrAndMask{addr: binary.BigEndian.Uint32(b[:]), mask: mask})}, nil
	case p.IsSingleIP():
		return fwpValue0{typ: fwpByteArray16Type, value: wfpPinned(pin, a.As16())}, nil
	default:
		return fwpValue0{typ: fwpV6AddrMask, value: wfpPinned(pin, fwpV6AddrAndMask{addr: a.As16(), prefixLength: uint8(p.Bits())})}, nil
	}
}
