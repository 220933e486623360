package platform

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPFAnchorParsesOnMac has the real pfctl parse every golden anchor
// without loading it (pfctl -n): the check that the rules are pf.conf as
// macOS's pf reads it, which the model in pfrules_test.go cannot give.
// pfctl opens /dev/pf even with -n, so it runs as root only (the macOS
// workflow runs it with sudo).
func TestPFAnchorParsesOnMac(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("pfctl needs root to open /dev/pf, even to parse (sudo go test -run PFAnchorParsesOnMac ./platform)")
	}
	files, err := filepath.Glob(filepath.Join("testdata", "pf_*.golden"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden anchors: %v", err)
	}
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		c := exec.Command("/sbin/pfctl", "-n", "-a", pfAnchor, "-f", "-")
		c.Stdin = bytes.NewReader(text)
		c.Stdout, c.Stderr = &out, &out
		if err := c.Run(); err != nil {
			t.Errorf("%s: pfctl -n: %v\n%s", f, err, strings.TrimSpace(out.String()))
		}
	}
}
