package cli

import (
	"strings"
	"testing"
)

func TestWindowsStateDir(t *testing.T) {
	for in, want := range map[string]string{
		`C:\ProgramData`:  `C:\ProgramData\wgdesk`,
		`D:\Data\`:        `D:\Data\wgdesk`,
		"":                `C:\ProgramData\wgdesk`,
		`E:/ProgramData/`: `E:/ProgramData\wgdesk`,
	} {
		if got := windowsStateDir(in); got != want {
			t.Errorf("windowsStateDir(%q) = %q, want %q", in, got, want)
		}
	}
}

// The state directory holds private keys: only SYSTEM and the
// Administrators, nothing inherited from %ProgramData%, where Users may
// read.
func TestStateDirSDDL(t *testing.T) {
	if !strings.HasPrefix(stateDirSDDL, "D:P(") {
		t.Fatalf("%q: the DACL is not protected from inheritance", stateDirSDDL)
	}
	aces := strings.Split(strings.TrimSuffix(strings.TrimPrefix(stateDirSDDL, "D:P("), ")"), ")(")
	trustees := map[string]bool{}
	for _, ace := range aces {
		f := strings.Split(ace, ";")
		if len(f) != 6 || f[0] != "A" {
			t.Fatalf("%q: unexpected entry %q", stateDirSDDL, ace)
		}
		trustees[f[5]] = true
	}
	if len(trustees) != 2 || !trustees["SY"] || !trustees["BA"] {
		t.Fatalf("%q grants %v, want SY and BA only", stateDirSDDL, trustees)
	}
}
