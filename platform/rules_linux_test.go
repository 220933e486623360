package platform

import (
	"context"
	"testing"
)

// These tests need root and a network namespace, as the other namespace
// tests: policy rules that another tool made are not the tunnel's.

// TestLinuxKeepsRulesItDidNotAdd: wg-quick (or a person) made the same
// policy rules a full tunnel needs before the tunnel came up. They are not
// ours, so the tunnel's down must leave them in place; the rules it did
// add go.
func TestLinuxKeepsRulesItDidNotAdd(t *testing.T) {
	f := newLinuxFixture(t)
	p, err := NewPlan(tunName, fullSettings())
	if err != nil {
		t.Fatal(err)
	}
	// wg-quick's rules for IPv4 (not for IPv6).
	var theirs []Rule
	for _, r := range p.Rules {
		if r.Family == 4 {
			theirs = append(theirs, r)
			if err := f.ns.h.RuleAdd(nlRule(r)); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Cleanup(func() {
		for _, r := range theirs {
			f.ns.h.RuleDel(nlRule(r))
		}
	})
	f.apply(t, fullSettings())
	f.wantState(t, fullState...)
	entries, err := newJournal(f.stateDir).load()
	if err != nil || len(entries) != 1 {
		t.Fatalf("journal: %v, %v", entries, err)
	}
	for _, r := range entries[0].Rules {
		if r.Family == 4 {
			t.Errorf("journal claims %s, which existed before", r)
		}
	}
	if len(entries[0].Rules) != 2 {
		t.Errorf("journal holds rules %v, want the two IPv6 ones", entries[0].Rules)
	}

	f.apply(t, Settings{})
	f.wantState(t, "mtu wgt0 1380",
		"rule ipv4 pref 32764 lookup main suppress_prefixlength 0",
		"rule ipv4 pref 32765 not fwmark 51820 lookup 51820",
		"sysctl net.ipv4.conf.all.src_valid_mark=1")
	f.wantJournalEmpty(t)

	// The same after a crash: Recover deletes only what was added.
	f.apply(t, fullSettings())
	f.net = f.newNetwork(t, linuxSeams{})
	if err := f.net.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, r := range theirs {
		if !f.hasRule(t, r) {
			t.Errorf("recover deleted %s, which it did not add", r)
		}
	}
}

// TestLinuxTwoFullTunnelsShareRules: two full tunnels with their own
// fwmarks both need the suppress rule; the first one down must leave it
// for the other, and the last one down removes it.
func TestLinuxTwoFullTunnelsShareRules(t *testing.T) {
	f := newLinuxFixture(t)
	f.addTun(t, tunName2)
	a := fullSettings()
	b := fullSettings()
	b.Addresses = prefixes("10.77.0.2/32")
	b.Routes = prefixes("0.0.0.0/0")
	b.FwMark = 51821
	b.DNS = nil
	b.DNSSearch = nil
	suppress := Rule{Family: 4, Priority: RulePrioritySuppress, Table: MainTable, SuppressPrefixlen: 0}
	f.applyTo(t, tunName, a)
	f.applyTo(t, tunName2, b)
	f.applyTo(t, tunName, Settings{})
	if !f.hasRule(t, suppress) {
		t.Errorf("%s down deleted %s, which %s still needs", tunName, suppress, tunName2)
	}
	// The rule is now the second tunnel's, also after a crash.
	f.net = f.newNetwork(t, linuxSeams{})
	if err := f.net.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.hasRule(t, suppress) {
		t.Errorf("%s left after the last tunnel went", suppress)
	}
	f.wantJournalEmpty(t)
}

func (f *linuxFixture) hasRule(t *testing.T, r Rule) bool {
	t.Helper()
	have, err := f.ns.h.RuleList(nlFamily(r.Family))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range have {
		if ruleMatches(h, r) {
			return true
		}
	}
	return false
}
