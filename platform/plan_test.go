package platform

import (
	"flag"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	goldenfile "github.com/wgdesk/wgdesk/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func prefixes(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, v := range s {
		out = append(out, netip.MustParsePrefix(v))
	}
	return out
}

func TestPlanGolden(t *testing.T) {
	base := Settings{
		Addresses: prefixes("10.66.0.2/32", "fd42:66::2/128"),
		DNS:       []netip.Addr{netip.MustParseAddr("10.66.0.1")},
		DNSSearch: []string{"home.lan"},
		Endpoints: []netip.AddrPort{netip.MustParseAddrPort("198.51.100.1:51820")},
	}
	with := func(f func(*Settings)) Settings {
		s := base
		f(&s)
		return s
	}
	cases := []struct {
		name string
		s    Settings
	}{
		{"zero", Settings{}},
		{"split", with(func(s *Settings) {
			// Unordered, duplicated and with host bits, as users write them.
			s.Routes = prefixes("192.168.88.7/24", "10.66.0.0/24", "192.168.88.0/24")
		})},
		{"full_v4_v6", with(func(s *Settings) {
			s.Routes = prefixes("0.0.0.0/0", "::/0", "10.66.0.0/24")
		})},
		{"full_v4_only_fwmark", with(func(s *Settings) {
			s.Routes = prefixes("0.0.0.0/0")
			s.FwMark = 4660
			s.MTU = 1380
		})},
		{"table_off", with(func(s *Settings) {
			s.Routes = prefixes("0.0.0.0/0", "10.66.0.0/24")
			s.Table = "off"
		})},
		{"table_1234", with(func(s *Settings) {
			s.Routes = prefixes("0.0.0.0/0", "10.66.0.0/24")
			s.Table = "1234"
		})},
		{"mtu_auto_no_dns", with(func(s *Settings) {
			s.Routes = prefixes("10.66.0.0/24")
			s.DNS, s.DNSSearch = nil, nil
		})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := NewPlan("wg0", c.s)
			if err != nil {
				t.Fatal(err)
			}
			got := p.String() + "\n"
			golden := filepath.Join("testdata", "plan_"+c.name+".golden")
			goldenfile.Check(t, golden, got, *update)
		})
	}
}

func TestPlanRejectsBadTable(t *testing.T) {
	for _, table := range []string{"0", "vpn", "-3", "99999999999"} {
		_, err := NewPlan("wg0", Settings{Routes: prefixes("10.0.0.0/8"), Table: table})
		if err == nil || !strings.Contains(err.Error(), "table") {
			t.Errorf("Table %q: got %v, want a table error", table, err)
		}
	}
	if _, err := NewPlan("wg0", Settings{Routes: []netip.Prefix{{}}}); err == nil {
		t.Error("invalid prefix accepted")
	}
}

func TestPlanTableMain(t *testing.T) {
	p, err := NewPlan("wg0", Settings{Routes: prefixes("0.0.0.0/0"), Table: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rules) != 0 || p.PolicyTable != 0 || p.Routes[0].Table != MainTable {
		t.Errorf("Table main: got %+v, want the default route in main without rules", p)
	}
}

func TestAutoMTU(t *testing.T) {
	cases := []struct {
		endpoints []int
		def, want int
	}{
		{nil, 0, 1420},
		{nil, 1500, 1420},
		{nil, 1492, 1412},
		{[]int{1400, 9000}, 1500, 8920},
		{[]int{0}, 1280, 1200},
		{nil, 60, 1420},
	}
	for _, c := range cases {
		if got := AutoMTU(c.endpoints, c.def); got != c.want {
			t.Errorf("AutoMTU(%v, %d) = %d, want %d", c.endpoints, c.def, got, c.want)
		}
	}
}
