package platform

import (
	"testing"

	"golang.org/x/sys/windows"
)

// An adapter that does not exist has no IP interface: false, not an
// error, which is what the wait loop relies on.
func TestWinIPInterfaceMissing(t *testing.T) {
	// Every Windows since Vista has it; Wine 8 does not, and winipcfg
	// panics without it.
	if err := windows.NewLazySystemDLL("iphlpapi.dll").NewProc("InitializeIpInterfaceEntry").Find(); err != nil {
		t.Skipf("this system lacks the IP Helper call the test needs: %v", err)
	}
	const nobody = 0x00ff_ffff_ffff_ffff // NET_LUID of no interface
	for _, fam := range []int{4, 6} {
		ok, err := winIPHelper{}.ipInterfaceExists(nobody, fam)
		if ok || err != nil {
			t.Errorf("ipv%d: got %v, %v; want false, nil", fam, ok, err)
		}
	}
}

// Subscribing and stopping works and stop returns.
func TestWinWatchIPInterfacesStops(t *testing.T) {
	stop, err := winIPHelper{}.watchIPInterfaces(func(uint64, int) {})
	if err != nil {
		t.Fatal(err)
	}
	stop()
}
