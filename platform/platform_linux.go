package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
)

// New returns the Linux implementation: netlink for addresses, routes,
// rules and the link, and a DNS mode chosen at first use (systemd-resolved,
// resolvconf or the resolv.conf file itself).
func New(opts Options) (Network, error) {
	h, err := netlink.NewHandle()
	if err != nil {
		return nil, fmt.Errorf("open netlink: %w", err)
	}
	nft, nftErr := newNftSeams(opts.Logger)
	return newLinux(opts, linuxSeams{nl: h, nft: nft, nftErr: nftErr})
}

// linuxSeams are the side effects tests replace: the netlink handle (tests
// pass one opened inside a network namespace), sysctl writes, commands and
// the systemd-resolved connection.
type linuxSeams struct {
	nl       *netlink.Handle
	sysctl   func(name, value string) error
	run      commandRunner
	lookPath func(string) (string, error)
	resolved func() (resolvedAPI, error)
	// linkByIndex finds a link (nl.LinkByIndex unless a test sets it).
	linkByIndex func(int) (netlink.Link, error)
	// bootID returns the kernel's boot_id, which changes at every boot.
	bootID func() (string, error)
	// renameOver replaces a file by renaming; tests make it fail as it
	// does on a bind-mounted /etc/resolv.conf.
	renameOver func(from, to string) error
	// nft puts the kill switch's nftables table in place; nil when
	// nftables is not available, for the reason nftErr. nftTable names
	// the table ("" is wgdesk) and watchLAN watches the subnets for
	// Allow LAN (see firewall_linux.go).
	nft      nftBackend
	nftErr   error
	nftTable string
	watchLAN func(ctx context.Context, changed func()) error
}

type linuxNetwork struct {
	opts    Options
	seams   linuxSeams
	journal journal

	mu    sync.Mutex // serialises all changes and guards the fields below
	owned map[string]*journalEntry
	// wantRules are the rules each interface's settings need, whether or
	// not it owns them (see removeRulesLocked).
	wantRules map[string][]Rule
	dnsMode   string // chosen at first use
	bootID    string // this boot's, recorded in the journal
	fw        *linuxFirewall
	// resolvUnsaved is set while the direct mode's owner record on disk
	// is older than the one in memory (see resolvowner_linux.go).
	resolvUnsaved *unsavedOwner
	// journaled is, per interface, the encoding of the entry this process
	// last wrote to the journal (see writeJournalLocked).
	journaled map[string][]byte
}

func newLinux(opts Options, s linuxSeams) (*linuxNetwork, error) {
	if opts.ResolvConf == "" {
		opts.ResolvConf = "/etc/resolv.conf"
	}
	if s.sysctl == nil {
		s.sysctl = writeProcSys
	}
	if s.run == nil {
		s.run = execRunner
	}
	if s.lookPath == nil {
		s.lookPath = execLookPath
	}
	if s.resolved == nil {
		s.resolved = dialResolved
	}
	if s.linkByIndex == nil && s.nl != nil {
		s.linkByIndex = s.nl.LinkByIndex
	}
	if s.bootID == nil {
		s.bootID = readBootID
	}
	if s.renameOver == nil {
		s.renameOver = os.Rename
	}
	boot, err := s.bootID()
	if err != nil {
		// Without it every journal counts as this boot's, as before
		// boot IDs were recorded.
		opts.Logger.Error("platform: read boot id: %v", err)
	}
	return &linuxNetwork{
		bootID:    boot,
		opts:      opts,
		seams:     s,
		journal:   newJournal(opts.StateDir),
		owned:     map[string]*journalEntry{},
		wantRules: map[string][]Rule{},
		journaled: map[string][]byte{},
		fw:        newLinuxFirewall(s),
	}, nil
}

func (n *linuxNetwork) logf(format string, args ...any) {
	n.opts.Logger.Verbose("platform: "+format, args...)
}

func (n *linuxNetwork) errorf(format string, args ...any) {
	n.opts.Logger.Error("platform: "+format, args...)
}

// Apply implements Network.
func (n *linuxNetwork) Apply(ctx context.Context, ifname string, s Settings) error {
	p, err := NewPlan(ifname, s)
	if err != nil {
		return fmt.Errorf("plan %s: %w", ifname, err)
	}
	if _, err := n.journal.path(ifname); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	prev := n.owned[ifname]
	if prev == nil {
		prev = &journalEntry{Interface: ifname}
	}
	// The kill switch comes before everything else and goes after it.
	fw := n.firewallTunnel(ifname, s, p)
	if err := n.firewallOnLocked(prev, fw); err != nil {
		n.owned[ifname] = prev
		return err
	}
	cur, err := n.applyLocked(ctx, prev, p)
	if fw == nil && (err == nil || !p.Up) {
		// Taking a tunnel down opens the network even when something
		// else of it could not be undone: the user asked for it back.
		err = errors.Join(err, n.firewallOffLocked(ifname, cur))
	}
	if cur.isEmpty() {
		delete(n.owned, ifname)
	} else {
		n.owned[ifname] = cur
	}
	if p.Up {
		n.wantRules[ifname] = p.Rules
	} else {
		delete(n.wantRules, ifname)
	}
	return err
}

