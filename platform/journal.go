package platform

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// DefaultStateDir is where the journal lives when Options.StateDir is empty.
const DefaultStateDir = "/var/lib/wgdesk"

// journalEntry is what an implementation owns on one interface: everything
// it added and must undo. It is written before each change, so after a
// crash it may name things that were never made; undoing tolerates that.
type journalEntry struct {
	Interface string         `json:"interface"`
	Addresses []netip.Prefix `json:"addresses,omitempty"`
	Routes    []Route        `json:"routes,omitempty"`
	Rules     []Rule         `json:"rules,omitempty"`
	DNS       *dnsRecord     `json:"dns,omitempty"`
	// Firewall: the kill switch of this interface may be in the nftables
	// table (firewall_linux.go), which must go when no tunnel needs it.
	Firewall bool `json:"firewall,omitempty"`
	// BootID is the kernel's boot_id when the entry was written: an entry
	// from an earlier boot names addresses, routes, rules and links that
	// went with it. Empty in journals of earlier versions.
	BootID string `json:"boot_id,omitempty"`
}

// dnsRecord says how DNS was changed for an interface and how to undo it.
type dnsRecord struct {
	Mode string `json:"mode"` // "direct", "resolvconf" or "resolved"
	// Direct mode: the file and its original state, restored byte for byte.
	Path     string `json:"path,omitempty"`
	Existed  bool   `json:"existed,omitempty"`
	Original []byte `json:"original,omitempty"`
	Symlink  string `json:"symlink,omitempty"` // the file was this symlink
	// Shared: direct mode with one owner record for every tunnel; the
	// fields above are empty, and set only in journals of earlier versions.
	Shared bool `json:"shared,omitempty"`
	// Resolvconf mode: the record name given to resolvconf -a.
	Record string `json:"record,omitempty"`
	// Resolved mode: the link index given to systemd-resolved.
	IfIndex int `json:"ifindex,omitempty"`
}

func (e *journalEntry) isEmpty() bool {
	return e == nil || (len(e.Addresses) == 0 && len(e.Routes) == 0 && len(e.Rules) == 0 && e.DNS == nil && !e.Firewall)
}

// union returns an entry owning everything in e and in p, the journal
// state to write before moving from e to p.
func (e *journalEntry) union(p Plan) *journalEntry {
	u := &journalEntry{Interface: p.Interface, DNS: e.DNS, Firewall: e.Firewall}
	u.Addresses = appendMissing(slices.Clone(e.Addresses), p.Addresses)
	u.Routes = appendMissing(slices.Clone(e.Routes), p.Routes)
	u.Rules = appendMissing(slices.Clone(e.Rules), p.Rules)
	return u
}

// appendMissing appends to dst the elements of src it lacks, in src's
// order. It looks them up in a set: a full-tunnel-like list of 10,000
// routes took 50 million comparisons (about 150 ms) with slices.Contains.
func appendMissing[T comparable](dst, src []T) []T {
	have := make(map[T]struct{}, len(dst)+len(src))
	for _, v := range dst {
		have[v] = struct{}{}
	}
	for _, v := range src {
		if _, ok := have[v]; !ok {
			have[v] = struct{}{}
			dst = append(dst, v)
		}
	}
	return dst
}

// journal stores one JSON file per interface in a directory.
type journal struct {
	dir string
}

func newJournal(stateDir string) journal {
	if stateDir == "" {
		stateDir = DefaultStateDir
	}
	return journal{dir: filepath.Join(stateDir, "platform")}
}

func (j journal) path(ifname string) (string, error) {
	if ifname == "" || ifname == "." || ifname == ".." || strings.ContainsAny(ifname, "/\\\x00") {
		return "", fmt.Errorf("invalid interface name %q", ifname)
	}
	return filepath.Join(j.dir, ifname+".json"), nil
}

// journalRecord is one back end's journal entry for one interface: the
// Linux journalEntry, or the macOS and Windows ones, which record more.
type journalRecord interface {
	ifname() string
	isEmpty() bool
}

func (e *journalEntry) ifname() string { return e.Interface }

// saveRecord writes e atomically (temporary file, fsync, rename, mode
// 0600), or deletes its file when e is empty.
func (j journal) saveRecord(e journalRecord) error {
	p, err := j.path(e.ifname())
	if err != nil {
		return err
	}
	if e.isEmpty() {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove journal %s: %w", p, err)
		}
		return nil
	}
	data, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return fmt.Errorf("encode journal for %s: %w", e.ifname(), err)
	}
	if err := os.MkdirAll(j.dir, 0o700); err != nil {
		return fmt.Errorf("create journal directory: %w", err)
	}
	if err := WriteFileAtomic(p, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	return nil
}

// loadRecords returns every entry left in j's directory, decoded as the
// back end's record type.
func loadRecords[T any, P interface {
	*T
	journalRecord
}](j journal) ([]P, error) {
	files, err := filepath.Glob(filepath.Join(j.dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("list journal: %w", err)
	}
	var out []P
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read journal: %w", err)
		}
		e := P(new(T))
		if err := json.Unmarshal(data, e); err != nil {
			return nil, fmt.Errorf("decode journal %s: %w", f, err)
		}
		if want := strings.TrimSuffix(filepath.Base(f), ".json"); e.ifname() != want {
			return nil, fmt.Errorf("journal %s names interface %q", f, e.ifname())
		}
		out = append(out, e)
	}
	return out, nil
}

// save writes the Linux entry e (see saveRecord).
func (j journal) save(e *journalEntry) error { return j.saveRecord(e) }

// load returns every Linux journal entry left in the directory.
func (j journal) load() ([]*journalEntry, error) { return loadRecords[journalEntry](j) }

// notIn returns the elements of have that want lacks, in have's order.
// want is looked up in a set, as in appendMissing: a tunnel's options
// change re-applies all its routes.
func notIn[T comparable](have, want []T) []T {
	if len(have) == 0 {
		return nil
	}
	set := make(map[T]struct{}, len(want))
	for _, v := range want {
		set[v] = struct{}{}
	}
	var out []T
	for _, v := range have {
		if _, ok := set[v]; !ok {
			out = append(out, v)
		}
	}
	return out
}

func rulesNotIn(have, want []Rule) []Rule                    { return notIn(have, want) }
func routesNotIn(have, want []Route) []Route                 { return notIn(have, want) }
func prefixesNotIn(have, want []netip.Prefix) []netip.Prefix { return notIn(have, want) }
