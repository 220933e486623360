package platform

// The C types and constants of the Windows Filtering Platform management
// API that wfp_windows.go passes to fwpuclnt.dll, for 64-bit Windows
// (amd64 and arm64 share the layout). They follow the Windows SDK headers
// fwptypes.h, fwpmtypes.h and fwpmu.h; wfp_windows_test.go checks every
// size and offset against the SDK's x64 values (also printed by a
// mingw-w64 build against its copies of these headers), and the GUIDs
// against their string forms.

import "golang.org/x/sys/windows"

// FWP_DATA_TYPE (fwptypes.h).
const (
	fwpUint8              = 1
	fwpUint16             = 2
	fwpUint32             = 3
	fwpUint64             = 4
	fwpByteArray16Type    = 11
	fwpByteBlobType       = 12
	fwpSecurityDescriptor = 14
	fwpV4AddrMask         = 256
	fwpV6AddrMask         = 257
)

// FWP_MATCH_TYPE (fwptypes.h).
const (
	fwpMatchEqual       = 0
	fwpMatchFlagsAllSet = 6
)

// FWP_ACTION_TYPE (fwptypes.h): the type ORed with
// FWP_ACTION_FLAG_TERMINATING (0x1000).
const (
	fwpActionBlock  = 0x1001
	fwpActionPermit = 0x1002
)

// Flags (fwpmtypes.h, fwptypes.h).
const (
	fwpmSessionFlagDynamic         = 0x1 // FWPM_SESSION_FLAG_DYNAMIC
	fwpmFilterFlagClearActionRight = 0x8 // FWPM_FILTER_FLAG_CLEAR_ACTION_RIGHT
	fwpConditionFlagIsLoopback     = 0x1 // FWP_CONDITION_FLAG_IS_LOOPBACK
	fwpActrlMatchFilter            = 0x1 // FWP_ACTRL_MATCH_FILTER
	rpcCAuthnWinNT                 = 10  // RPC_C_AUTHN_WINNT (rpcdce.h)
)

// Layer and condition keys (fwpmu.h).
var (
	// c38d57d1-05a7-4c33-904f-7fbceee60e82
	fwpmLayerALEAuthConnectV4 = windows.GUID{Data1: 0xc38d57d1, Data2: 0x05a7, Data3: 0x4c33, Data4: [8]byte{0x90, 0x4f, 0x7f, 0xbc, 0xee, 0xe6, 0x0e, 0x82}}
	// e1cd9fe7-f4b5-4273-96c0-592e487b8650
	fwpmLayerALEAuthRecvAcceptV4 = windows.GUID{Data1: 0xe1cd9fe7, Data2: 0xf4b5, Data3: 0x4273, Data4: [8]byte{0x96, 0xc0, 0x59, 0x2e, 0x48, 0x7b, 0x86, 0x50}}
	// 4a72393b-319f-44bc-84c3-ba54dcb3b6b4
	fwpmLayerALEAuthConnectV6 = windows.GUID{Data1: 0x4a72393b, Data2: 0x319f, Data3: 0x44bc, Data4: [8]byte{0x84, 0xc3, 0xba, 0x54, 0xdc, 0xb3, 0xb6, 0xb4}}
	// a3b42c97-9f04-4672-b87e-cee9c483257f
	fwpmLayerALEAuthRecvAcceptV6 = windows.GUID{Data1: 0xa3b42c97, Data2: 0x9f04, Data3: 0x4672, Data4: [8]byte{0xb8, 0x7e, 0xce, 0xe9, 0xc4, 0x83, 0x25, 0x7f}}

	// d78e1e87-8644-4ea5-9437-d809ecefc971
	fwpmConditionALEAppID = windows.GUID{Data1: 0xd78e1e87, Data2: 0x8644, Data3: 0x4ea5, Data4: [8]byte{0x94, 0x37, 0xd8, 0x09, 0xec, 0xef, 0xc9, 0x71}}
	// af043a0a-b34d-4f86-979c-c90371af6e66
	fwpmConditionALEUserID = windows.GUID{Data1: 0xaf043a0a, Data2: 0xb34d, Data3: 0x4f86, Data4: [8]byte{0x97, 0x9c, 0xc9, 0x03, 0x71, 0xaf, 0x6e, 0x66}}
	// 632ce23b-5167-435c-86d7-e903684aa80c
	fwpmConditionFlags = windows.GUID{Data1: 0x632ce23b, Data2: 0x5167, Data3: 0x435c, Data4: [8]byte{0x86, 0xd7, 0xe9, 0x03, 0x68, 0x4a, 0xa8, 0x0c}}
	// 4cd62a49-59c3-4969-b7f3-bda5d32890a4
	fwpmConditionIPLocalInterface = windows.GUID{Data1: 0x4cd62a49, Data2: 0x59c3, Data3: 0x4969, Data4: [8]byte{0xb7, 0xf3, 0xbd, 0xa5, 0xd3, 0x28, 0x90, 0xa4}}
	// b235ae9a-1d64-49b8-a44c-5ff3d9095045
	fwpmConditionIPRemoteAddress = windows.GUID{Data1: 0xb235ae9a, Data2: 0x1d64, Data3: 0x49b8, Data4: [8]byte{0xa4, 0x4c, 0x5f, 0xf3, 0xd9, 0x09, 0x50, 0x45}}
	// d9ee00de-c1ef-4617-bfe3-ffd8f5a08957
	fwpmConditionIPLocalAddress = windows.GUID{Data1: 0xd9ee00de, Data2: 0xc1ef, Data3: 0x4617, Data4: [8]byte{0xbf, 0xe3, 0xff, 0xd8, 0xf5, 0xa0, 0x89, 0x57}}
	// 3971ef2b-623e-4f9a-8cb1-6e79b806b9a7
	fwpmConditionIPProtocol = windows.GUID{Data1: 0x3971ef2b, Data2: 0x623e, Data3: 0x4f9a, Data4: [8]byte{0x8c, 0xb1, 0x6e, 0x79, 0xb8, 0x06, 0xb9, 0xa7}}
	// 0c1ba1af-5765-453f-af22-a8f791ac775b; also FWPM_CONDITION_ICMP_TYPE
	fwpmConditionIPLocalPort = windows.GUID{Data1: 0x0c1ba1af, Data2: 0x5765, Data3: 0x453f, Data4: [8]byte{0xaf, 0x22, 0xa8, 0xf7, 0x91, 0xac, 0x77, 0x5b}}
	// c35a604d-d22b-4e1a-91b4-68f674ee674b; also FWPM_CONDITION_ICMP_CODE
	fwpmConditionIPRemotePort = windows.GUID{Data1: 0xc35a604d, Data2: 0xd22b, Data3: 0x4e1a, Data4: [8]byte{0x91, 0xb4, 0x68, 0xf6, 0x74, 0xee, 0x67, 0x4b}}
)

