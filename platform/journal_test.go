package platform

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
)

func TestJournalRoundTrip(t *testing.T) {
	j := newJournal(t.TempDir())
	e := &journalEntry{
		Interface: "wg0",
		Addresses: prefixes("10.0.0.2/32"),
		Routes:    []Route{{Prefix: netip.MustParsePrefix("0.0.0.0/0"), Table: 51820}},
		Rules:     []Rule{{Family: 4, Priority: 32764, Table: MainTable, SuppressPrefixlen: 0}},
		DNS:       &dnsRecord{Mode: "direct", Path: "/etc/resolv.conf", Existed: true, Original: []byte("nameserver 192.0.2.1\n\x00odd")},
	}
	if err := j.save(e); err != nil {
		t.Fatal(err)
	}
	p, _ := j.path("wg0")
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	// Mode bits exist on Unix only: Windows reports rw-rw-rw- for every
	// writable file. There the journal is private because the state
	// directory's DACL is (cli's prepareStateDir, tested on Windows by
	// TestPrepareStateDirRestrictsAccess).
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("journal mode %v, want 0600", st.Mode().Perm())
	}
	got, err := j.load()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], e) {
		t.Fatalf("loaded %+v, want %+v", got, e)
	}
	// Saving an empty entry removes the file; loading nothing is fine.
	if err := j.save(&journalEntry{Interface: "wg0"}); err != nil {
		t.Fatal(err)
	}
	if got, err := j.load(); err != nil || len(got) != 0 {
		t.Fatalf("after clearing: %v, %v", got, err)
	}
	left, _ := filepath.Glob(filepath.Join(j.dir, "*"))
	if len(left) != 0 {
		t.Errorf("files left in journal directory: %v", left)
	}
}

func TestJournalRejectsBadNames(t *testing.T) {
	j := newJournal(t.TempDir())
	for _, name := range []string{"", "..", "a/b"} {
		if err := j.save(&journalEntry{Interface: name, Addresses: prefixes("10.0.0.1/32")}); err == nil {
			t.Errorf("interface %q accepted", name)
		}
	}
}
