package platform

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows"
	"golang.zx2c4.com/wireguard/windows/tunnel/firewall"
)

// wfpFirewall implements winFirewall with the firewall package of
// WireGuard for Windows: WFP filters in a dynamic session of this process
// (see winfirewall.go for what that implies).
type wfpFirewall struct{}

func (wfpFirewall) enable(p winFirewallPlan) error {
	if p.AllowLAN {
		// winNetwork refuses it before; this keeps a plan that would
		// block the LAN the user asked for from ever being enforced.
		return fmt.Errorf("allow lan: %w", errors.ErrUnsupported)
	}
	// doNotRestrict false: block everything but the permits. The
	// endpoints need no filter of their own: the package permits all of
	// this process's traffic, and the encrypted UDP is ours.
	err := firewall.EnableFirewall(p.LUID, false, p.DNS)
	if errors.Is(err, windows.ERROR_NO_SUCH_GROUP) {
		// The package permits our own traffic by the service SID, which
		// only a process started by the service manager has.
		return fmt.Errorf("%s: %w", winNoServiceSIDHint, err)
	}
	if err != nil {
		return fmt.Errorf("enable firewall: %w", err)
	}
	return nil
}

func (wfpFirewall) disable() { firewall.DisableFirewall() }
