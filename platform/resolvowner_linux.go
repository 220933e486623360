package platform

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// In the direct DNS mode every tunnel with DNS shares the one resolv.conf.
// One owner record, kept beside the journal, stands for all of them: the
// file as it was before the first tunnel (one snapshot), the DNS of every
// tunnel that claims the file (so that the content is a function of the
// record alone and a fresh Network can rewrite it after a crash), and the
// SHA-256 of what wgdesk last wrote. The file is written with the merged
// content of every claim, in the order of the interface names, and restored
// when the last claim goes, but only if it still holds what wgdesk wrote:
// a file another program (NetworkManager, a DHCP client, a reboot) wrote
// in the meantime is newer than the snapshot and is left alone.

// resolvOwnerFile is the owner record's name in the journal directory. It
// does not end in .json, so the per-interface journal never reads it.
const resolvOwnerFile = "resolv-owner.state"

// fileSnapshot is a file's state, restored byte for byte.
type fileSnapshot struct {
	Existed  bool   `json:"existed,omitempty"`
	Original []byte `json:"original,omitempty"`
	Symlink  string `json:"symlink,omitempty"` // the file was this symlink
}

// resolvOwner is the owner record of the direct mode's file.
type resolvOwner struct {
	Path string `json:"path"`
	fileSnapshot
	// Written holds the SHA-256 (hex) of the content wgdesk last wrote;
	// while a write is under way, also of the content before it, so that
	// a crash at any point leaves a record that recognises the file.
	Written []string `json:"written,omitempty"`
	// Tunnels are the claims on the file, by interface name.
	Tunnels map[string]resolvClaim `json:"tunnels"`
}

// resolvClaim is one tunnel's part of the file.
type resolvClaim struct {
	Servers []netip.Addr `json:"servers,omitempty"`
	Search  []string     `json:"search,omitempty"`
}

func (n *linuxNetwork) resolvOwnerPath() string {
	return filepath.Join(n.journal.dir, resolvOwnerFile)
}

// unsavedOwner is the owner record as an undo left it when the record on
// disk could not be rewritten (a read-only or full state directory); o is
// nil when no claim is left. The record on disk then names more claims
// and recognises the file, so a crash leaves something Recover can undo.
type unsavedOwner struct {
	o *resolvOwner
}

// loadResolvOwnerLocked returns the owner record, or nil when no tunnel
// claims the file.
func (n *linuxNetwork) loadResolvOwnerLocked() (*resolvOwner, error) {
	if u := n.resolvUnsaved; u != nil {
		return u.o.clone(), nil
	}
	data, err := os.ReadFile(n.resolvOwnerPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read resolv.conf owner record: %w", err)
	}
	o := &resolvOwner{}
	if err := json.Unmarshal(data, o); err != nil {
		return nil, fmt.Errorf("decode resolv.conf owner record %s: %w", n.resolvOwnerPath(), err)
	}
	if o.Tunnels == nil {
		o.Tunnels = map[string]resolvClaim{}
	}
	return o, nil
}

// clone returns a copy of o that shares nothing mutable with it.
func (o *resolvOwner) clone() *resolvOwner {
	if o == nil {
		return nil
	}
	c := *o
	c.Tunnels = maps.Clone(o.Tunnels)
	c.Written = slices.Clone(o.Written)
	return &c
}

// saveResolvOwnerLocked writes o (see writeResolvOwnerLocked). When undo is
// set, o only drops claims, and a record that cannot be written is kept in
// memory instead, with the old one left on disk for the next start: the
// undo goes on. The caller must not then write a file content the record
// on disk does not recognise.
func (n *linuxNetwork) saveResolvOwnerLocked(o *resolvOwner, undo bool) error {
	err := n.writeResolvOwnerLocked(o)
	switch {
	case err == nil:
		n.resolvUnsaved = nil
	case undo:
		n.errorf("could not update the resolv.conf owner record (%v); going on and leaving the old record for the next start", err)
		u := &unsavedOwner{}
		if len(o.Tunnels) > 0 {
			u.o = o.clone()
		}
		n.resolvUnsaved = u
		err = nil
	}
	return err
}

