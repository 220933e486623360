package cli

import (
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"
)

// TestPrepareStateDirRestrictsAccess is the Windows counterpart of the
// Unix mode checks on the store and the journal (tunnel's
// TestStoreFileModes, platform's TestJournalRoundTrip): Windows ignores
// 0700 and 0600, so the state directory gets a protected DACL for SYSTEM
// and the Administrators, and what the service writes in it afterwards
// inherits that DACL and nothing from %ProgramData%.
func TestPrepareStateDirRestrictsAccess(t *testing.T) {
	if !isRootOS() {
		t.Skip("needs an administrator: the directory admits SYSTEM and the Administrators only")
	}
	dir := filepath.Join(t.TempDir(), "state")
	if err := prepareStateDir(dir); err != nil {
		t.Fatal(err)
	}
	// What the store and the journal write, after the DACL is set.
	tunnels := filepath.Join(dir, "tunnels")
	if err := os.Mkdir(tunnels, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(tunnels, "home.conf")
	if err := os.WriteFile(conf, []byte("[Interface]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, tunnels, conf} {
		sd, err := windows.GetNamedSecurityInfo(p, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
		if err != nil {
			t.Fatalf("read the DACL of %s: %v", p, err)
		}
		if p == dir {
			control, _, err := sd.Control()
			if err != nil {
				t.Fatal(err)
			}
			if control&windows.SE_DACL_PROTECTED == 0 {
				t.Errorf("%s: the DACL is not protected, so it takes entries from its parent", p)
			}
		}
		dacl, _, err := sd.DACL()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if dacl == nil {
			t.Fatalf("%s has a null DACL: everyone may open it", p)
		}
		got := map[string]windows.ACCESS_MASK{}
		for i := uint32(0); i < uint32(dacl.AceCount); i++ {
			var ace *windows.ACCESS_ALLOWED_ACE
			if err := windows.GetAce(dacl, i, &ace); err != nil {
				t.Fatal(err)
			}
			sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
			if ace.Header.AceType != windows.ACCESS_ALLOWED_ACE_TYPE {
				t.Errorf("%s: entry %d for %s has type %d, want an allow entry", p, i, sid, ace.Header.AceType)
				continue
			}
			got[sid.String()] |= ace.Mask
		}
		const fileAllAccess = 0x1F01FF // FA in stateDirSDDL
		if len(got) != 2 || got["S-1-5-18"] != fileAllAccess || got["S-1-5-32-544"] != fileAllAccess {
			t.Errorf("%s admits %v, want SYSTEM (S-1-5-18) and the Administrators (S-1-5-32-544) with %#x only", p, got, fileAllAccess)
		}
	}
}
