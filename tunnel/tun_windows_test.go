package tunnel

import (
	"errors"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/internal/wintun"
)

// Without wintun.dll, creating the adapter fails with the sentence that
// names the path and the fix, before wireguard-go tries LoadLibraryEx.
func TestCreateTUNWithoutWintun(t *testing.T) {
	if p, err := wintun.Find(); err == nil {
		t.Skipf("wintun.dll is installed at %s; this test needs a system without it", p)
	}
	dev, err := createTUN("home", "home", 1420)
	if err == nil {
		dev.Close()
		t.Fatal("created an adapter without wintun.dll")
	}
	if !errors.Is(err, wintun.ErrDLLMissing) || !strings.Contains(err.Error(), "wintun.dll from wintun-0.14.1.zip next to wgdesk.exe, or reinstall wgdesk") {
		t.Fatalf("got %v", err)
	}
}
