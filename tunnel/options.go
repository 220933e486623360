package tunnel

// Per-tunnel options: settings the service keeps with a tunnel but outside
// its wg-quick text, so that an export stays a standard config any
// WireGuard client reads. They are the same on every OS; what a platform
// can enforce is reported beside them (TunnelInfo.KillSwitch).

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/platform"
)

// KillSwitch is the stored kill switch setting of a tunnel.
type KillSwitch string

const (
	// KillSwitchAuto is the default (the empty value means it too): on
	// for a full tunnel. It follows the config, so a tunnel edited from
	// split to full gets the kill switch without anyone asking.
	KillSwitchAuto KillSwitch = "auto"
	// KillSwitchOn asks for it explicitly. A split tunnel gets none all
	// the same: blocking what it does not route would cut the network.
	KillSwitchOn KillSwitch = "on"
	// KillSwitchOff turns it off even for a full tunnel.
	KillSwitchOff KillSwitch = "off"
)

// ParseKillSwitch reads "on", "off" or "auto" (any case; "" is auto).
func ParseKillSwitch(s string) (KillSwitch, error) {
	switch k := KillSwitch(strings.ToLower(strings.TrimSpace(s))); k {
	case "", KillSwitchAuto:
		return KillSwitchAuto, nil
	case KillSwitchOn, KillSwitchOff:
		return k, nil
	}
	return "", fmt.Errorf("%w: kill switch %q: use on, off or auto", ErrBadOptions, s)
}

// Options are the per-tunnel settings. The zero value is the default:
// kill switch automatic (on for full tunnels), LAN not allowed, not
// started with the service.
type Options struct {
	KillSwitch KillSwitch `json:"kill_switch,omitempty"`
	// AllowLAN keeps the directly connected subnets reachable while the
	// kill switch is on (printers, file shares). Off by default.
	AllowLAN bool `json:"allow_lan,omitempty"`
	// Autostart ("Connect at startup") brings the tunnel up when the
	// service starts and the network is online (Manager.Autostart), so
	// that it is back after a reboot. Off by default; for every tunnel,
	// full or split.
	Autostart bool `json:"autostart,omitempty"`
}

// DefaultOptions are what a tunnel without stored options gets.
func DefaultOptions() Options { return Options{KillSwitch: KillSwitchAuto} }

// Normalized returns o with the kill switch spelled out ("" becomes
// auto), or an error wrapping ErrBadOptions for an unknown value.
func (o Options) Normalized() (Options, error) {
	k, err := ParseKillSwitch(string(o.KillSwitch))
	if err != nil {
		return Options{}, err
	}
	o.KillSwitch = k
	return o, nil
}

// KillSwitchWanted reports whether cfg gets a kill switch under o: it is a
// full tunnel and the kill switch is not off.
func (o Options) KillSwitchWanted(cfg *config.Config) bool {
	return cfg != nil && IsFullTunnel(cfg) && o.KillSwitch != KillSwitchOff
}

// IsFullTunnel reports whether cfg sends all traffic of a family into the
// tunnel: a peer routes 0.0.0.0/0 or ::/0 and Table is not off (with no
// routes nothing goes into the tunnel by itself).
func IsFullTunnel(cfg *config.Config) bool {
	if strings.EqualFold(strings.TrimSpace(cfg.Interface.Table), "off") {
		return false
	}
	return hasDefaultRoute(cfg)
}

// KillSwitchStatus says what the kill switch does for a tunnel now.
type KillSwitchStatus string

const (
	// KillSwitchUnused: a split tunnel; there is nothing to block.
	KillSwitchUnused KillSwitchStatus = "unused"
	// KillSwitchDisabled: a full tunnel whose kill switch is turned off.
	KillSwitchDisabled KillSwitchStatus = "off"
	// KillSwitchUnavailable: wanted, but this system cannot enforce it
	// yet (platform.Network is no Firewaller): traffic is not blocked.
	KillSwitchUnavailable KillSwitchStatus = "unavailable"
	// KillSwitchArmed: wanted and enforceable; in force while the tunnel
	// is up.
	KillSwitchArmed KillSwitchStatus = "armed"
	// KillSwitchActive: in force now; everything outside the tunnel is
	// blocked.
	KillSwitchActive KillSwitchStatus = "active"
)

// KillSwitchStatusFor derives the status from the config, the options,
// what the platform enforces and whether the kill switch is enforced now
// (the tunnel is up with it). Fakes of Service use it too.
func KillSwitchStatusFor(cfg *config.Config, o Options, fw platform.FirewallSupport, enforcedNow bool) KillSwitchStatus {
	switch {
	case cfg == nil || !IsFullTunnel(cfg):
		return KillSwitchUnused
	case o.KillSwitch == KillSwitchOff:
		return KillSwitchDisabled
	case !fw.KillSwitch:
		return KillSwitchUnavailable
	case enforcedNow:
		return KillSwitchActive
	}
	return KillSwitchArmed
}

// firewallSettings are the Settings fields the options decide for cfg.
func firewallSettings(cfg *config.Config, o Options) (killSwitch, allowLAN bool) {
	killSwitch = o.KillSwitchWanted(cfg)
	return killSwitch, killSwitch && o.AllowLAN
}

// storedMeta is the stored form of what the store keeps beside a
// tunnel's .conf: its options and who wrote the config.
type storedMeta struct {
	KillSwitch KillSwitch `json:"kill_switch"`
	AllowLAN   bool       `json:"allow_lan"`
	Autostart  bool       `json:"autostart"`
	// Owner is who wrote the config; absent in files from before owners
	// were recorded.
	Owner *Caller `json:"owner,omitempty"`
}

// marshalMeta is the stored form: indented JSON with every option, so
// that a person reading the file sees the defaults too, and the owner.
func marshalMeta(o Options, owner *Caller) []byte {
	b, _ := json.MarshalIndent(storedMeta{o.KillSwitch, o.AllowLAN, o.Autostart, owner}, "", "  ")
	return append(b, '\n')
}

// marshalOptions is marshalMeta without an owner.
func marshalOptions(o Options) []byte { return marshalMeta(o, nil) }

// unmarshalMeta reads the stored form; unknown fields are kept out
// quietly (a newer service may add some), unknown values are errors. On
// an error the options are the defaults and the owner is unknown: the
// safe side, a kill switch for full tunnels and changes for
// administrators only.
func unmarshalMeta(b []byte) (Options, *Caller, error) {
	var m storedMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return DefaultOptions(), nil, fmt.Errorf("%w: %w", ErrBadOptions, err)
	}
	n, err := Options{KillSwitch: m.KillSwitch, AllowLAN: m.AllowLAN, Autostart: m.Autostart}.Normalized()
	if err != nil {
		return DefaultOptions(), nil, err
	}
	if m.Owner != nil && m.Owner.ID == "" && !m.Owner.Admin {
		return n, nil, fmt.Errorf("%w: an owner without an id", ErrBadOptions)
	}
	return n, m.Owner, nil
}

// errAllowLANUnavailable refuses Allow LAN where the platform cannot keep
// the LAN open under the kill switch. It is an ErrUnsupported, whose own
// text ("unsupported operation") it leaves out of the sentence.
var errAllowLANUnavailable error = unsupportedError("allow lan is not available on this system yet")

type unsupportedError string

func (e unsupportedError) Error() string { return string(e) }
func (e unsupportedError) Unwrap() error { return ErrUnsupported }
