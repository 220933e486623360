package platform

import (
	"fmt"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/google/nftables"

	goldenfile "github.com/wgdesk/wgdesk/internal/golden"
)

// nftList returns what nft(8) reads back from the kernel for the table in
// the namespace, "" when there is none.
func (s *testNS) nftList(t *testing.T, table string) string {
	t.Helper()
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("needs nft(8) from Debian's nftables to read the ruleset back")
	}
	out, err := exec.Command("ip", "netns", "exec", s.name, "nft", "list", "table", "inet", table).CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "No such file or directory") {
			return ""
		}
		t.Fatalf("nft list table inet %s: %v: %s", table, err, out)
	}
	return string(out)
}

// The rules built through netlink are exactly those nft(8) builds from the
// rendered script, the golden files' text: both tables read back alike.
func TestNftNetlinkMatchesScript(t *testing.T) {
	ns := newTestNS(t)
	b := nftNetlink{netnsFd: int(ns.ns)}
	if err := nftProbe(b); err != nil {
		t.Fatalf("probe: %v", err)
	}
	t.Cleanup(func() {
		if err := b.replace(nftTableName, nil); err != nil {
			t.Errorf("delete the table: %v", err)
		}
	})
	home := nftTestTunnel(t, "home", nftHomeSettings([]string{"0.0.0.0/0", "::/0"}, true))
	v4 := nftTestTunnel(t, "home", nftHomeSettings([]string{"0.0.0.0/0"}, false))
	office := nftTestTunnel(t, "office", Settings{Routes: prefixes("0.0.0.0/0"), Table: "1234", KillSwitch: true,
		Endpoints: v4.Endpoints[:1]})
	for name, tunnels := range map[string][]nftTunnel{
		"dual stack lan": {home},
		"ipv4 only":      {v4},
		"two tunnels":    {home, office},
	} {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			if err := b.replace(nftTableName, nftRuleset(tunnels, nftTestLAN)); err != nil {
				t.Fatalf("replace: %v", err)
			}
			viaNetlink := ns.nftList(t, nftTableName)
			exprsNetlink := nftGetExprs(t, b, nftTableName)
			if err := b.replace(nftTableName, nil); err != nil {
				t.Fatalf("delete: %v", err)
			}
			if got := ns.nftList(t, nftTableName); got != "" {
				t.Fatalf("table left after delete:\n%s", got)
			}
			script := nftScript(nftTableName, tunnels, nftTestLAN)
			cmd := exec.Command("ip", "netns", "exec", ns.name, "nft", "-f", "-")
			cmd.Stdin = strings.NewReader(script)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("nft -f: %v: %s\n%s", err, out, script)
			}
			viaNft := ns.nftList(t, nftTableName)
			if exprsNft := nftGetExprs(t, b, nftTableName); !reflect.DeepEqual(exprsNft, exprsNetlink) {
				t.Errorf("the expressions differ (- nft -f, + netlink):\n%s", goldenfile.Diff(strings.Join(exprsNft, "\n"), strings.Join(exprsNetlink, "\n")))
			}
			if d := goldenfile.Diff(viaNft, viaNetlink); d != "" {
				t.Errorf("the netlink table differs from the script's (- nft -f, + netlink):\n%s", d)
			}
			if !strings.Contains(viaNetlink, "policy drop") || strings.Count(viaNetlink, "accept") < 20 {
				t.Errorf("implausible table:\n%s", viaNetlink)
			}
			if err := b.replace(nftTableName, nil); err != nil {
				t.Fatalf("delete: %v", err)
			}
		})
	}
}

// nftGetExprs reads the table's rules back through netlink, as text of
// their expressions, chain by chain.
func nftGetExprs(t *testing.T, b nftNetlink, table string) []string {
	t.Helper()
	c, err := b.conn()
	if err != nil {
		t.Fatal(err)
	}
	tab := &nftables.Table{Name: table, Family: nftables.TableFamilyINet}
	var out []string
	for _, ch := range nftChains {
		rules, err := c.GetRules(tab, &nftables.Chain{Name: string(ch), Table: tab})
		if err != nil {
			t.Fatalf("get rules of %s: %v", ch, err)
		}
		for _, r := range rules {
			var es []string
			for _, e := range r.Exprs {
				es = append(es, fmt.Sprintf("%T%+v", e, e))
			}
			out = append(out, string(ch)+": "+strings.Join(es, " "))
		}
	}
	return out
}
