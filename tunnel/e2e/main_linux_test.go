package e2e

import (
	"testing"

	"github.com/wgdesk/wgdesk/internal/netlab"
)

// TestMain lets netlab run its DNS server as a child copy of this binary.
func TestMain(m *testing.M) { netlab.Main(m) }
