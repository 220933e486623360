package platform

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Routing tables and rule priorities used by the wg-quick style policy
// routing of a full tunnel.
const (
	// MainTable is the kernel's main routing table.
	MainTable = 254
	// DefaultPolicyTable is the table (and fwmark) used for a default route
	// with Table auto when Settings.FwMark is zero, as wg-quick does. The
	// tunnel engine must then set the device's fwmark to this value: read
	// it from Plan.PolicyTable.
	DefaultPolicyTable = 51820
	// RulePrioritySuppress and RulePriorityNotMark are the priorities of
	// the two rules; they are the numbers the kernel gives wg-quick's rules
	// on a host with the default rule set (0, 32766, 32767).
	RulePrioritySuppress = 32764
	RulePriorityNotMark  = 32765
	// MTUOverhead is what WireGuard adds to a packet (IPv6 outer header
	// plus UDP and WireGuard headers), wg-quick's "minus 80".
	MTUOverhead = 80
	// FallbackMTU is used when no route tells the uplink's MTU.
	FallbackMTU = 1500 - MTUOverhead
)

// Route is one route sent into the tunnel interface.
type Route struct {
	Prefix netip.Prefix `json:"prefix"`
	Table  uint32       `json:"table"`
}

func (r Route) String() string {
	return r.Prefix.String() + " table " + tableName(r.Table)
}

// Rule is one policy routing rule. Either NotFwMark is set (packets whose
// fwmark differs look up Table) or SuppressPrefixlen is (look up Table but
// ignore its routes with a prefix length up to that value).
type Rule struct {
	Family            int    `json:"family"` // 4 or 6
	Priority          int    `json:"priority"`
	Table             uint32 `json:"table"`
	NotFwMark         uint32 `json:"not_fwmark,omitempty"`
	SuppressPrefixlen int    `json:"suppress_prefixlen"` // -1: none
}

func (r Rule) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ipv%d pref %d", r.Family, r.Priority)
	if r.NotFwMark != 0 {
		fmt.Fprintf(&b, " not fwmark %d", r.NotFwMark)
	}
	b.WriteString(" lookup " + tableName(r.Table))
	if r.SuppressPrefixlen >= 0 {
		fmt.Fprintf(&b, " suppress_prefixlength %d", r.SuppressPrefixlen)
	}
	return b.String()
}

// DNSPlan is the resolver configuration of a tunnel.
type DNSPlan struct {
	Servers []netip.Addr
	Search  []string
	// RouteAll sends every query to the tunnel's servers (a full tunnel):
	// the "~." routing domain for systemd-resolved.
	RouteAll bool
}

// IsZero reports whether no DNS change is planned.
func (d DNSPlan) IsZero() bool { return len(d.Servers) == 0 && len(d.Search) == 0 }

// Plan is what applying Settings to one interface means in OS terms. It is
// computed without touching the OS, shared by every implementation and by
// the platformtest fake.
type Plan struct {
	Interface string
	Addresses []netip.Prefix
	// MTU to set; 0 means automatic (see AutoMTU).
	MTU       int
	Endpoints []netip.AddrPort
	Routes    []Route
	Rules     []Rule
	// PolicyTable is the table and fwmark of a full tunnel with Table
	// auto, zero otherwise. The device's fwmark must equal it.
	PolicyTable uint32
	// SrcValidMark asks for net.ipv4.conf.all.src_valid_mark=1, which
	// reverse-path filtering needs to accept replies to marked packets.
	SrcValidMark bool
	DNS          DNSPlan
	// Up is false for the zero Settings: nothing is configured.
	Up bool
}

