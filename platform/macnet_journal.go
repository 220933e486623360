package platform

import (
	"net/netip"
	"slices"
)

// macEntry is the macOS journal entry of one utun interface: everything the
// macOS back end added and must undo. Its shape differs from journalEntry
// because macOS state differs: no policy rules or tables, but host routes
// for the endpoints that live on the uplink (and outlive the utun) and DNS
// settings changed per network service. It is stored in the same journal
// directory, one <ifname>.json per interface, written before each change.
type macEntry struct {
	Interface string `json:"interface"`
	// Addresses and Routes live on the utun and vanish with it.
	Addresses []netip.Prefix `json:"addresses,omitempty"`
	Routes    []netip.Prefix `json:"routes,omitempty"`
	// Bypass are the endpoints' host routes via the uplink.
	Bypass []macBypass   `json:"bypass,omitempty"`
	DNS    *macDNSRecord `json:"dns,omitempty"`
	// KillSwitch is set from before the pf anchor first holds the
	// interface's kill switch until it holds it no more (pfctl.go).
	KillSwitch *macKillSwitch `json:"killswitch,omitempty"`
}

// macKillSwitch is an interface's part of the pf kill switch: its rules in
// the shared anchor and its reference on pf.
type macKillSwitch struct {
	// Token is the reference that pfctl -E returned, given back with
	// pfctl -X; empty until pf was enabled for this interface.
	Token string `json:"token,omitempty"`
}

// macBypass is a host route that keeps a peer's endpoint off the tunnel.
type macBypass struct {
	Dest netip.Addr `json:"dest"`
	// Gateway is the uplink's next hop; when it is invalid the route points
	// at Via, the uplink interface, instead.
	Gateway netip.Addr `json:"gateway,omitzero"`
	Via     string     `json:"via,omitempty"`
}

// macDNSRecord is what the back end did to DNS: the values it set on every
// network service, and each service's own values from before, restored on
// removal.
type macDNSRecord struct {
	Servers  []netip.Addr    `json:"servers,omitempty"`
	Search   []string        `json:"search,omitempty"`
	Services []macServiceDNS `json:"services"`
}

// macServiceDNS is a network service's own DNS settings. Empty lists mean
// the service had none of its own (networksetup's "Empty": DHCP's apply).
type macServiceDNS struct {
	Name    string   `json:"name"`
	Servers []string `json:"servers,omitempty"`
	Search  []string `json:"search,omitempty"`
}

func (r *macDNSRecord) service(name string) (macServiceDNS, bool) {
	for _, s := range r.Services {
		if s.Name == name {
			return s, true
		}
	}
	return macServiceDNS{}, false
}

func (e *macEntry) isEmpty() bool {
	return e == nil || (len(e.Addresses) == 0 && len(e.Routes) == 0 && len(e.Bypass) == 0 && e.DNS == nil && e.KillSwitch == nil)
}

func (e *macEntry) clone() *macEntry {
	c := *e
	c.Addresses = slices.Clone(e.Addresses)
	c.Routes = slices.Clone(e.Routes)
	c.Bypass = slices.Clone(e.Bypass)
	if e.KillSwitch != nil {
		k := *e.KillSwitch
		c.KillSwitch = &k
	}
	return &c
}

// union returns an entry owning everything in e and in want, the journal
// state to write before moving from e to want. DNS stays e's: a DNS record
// is journaled by itself before the first change to DNS.
func (e *macEntry) union(want *macEntry) *macEntry {
	u := e.clone()
	u.Addresses = appendMissing(u.Addresses, want.Addresses)
	u.Routes = appendMissing(u.Routes, want.Routes)
	u.Bypass = appendMissing(u.Bypass, want.Bypass)
	return u
}

func (e *macEntry) ifname() string { return e.Interface }

// saveMac writes e atomically (mode 0600), or deletes its file when e is
// empty.
func (j journal) saveMac(e *macEntry) error { return j.saveRecord(e) }

// loadMac returns every macOS journal entry left in the directory.
func (j journal) loadMac() ([]*macEntry, error) { return loadRecords[macEntry](j) }