// fwpValue0 is FWP_VALUE0 and FWP_CONDITION_VALUE0: a type and a union of
// a pointer or a number of up to 32 bits (a UINT64 goes by pointer). The
// union is a uintptr, so the garbage collector does not see a pointer in
// it: wfp_windows.go pins what it points to.
type fwpValue0 struct {
	typ   uint32
	value uintptr
}

// fwpByteBlob is FWP_BYTE_BLOB.
type fwpByteBlob struct {
	size uint32
	data *byte
}

// fwpV4AddrAndMask is FWP_V4_ADDR_AND_MASK, both in host byte order.
type fwpV4AddrAndMask struct {
	addr, mask uint32
}

// fwpV6AddrAndMask is FWP_V6_ADDR_AND_MASK.
type fwpV6AddrAndMask struct {
	addr         [16]byte
	prefixLength uint8
}

// fwpmDisplayData0 is FWPM_DISPLAY_DATA0.
type fwpmDisplayData0 struct {
	name, description *uint16
}

// fwpmFilterCondition0 is FWPM_FILTER_CONDITION0.
type fwpmFilterCondition0 struct {
	fieldKey       windows.GUID
	matchType      uint32
	conditionValue fwpValue0
}

// fwpmAction0 is FWPM_ACTION0 (filterType shares a union with calloutKey).
type fwpmAction0 struct {
	typ        uint32
	filterType windows.GUID
}

// fwpmFilter0 is FWPM_FILTER0. providerContext is the union of UINT64
// rawContext and GUID providerContextKey: two uint64 give it the union's
// size and 8-byte alignment.
type fwpmFilter0 struct {
	filterKey           windows.GUID
	displayData         fwpmDisplayData0
	flags               uint32
	providerKey         *windows.GUID
	providerData        fwpByteBlob
	layerKey            windows.GUID
	subLayerKey         windows.GUID
	weight              fwpValue0
	numFilterConditions uint32
	filterCondition     *fwpmFilterCondition0
	action              fwpmAction0
	providerContext     [2]uint64
	reserved            *windows.GUID
	filterID            uint64
	effectiveWeight     fwpValue0
}

// fwpmSession0 is FWPM_SESSION0.
type fwpmSession0 struct {
	sessionKey           windows.GUID
	displayData          fwpmDisplayData0
	flags                uint32
	txnWaitTimeoutInMSec uint32
	processID            uint32
	sid                  *windows.SID
	username             *uint16
	kernelMode           int32 // BOOL
}

// fwpmProvider0 is FWPM_PROVIDER0.
type fwpmProvider0 struct {
	providerKey  windows.GUID
	displayData  fwpmDisplayData0
	flags        uint32
	providerData fwpByteBlob
	serviceName  *uint16
}

// fwpmSublayer0 is FWPM_SUBLAYER0.
type fwpmSublayer0 struct {
	subLayerKey  windows.GUID
	displayData  fwpmDisplayData0
	flags        uint32
	providerKey  *windows.GUID
	providerData fwpByteBlob
	weight       uint16
}
