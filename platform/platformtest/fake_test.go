package platformtest

import (
	"context"
	"errors"
	"flag"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/platform"

	goldenfile "github.com/wgdesk/wgdesk/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name+".golden"), got+"\n", *update)
}

func full() platform.Settings {
	return platform.Settings{
		Addresses: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/32")},
		Routes:    []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("10.0.0.0/24")},
		DNS:       []netip.Addr{netip.MustParseAddr("10.0.0.1")},
		DNSSearch: []string{"home.lan"},
	}
}

func split() platform.Settings {
	s := full()
	s.Routes = s.Routes[1:]
	return s
}

func TestFakeApplyIdempotentAndRemove(t *testing.T) {
	ctx := context.Background()
	f := New()
	f.UplinkMTU = 1492
	for range 2 {
		if err := f.Apply(ctx, "wg0", full()); err != nil {
			t.Fatal(err)
		}
		golden(t, "full", f.State())
	}
	if err := f.Apply(ctx, "wg0", split()); err != nil {
		t.Fatal(err)
	}
	golden(t, "split_after_full", f.State())
	if err := f.Apply(ctx, "wg0", platform.Settings{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "removed", f.State())
	if got := strings.Join(f.Calls(), ","); got != "apply wg0,apply wg0,apply wg0,apply wg0 zero" {
		t.Errorf("calls: %s", got)
	}
}

func TestFakeCrashRecover(t *testing.T) {
	ctx := context.Background()
	f := New()
	if err := f.Apply(ctx, "wg0", full()); err != nil {
		t.Fatal(err)
	}
	f.Crash()
	f.LinkGone("wg0")
	golden(t, "after_crash", f.State())
	if err := f.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	golden(t, "removed", f.State())
	if err := f.Recover(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestFakeFailOn(t *testing.T) {
	ctx := context.Background()
	f := New()
	f.FailOn(StepRoutes)
	err := f.Apply(ctx, "wg0", full())
	if !errors.Is(err, ErrInjected) || !strings.Contains(err.Error(), "routes") {
		t.Fatalf("got %v, want an injected routes failure", err)
	}
	golden(t, "failed_at_routes", f.State())
	// Teardown after the failure removes what the first steps made.
	if err := f.Apply(ctx, "wg0", platform.Settings{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "removed_after_failure", f.State())

	// A crash after a failed Apply is recovered from the journal too.
	if err := f.Apply(ctx, "wg0", full()); err == nil {
		t.Fatal("no error with FailOn still set")
	}
	f.FailOn("")
	f.Crash()
	if err := f.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	golden(t, "removed_after_failure", f.State())

	f.FailOn(StepRecover)
	if err := f.Recover(ctx); !errors.Is(err, ErrInjected) {
		t.Fatalf("recover: got %v", err)
	}
}

func TestFakeRejectsBadTable(t *testing.T) {
	s := full()
	s.Table = "vpn"
	if err := New().Apply(context.Background(), "wg0", s); err == nil {
		t.Fatal("bad table accepted")
	}
}
