package api

import (
	"strings"
	"testing"
)

func TestPipeSDDL(t *testing.T) {
	const member = "S-1-5-21-1004336348-1177238915-682003330-1010"
	tests := []struct {
		owner, group string
		want         string
	}{
		{"SY", member, "O:SYD:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GRGW;;;" + member + ")"},
		{"BA", member, "O:BAD:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GRGW;;;" + member + ")"},
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
