package hints_test

import (
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/internal/hints"
	"github.com/wgdesk/wgdesk/internal/osservice"
)

// The macOS texts name the label and log of the launch daemon that
// osservice installs, so a rename there cannot leave them stale. (An
// external test: osservice imports the local API, which imports hints.)
func TestDarwinTextsNameTheLaunchDaemon(t *testing.T) {
	h := hints.For("darwin")
	for name, text := range map[string]string{"Start": h.Start, "StartBanner": h.StartBanner} {
		for _, w := range []string{"system/" + osservice.LaunchdLabel, osservice.LaunchdLog} {
			if !strings.Contains(text, w) {
				t.Errorf("darwin %s %q lacks %q", name, text, w)
			}
		}
	}
}
