package api

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"
)

// TestPipeSDDLParsedByWindows: the system reads the members' entry of
// pipeSDDL as the mask 0x12019B, without FILE_CREATE_PIPE_INSTANCE, and
// the other entries as full access for LocalSystem and the Administrators.
func TestPipeSDDLParsedByWindows(t *testing.T) {
	const member = "S-1-5-21-1004336348-1177238915-682003330-1010"
	sddl, err := pipeSDDL("SY", member)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		t.Fatalf("%s: %v", sddl, err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		t.Fatal(err)
	}
	masks := map[string]windows.ACCESS_MASK{}
	for i := uint32(0); i < uint32(dacl.AceCount); i++ {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			t.Fatal(err)
		}
		if ace.Header.AceType != windows.ACCESS_ALLOWED_ACE_TYPE {
			t.Fatalf("entry %d has type %d, want an allow entry", i, ace.Header.AceType)
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		masks[sid.String()] = ace.Mask
	}
	if got := masks[member]; got != 0x12019B || got&fileCreatePipeInstance != 0 {
		t.Errorf("members get %#x, want 0x12019b", got)
	}
	for _, sid := range []string{sidLocalSystem, sidAdministrators} {
		if got := masks[sid]; got != windows.GENERIC_ALL {
			t.Errorf("%s gets %#x, want GENERIC_ALL", sid, got)
		}
	}
	if len(masks) != 3 {
		t.Errorf("the DACL has entries for %v, want LocalSystem, the Administrators and the group", masks)
	}
}