// writeResolvOwnerLocked writes o atomically, or removes the record when o
// has no claims left.
func (n *linuxNetwork) writeResolvOwnerLocked(o *resolvOwner) error {
	p := n.resolvOwnerPath()
	if len(o.Tunnels) == 0 {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove resolv.conf owner record: %w", err)
		}
		return nil
	}
	data, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return fmt.Errorf("encode resolv.conf owner record: %w", err)
	}
	if err := os.MkdirAll(n.journal.dir, 0o700); err != nil {
		return fmt.Errorf("create journal directory: %w", err)
	}
	if err := WriteFileAtomic(p, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("write resolv.conf owner record: %w", err)
	}
	return nil
}

// claimResolvConfLocked adds or updates ifname's claim and writes the
// merged file.
func (n *linuxNetwork) claimResolvConfLocked(ifname string, d DNSPlan) error {
	o, err := n.loadResolvOwnerLocked()
	if err != nil {
		return err
	}
	if o == nil {
		o = &resolvOwner{Path: n.opts.ResolvConf, Tunnels: map[string]resolvClaim{}}
	}
	if o.Path != n.opts.ResolvConf {
		return fmt.Errorf("%s is claimed by tunnels %s of an earlier run; recover first", o.Path, strings.Join(o.names(), ", "))
	}
	o.Tunnels[ifname] = resolvClaim{Servers: d.Servers, Search: d.Search}
	return n.syncResolvConfLocked(o, false)
}

// releaseResolvConfLocked drops ifname's claim: the file is written again
// for the remaining claims, or restored when none remain. rec is the
// interface's journal record.
func (n *linuxNetwork) releaseResolvConfLocked(ifname string, rec *dnsRecord) error {
	o, err := n.loadResolvOwnerLocked()
	if err != nil {
		return err
	}
	if o == nil {
		if rec.Shared {
			return nil // the last claim went before a crash
		}
		return n.restoreLegacyLocked(ifname, rec)
	}
	if _, ok := o.Tunnels[ifname]; !ok {
		return nil // released before a crash; the record is the others'
	}
	delete(o.Tunnels, ifname)
	return n.syncResolvConfLocked(o, true)
}

// syncResolvConfLocked makes the file match o: the merged content of its
// claims, or the snapshot when there are none, and saves o. undo says that
// o only dropped claims: the file is restored (or left as it is) even when
// the record cannot be saved (see saveResolvOwnerLocked).
func (n *linuxNetwork) syncResolvConfLocked(o *resolvOwner, undo bool) error {
	cur, err := snapshotFile(o.Path)
	if err != nil {
		return err
	}
	ours := cur.Existed && cur.Symlink == "" && slices.Contains(o.Written, digest(cur.Original))
	unchanged := len(o.Written) == 0 || ours || cur.equal(o.fileSnapshot)

	if len(o.Tunnels) == 0 {
		switch {
		case ours:
			if err := n.restoreFile(o.Path, o.fileSnapshot); err != nil {
				return err
			}
			n.logf("restored %s", o.Path)
		case !cur.equal(o.fileSnapshot):
			n.logf("%s was rewritten by another program while wgdesk's tunnels were up; leaving it as it is", o.Path)
		}
		return n.saveResolvOwnerLocked(o, undo)
	}

	before := o.clone()
	if !ours {
		// The first claim, or the file was rewritten outside: what is
		// there now is what the last tunnel's down puts back.
		if !unchanged {
			n.logf("%s was rewritten by another program while wgdesk's tunnels were up; restoring that version when they go down", o.Path)
		}
		o.fileSnapshot = cur
	}
	data := o.render()
	sum := digest(data)
	if ours && digest(cur.Original) == sum {
		o.Written = []string{sum}
		return n.saveResolvOwnerLocked(o, undo)
	}
	o.Written = []string{sum}
	if ours {
		o.Written = append(o.Written, digest(cur.Original))
	}
	if err := n.saveResolvOwnerLocked(o, false); err != nil {
		if !undo {
			return err
		}
		// The record on disk would not recognise the new content: the
		// file keeps the released servers beside the others' until the
		// last claim goes and it is restored.
		n.errorf("could not update the resolv.conf owner record (%v); leaving %s as it is until the other tunnels go down", err, o.Path)
		before.Tunnels = o.Tunnels
		n.resolvUnsaved = &unsavedOwner{o: before}
		return nil
	}
	if err := n.writeResolvConf(o.Path, data); err != nil {
		return err
	}
	o.Written = o.Written[:1]
	return n.saveResolvOwnerLocked(o, undo)
}