// NewPlan computes the plan for Settings s on interface ifname. It fails
// only on a Table value it cannot use.
func NewPlan(ifname string, s Settings) (Plan, error) {
	p := Plan{Interface: ifname}
	if s.IsZero() {
		return p, nil
	}
	for _, a := range slices.Concat(s.Addresses, s.Routes) {
		if !a.IsValid() {
			return Plan{}, fmt.Errorf("invalid prefix %v", a)
		}
	}
	if s.MTU < 0 {
		return Plan{}, fmt.Errorf("invalid mtu %d", s.MTU)
	}
	p.Up = true
	p.MTU = s.MTU
	p.Addresses = uniqueSorted(s.Addresses, func(a netip.Prefix) netip.Prefix { return a }, comparePrefix)
	p.Endpoints = slices.Clone(s.Endpoints)

	routes := uniqueSorted(s.Routes, netip.Prefix.Masked, comparePrefix)
	auto := false
	var table uint32
	switch t := strings.TrimSpace(s.Table); strings.ToLower(t) {
	case "", "auto":
		auto = true
	case "off":
		routes = nil
	case "main":
		table = MainTable
	default:
		n, err := strconv.ParseUint(t, 10, 32)
		if err != nil || n == 0 {
			return Plan{}, fmt.Errorf("table %q: want auto, off, main or a table number", s.Table)
		}
		table = uint32(n)
	}
	defaultFamilies := map[int]bool{}
	for _, r := range routes {
		rt := Route{Prefix: r, Table: table}
		if auto {
			rt.Table = MainTable
			if r.Bits() == 0 {
				p.PolicyTable = s.FwMark
				if p.PolicyTable == 0 {
					p.PolicyTable = DefaultPolicyTable
				}
				defaultFamilies[family(r.Addr())] = true
			}
		}
		p.Routes = append(p.Routes, rt)
	}
	for i, r := range p.Routes {
		if auto && r.Prefix.Bits() == 0 {
			p.Routes[i].Table = p.PolicyTable
		}
	}
	for _, fam := range []int{4, 6} {
		if !defaultFamilies[fam] {
			continue
		}
		p.Rules = append(p.Rules,
			Rule{Family: fam, Priority: RulePrioritySuppress, Table: MainTable, SuppressPrefixlen: 0},
			Rule{Family: fam, Priority: RulePriorityNotMark, Table: p.PolicyTable, NotFwMark: p.PolicyTable, SuppressPrefixlen: -1},
		)
	}
	p.SrcValidMark = defaultFamilies[4]

	p.DNS.Servers = uniqueSorted(s.DNS, func(a netip.Addr) netip.Addr { return a }, netip.Addr.Compare)
	p.DNS.Search = uniqueKeepOrder(s.DNSSearch)
	// A default route into the tunnel, whatever its table, makes it a full
	// tunnel whose resolvers should see every query.
	for _, r := range routes {
		if r.Bits() == 0 {
			p.DNS.RouteAll = !p.DNS.IsZero()
		}
	}
	return p, nil
}

// Lines renders the plan as sorted text lines, the format of the
// platformtest fake's State and of the golden files.
func (p Plan) Lines() []string {
	if !p.Up {
		return nil
	}
	var l []string
	for _, a := range p.Addresses {
		l = append(l, "addr "+p.Interface+" "+a.String())
	}
	mtu := "auto"
	if p.MTU > 0 {
		mtu = strconv.Itoa(p.MTU)
	}
	l = append(l, "mtu "+p.Interface+" "+mtu)
	for _, r := range p.Routes {
		l = append(l, "route "+p.Interface+" "+r.String())
	}
	for _, r := range p.Rules {
		l = append(l, "rule "+r.String())
	}
	if p.PolicyTable != 0 {
		l = append(l, fmt.Sprintf("fwmark %s %d", p.Interface, p.PolicyTable))
	}
	if p.SrcValidMark {
		l = append(l, "sysctl net.ipv4.conf.all.src_valid_mark=1")
	}
	if d := p.DNS.Line(p.Interface); d != "" {
		l = append(l, d)
	}
	slices.Sort(l)
	return l
}

// Line renders the DNS part as one text line, "" when there is none.
func (d DNSPlan) Line(ifname string) string {
	if d.IsZero() {
		return ""
	}
	var b strings.Builder
	b.WriteString("dns " + ifname)
	for _, s := range d.Servers {
		b.WriteString(" " + s.String())
	}
	if len(d.Search) > 0 {
		b.WriteString(" search " + strings.Join(d.Search, " "))
	}
	if d.RouteAll {
		b.WriteString(" domain ~.")
	}
	return b.String()
}

func (p Plan) String() string { return strings.Join(p.Lines(), "\n") }

// AutoMTU chooses the interface MTU as wg-quick does: the largest MTU of the
// routes to the endpoints, else the default route's MTU, minus 80; 1420
// when neither is known (zero).
func AutoMTU(endpointMTUs []int, defaultRouteMTU int) int {
	best := 0
	for _, m := range endpointMTUs {
		best = max(best, m)
	}
	if best == 0 {
		best = defaultRouteMTU
	}
	if best <= MTUOverhead {
		return FallbackMTU
	}
	return best - MTUOverhead
}

func tableName(t uint32) string {
	if t == MainTable {
		return "main"
	}
	return strconv.FormatUint(uint64(t), 10)
}

func family(a netip.Addr) int {
	if a.Is4() || a.Is4In6() {
		return 4
	}
	return 6
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

func uniqueSorted[T comparable](in []T, norm func(T) T, cmp func(a, b T) int) []T {
	var out []T
	for _, v := range in {
		out = append(out, norm(v))
	}
	slices.SortFunc(out, cmp)
	return slices.Compact(out)
}

func uniqueKeepOrder(in []string) []string {
	var out []string
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