// applyLocked moves interface state from what prev owns to plan p and
// returns what is owned afterwards (on error: everything that may exist).
func (n *linuxNetwork) applyLocked(ctx context.Context, prev *journalEntry, p Plan) (*journalEntry, error) {
	ifname := p.Interface
	// Record the union first: a crash from here on leaves a journal that
	// names everything that might exist.
	intent := prev.union(p)
	// Rules are the exception: another tool (wg-quick) may have made the
	// same ones, so they are recorded one at a time by addRules, only
	// when they are added.
	intent.Rules = slices.Clone(prev.Rules)
	intent.BootID = n.bootID
	// Undoing adds nothing the journal on disk does not already name, so
	// a journal that cannot be written (a read-only or full state
	// directory) does not stop it: the old journal stays for the next
	// start, which undoes again what is already gone, harmlessly.
	undo := !p.Up
	if err := n.saveJournalLocked(intent, undo); err != nil {
		return prev, fmt.Errorf("journal %s: %w", ifname, err)
	}

	var link netlink.Link
	if l, err := n.seams.nl.LinkByName(ifname); err == nil {
		link = l
	} else if !isNotFound(err) || p.Up {
		return intent, fmt.Errorf("find interface %s: %w", ifname, err)
	}

	if err := ctx.Err(); err != nil {
		return intent, err
	}

	// DNS goes first on the way down and last on the way up.
	dnsRec := prev.DNS
	if p.DNS.IsZero() {
		if err := n.removeDNS(ctx, ifname, dnsRec); err != nil {
			return intent, fmt.Errorf("remove dns for %s: %w", ifname, err)
		}
		dnsRec = nil
		intent.DNS = nil
	}
	if err := n.removeRulesLocked(ifname, rulesNotIn(prev.Rules, p.Rules), undo); err != nil {
		return intent, fmt.Errorf("remove rules for %s: %w", ifname, err)
	}
	if link != nil {
		if err := n.removeRoutes(link, routesNotIn(prev.Routes, p.Routes)); err != nil {
			return intent, fmt.Errorf("remove routes from %s: %w", ifname, err)
		}
		if err := n.removeAddrs(link, prefixesNotIn(prev.Addresses, p.Addresses)); err != nil {
			return intent, fmt.Errorf("remove addresses from %s: %w", ifname, err)
		}
	}

	var rules []Rule // the rules this interface owns afterwards
	if p.Up {
		if err := n.setLink(link, p); err != nil {
			return intent, fmt.Errorf("set link %s: %w", ifname, err)
		}
		if err := n.addAddrs(link, p.Addresses); err != nil {
			return intent, fmt.Errorf("set addresses on %s: %w", ifname, err)
		}
		if err := n.addRoutes(link, p.Routes); err != nil {
			return intent, fmt.Errorf("set routes on %s: %w", ifname, err)
		}
		if p.SrcValidMark {
			// Not restored on removal, as wg-quick does: other tunnels
			// may rely on it and it is harmless.
			if err := n.seams.sysctl("net/ipv4/conf/all/src_valid_mark", "1"); err != nil {
				return intent, fmt.Errorf("set src_valid_mark for %s: %w", ifname, err)
			}
		}
		owned, err := n.addRules(p.Rules, slices.Clone(prev.Rules), func(owned []Rule) error {
			intent.Rules = owned
			return n.writeJournalLocked(intent)
		})
		if err != nil {
			return intent, fmt.Errorf("set rules for %s: %w", ifname, err)
		}
		rules = owned
		if !p.DNS.IsZero() {
			rec, err := n.setDNS(ctx, link, p, dnsRec, func(r *dnsRecord) error {
				intent.DNS = r
				return n.writeJournalLocked(intent)
			})
			if err != nil {
				return intent, fmt.Errorf("set dns for %s: %w", ifname, err)
			}
			dnsRec = rec
		}
	}

	cur := &journalEntry{Interface: ifname, Addresses: p.Addresses, Routes: p.Routes, Rules: rules, DNS: dnsRec, Firewall: prev.Firewall, BootID: n.bootID}
	if err := n.saveJournalLocked(cur, undo); err != nil {
		return intent, fmt.Errorf("journal %s: %w", ifname, err)
	}
	return cur, nil
}

