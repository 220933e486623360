package platform

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestLinuxJournalNotRewrittenWhenUnchanged: applying what is in force
// again leaves the journal file as it is (no write, no fsync: a mark put
// on the file stays), while a change rewrites it with the new entry, and
// after a removal the next up writes it afresh.
func TestLinuxJournalNotRewrittenWhenUnchanged(t *testing.T) {
	f := newLinuxFixture(t)
	path := filepath.Join(f.stateDir, "platform", tunName+".json")
	// The mark: a mode the journal never writes (a new file is 0600).
	mark := func() {
		t.Helper()
		if err := os.Chmod(path, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	marked := func() bool {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatalf("journal: %v", err)
		}
		return fi.Mode().Perm() == 0o640
	}
	onDisk := func() *journalEntry {
		t.Helper()
		entries, err := f.net.journal.load()
		if err != nil || len(entries) != 1 {
			t.Fatalf("journal: %v, %d entries", err, len(entries))
		}
		return entries[0]
	}
	split := splitSettings()
	split.DNS, split.DNSSearch = nil, nil // a DNS change writes its own records
	f.apply(t, split)
	mark()
	f.apply(t, split)
	if !marked() {
		t.Error("applying the same settings again rewrote the journal")
	}
	p, _ := NewPlan(tunName, split)
	if e := onDisk(); !slices.Equal(e.Routes, p.Routes) || !slices.Equal(e.Addresses, p.Addresses) {
		t.Errorf("journal holds %v %v, want %v %v", e.Addresses, e.Routes, p.Addresses, p.Routes)
	}

	full := fullSettings()
	full.DNS, full.DNSSearch = nil, nil
	f.apply(t, full)
	if marked() {
		t.Error("a change of settings did not rewrite the journal")
	}
	pf, _ := NewPlan(tunName, full)
	if e := onDisk(); !slices.Equal(e.Routes, pf.Routes) || !slices.Equal(e.Rules, pf.Rules) {
		t.Errorf("after the change the journal holds %v %v, want %v %v", e.Routes, e.Rules, pf.Routes, pf.Rules)
	}

	f.apply(t, Settings{})
	f.wantJournalEmpty(t)
	f.apply(t, split)
	if e := onDisk(); !slices.Equal(e.Routes, p.Routes) {
		t.Errorf("up after a removal: journal holds %v, want %v", e.Routes, p.Routes)
	}
	f.apply(t, Settings{})
	f.wantJournalEmpty(t)
}