func (o *resolvOwner) names() []string {
	names := make([]string, 0, len(o.Tunnels))
	for name := range o.Tunnels {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// render returns the merged file: every claim's servers and search
// domains, in the order of the interface names, without repeats. The C
// library uses the first three nameservers only (MAXNS in resolv.h), so the
// first tunnel by name wins when more are up.
func (o *resolvOwner) render() []byte {
	names := o.names()
	var servers []netip.Addr
	var search []string
	for _, name := range names {
		for _, s := range o.Tunnels[name].Servers {
			if !slices.Contains(servers, s) {
				servers = append(servers, s)
			}
		}
		for _, s := range o.Tunnels[name].Search {
			if !slices.Contains(search, s) {
				search = append(search, s)
			}
		}
	}
	var b bytes.Buffer
	if len(names) == 1 {
		fmt.Fprintf(&b, "# Written by wgdesk for tunnel interface %s.\n# The original file is restored when the tunnel goes down.\n", names[0])
	} else {
		fmt.Fprintf(&b, "# Written by wgdesk for tunnel interfaces %s.\n# The original file is restored when the last of them goes down.\n", strings.Join(names, ", "))
	}
	for _, s := range servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if len(search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(search, " "))
	}
	return b.Bytes()
}

func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func (s fileSnapshot) equal(o fileSnapshot) bool {
	return s.Existed == o.Existed && s.Symlink == o.Symlink && bytes.Equal(s.Original, o.Original)
}

// legacyHeader starts the file an earlier wgdesk wrote, which kept one
// snapshot per interface and no owner record.
const legacyHeader = "# Written by wgdesk for tunnel interface "

// restoreLegacyLocked undoes a journal record of an earlier wgdesk: its
// snapshot is put back only if the file is still one wgdesk wrote and the
// snapshot is not (with two tunnels, the second one's snapshot was the
// first one's file).
func (n *linuxNetwork) restoreLegacyLocked(ifname string, rec *dnsRecord) error {
	snap := fileSnapshot{Existed: rec.Existed, Original: rec.Original, Symlink: rec.Symlink}
	if rec.Path == "" || bytes.HasPrefix(snap.Original, []byte(legacyHeader)) {
		return nil
	}
	cur, err := snapshotFile(rec.Path)
	if err != nil {
		return err
	}
	if !cur.Existed || cur.Symlink != "" || !bytes.HasPrefix(cur.Original, []byte(legacyHeader)) {
		if !cur.equal(snap) {
			n.logf("%s is not wgdesk's any more; leaving it as it is (journal of %s)", rec.Path, ifname)
		}
		return nil
	}
	return n.restoreFile(rec.Path, snap)
}

// releaseOrphanClaimsLocked drops the claims of interfaces that Recover
// found no journal for (a crash between the owner record and an interface's
// journal), so that the file is restored once the last tunnel of the
// earlier run is undone. Claims of interfaces whose recovery failed stay.
func (n *linuxNetwork) releaseOrphanClaimsLocked() error {
	o, err := n.loadResolvOwnerLocked()
	if err != nil || o == nil {
		return err
	}
	changed := false
	for name := range o.Tunnels {
		if n.owned[name] == nil {
			n.logf("dropping the claim of %s on %s, left from an earlier run", name, o.Path)
			delete(o.Tunnels, name)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return n.syncResolvConfLocked(o, true)
}