// saveJournalLocked writes e to the journal. When undo is set the change
// only takes things away from what the journal on disk names, so a failed
// write is logged and the undo goes on with the old journal left in
// place: it names more than exists, which the next start's Recover
// tolerates. n.mu is held.
func (n *linuxNetwork) saveJournalLocked(e *journalEntry, undo bool) error {
	err := n.writeJournalLocked(e)
	if err == nil || !undo {
		return err
	}
	n.errorf("could not update the journal of %s (%v); undoing anyway and leaving the old journal for the next start", e.Interface, err)
	return nil
}

// writeJournalLocked writes e to the journal unless the file already
// holds exactly e because this process wrote it last. Each write costs
// two fsyncs (the file and its directory), 1 to 10 ms each on a busy
// disk, and an up wrote the same entry twice: the intent before the
// changes and, after them, what they left, which is the same unless a
// change failed. The journal is the service's own, so nothing else
// changes it behind our back; a failed write forgets what is on disk.
// n.mu is held.
func (n *linuxNetwork) writeJournalLocked(e *journalEntry) error {
	data, err := json.Marshal(e)
	if err == nil && !e.isEmpty() && bytes.Equal(n.journaled[e.Interface], data) {
		return nil
	}
	if err := n.journal.save(e); err != nil {
		delete(n.journaled, e.Interface)
		return err
	}
	if data == nil || e.isEmpty() {
		delete(n.journaled, e.Interface)
	} else {
		n.journaled[e.Interface] = data
	}
	return nil
}

// Recover implements Network.
func (n *linuxNetwork) Recover(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	entries, err := n.journal.load()
	if err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	var errs []error
	for _, e := range entries {
		n.logf("recovering %s from an earlier run: %d addresses, %d routes, %d rules, dns %v",
			e.Interface, len(e.Addresses), len(e.Routes), len(e.Rules), e.DNS != nil)
		stale := e.BootID != "" && n.bootID != "" && e.BootID != n.bootID
		if stale {
			e = n.staleEntry(e)
		}
		cur, err := n.applyLocked(ctx, e, Plan{Interface: e.Interface})
		if cur.Firewall {
			// The kill switch of the crashed run kept the network
			// closed until now. It goes even when something else
			// could not be undone: no tunnel is up to use.
			n.logf("removing the kill switch of %s from an earlier run", e.Interface)
			err = errors.Join(err, n.firewallOffLocked(e.Interface, cur))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("recover %s: %w", e.Interface, err))
			n.owned[e.Interface] = cur
			continue
		}
		delete(n.owned, e.Interface)
		if !stale {
			n.deleteLeftoverLink(e.Interface)
		}
	}
	if err := n.releaseOrphanClaimsLocked(); err != nil {
		errs = append(errs, fmt.Errorf("recover: %w", err))
	}
	return errors.Join(errs...)
}

// staleEntry is what is left to undo of an entry written before the last
// boot: the kernel state it names went with that boot, and a link, rule or
// route that looks the same now is someone else's (wg-quick's, started at
// boot); a link index now names another link. Only DNS kept in files can
// still be wgdesk's: the direct mode's resolv.conf (restored only if it
// still holds what wgdesk wrote) and a resolvconf record.
func (n *linuxNetwork) staleEntry(e *journalEntry) *journalEntry {
	n.logf("the journal of %s is from an earlier boot: leaving addresses, routes, rules and links alone", e.Interface)
	out := &journalEntry{Interface: e.Interface, BootID: e.BootID, DNS: e.DNS}
	if e.DNS != nil && e.DNS.Mode == dnsResolved {
		out.DNS = nil
	}
	return out
}

// readBootID returns the kernel's random boot ID.
func readBootID() (string, error) {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b)), err
}

// deleteLeftoverLink removes a tunnel interface that outlived its service.
// A TUN normally dies with its process; only TUN and WireGuard links are
// deleted so that a damaged journal cannot remove a real uplink.
func (n *linuxNetwork) deleteLeftoverLink(ifname string) {
	l, err := n.seams.nl.LinkByName(ifname)
	if err != nil {
		return
	}
	if t := l.Type(); t != "tuntap" && t != "wireguard" {
		n.logf("leaving interface %s (type %s) in place", ifname, t)
		return
	}
	if err := n.seams.nl.LinkDel(l); err != nil {
		n.errorf("delete leftover interface %s: %v", ifname, err)
		return
	}
	n.logf("deleted leftover interface %s", ifname)
}

// writeProcSys sets a sysctl through /proc/sys, in the network namespace of
// the calling thread.
func writeProcSys(name, value string) error {
	return os.WriteFile(filepath.Join("/proc/sys", name), []byte(value), 0o644)
}
