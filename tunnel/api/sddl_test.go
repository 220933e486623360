package api

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestPipeSDDL(t *testing.T) {
	const member = "S-1-5-21-1004336348-1177238915-682003330-1010"
	tests := []struct {
		owner, group string
		want         string
	}{
		{"SY", member, "O:SYD:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;0x12019B;;;" + member + ")"},
		{"BA", member, "O:BAD:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;0x12019B;;;" + member + ")"},
		{"SY", "", "O:SYD:P(A;;GA;;;SY)(A;;GA;;;BA)"},
	}
	for _, tt := range tests {
		got, err := pipeSDDL(tt.owner, tt.group)
		if err != nil || got != tt.want {
			t.Errorf("pipeSDDL(%q, %q) = %q, %v; want %q", tt.owner, tt.group, got, err, tt.want)
		}
		// Never Everyone (WD), authenticated users (AU), users (BU),
		// anonymous (AN), and no inherited entries.
		for _, open := range []string{";WD)", ";AU)", ";BU)", ";AN)", "S-1-1-0"} {
			if strings.Contains(got, open) {
				t.Errorf("pipeSDDL(%q, %q) = %q admits %s", tt.owner, tt.group, got, open)
			}
		}
		checkMemberRights(t, got)
		if !strings.Contains(got, "D:P(") {
			t.Errorf("pipeSDDL(%q, %q) = %q: the DACL is not protected", tt.owner, tt.group, got)
		}
	}
	// A value that is not a SID must not add entries of its own, and the
	// owner is one of the two a service runs as.
	for _, bad := range [][2]string{
		{"SY", "S-1-5-21-1)(A;;GA;;;WD"},
		{"SY", "wgdesk"},
		{"SY", "S-1-"},
		{"WD", ""},
		{"", member},
	} {
		if got, err := pipeSDDL(bad[0], bad[1]); err == nil {
			t.Errorf("pipeSDDL(%q, %q) = %q, want an error", bad[0], bad[1], got)
		}
	}
}

// aceRe matches one allow entry: rights and trustee.
var aceRe = regexp.MustCompile(`\(A;;([^;]*);;;([^)]*)\)`)

// checkMemberRights fails if an entry for anyone but LocalSystem and the
// Administrators gives more than read and write without
// FILE_CREATE_PIPE_INSTANCE (0x4): generic rights (GR, GW, GA, FA, FW)
// are refused outright, since GW and the full-access forms include it.
func checkMemberRights(t *testing.T, sddl string) {
	t.Helper()
	for _, m := range aceRe.FindAllStringSubmatch(sddl, -1) {
		rights, trustee := m[1], m[2]
		if trustee == "SY" || trustee == "BA" {
			continue
		}
		mask, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(rights), "0x"), 16, 32)
		if !strings.HasPrefix(strings.ToLower(rights), "0x") || err != nil {
			t.Errorf("%s: %s gets %q, want a numeric mask without FILE_CREATE_PIPE_INSTANCE", sddl, trustee, rights)
			continue
		}
		if mask&0x4 != 0 {
			t.Errorf("%s: %s may create pipe instances (mask %#x)", sddl, trustee, mask)
		}
		// What a client needs: read and write data, and READ_CONTROL
		// to check the pipe's owner.
		for _, need := range []uint64{0x1, 0x2, 0x20000, 0x100000} {
			if mask&need == 0 {
				t.Errorf("%s: %s lacks right %#x a client needs (mask %#x)", sddl, trustee, need, mask)
			}
		}
	}
}
