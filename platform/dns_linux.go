package platform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
)

// DNS modes on Linux.
const (
	dnsResolved   = "resolved"
	dnsResolvconf = "resolvconf"
	dnsDirect     = "direct"
)

// commandRunner runs a program with stdin and returns its error, with the
// program's output in the error text.
type commandRunner func(ctx context.Context, stdin []byte, name string, args ...string) error

func execRunner(ctx context.Context, stdin []byte, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

func execLookPath(name string) (string, error) { return exec.LookPath(name) }

// resolvedDomain is one entry of SetLinkDomains: a search domain, or a
// routing-only domain ("." for every query) when RoutingOnly is set.
type resolvedDomain struct {
	Domain      string
	RoutingOnly bool
}

// resolvedAPI is the part of systemd-resolved's org.freedesktop.resolve1
// Manager interface we use.
type resolvedAPI interface {
	SetLinkDNS(ctx context.Context, ifindex int, servers []netip.Addr) error
	SetLinkDomains(ctx context.Context, ifindex int, domains []resolvedDomain) error
	SetLinkDefaultRoute(ctx context.Context, ifindex int, enable bool) error
	RevertLink(ctx context.Context, ifindex int) error
	Close() error
}

// dnsModeLocked returns the DNS mode, choosing it at first use and logging
// the reason.
func (n *linuxNetwork) dnsModeLocked() string {
	if n.dnsMode == "" {
		mode, reason := n.chooseDNSMode()
		n.logf("dns mode %s: %s", mode, reason)
		n.dnsMode = mode
	}
	return n.dnsMode
}

func (n *linuxNetwork) chooseDNSMode() (mode, reason string) {
	switch m := n.opts.DNSMode; m {
	case dnsResolved, dnsResolvconf, dnsDirect:
		return m, "forced by options"
	case "":
	default:
		n.errorf("unknown dns mode %q in options; choosing one", m)
	}
	var why []string
	target, err := os.Readlink(n.opts.ResolvConf)
	if err == nil && strings.Contains(target, "systemd/resolve/") {
		api, err := n.seams.resolved()
		if err == nil {
			api.Close()
			return dnsResolved, fmt.Sprintf("%s links to %s and systemd-resolved answers on d-bus", n.opts.ResolvConf, target)
		}
		why = append(why, fmt.Sprintf("%s links to %s but systemd-resolved is unreachable (%v)", n.opts.ResolvConf, target, err))
	} else {
		why = append(why, fmt.Sprintf("%s is not systemd-resolved's stub", n.opts.ResolvConf))
	}
	if p, err := n.seams.lookPath("resolvconf"); err == nil {
		return dnsResolvconf, strings.Join(append(why, "resolvconf found at "+p), "; ")
	}
	why = append(why, "no resolvconf program")
	return dnsDirect, strings.Join(append(why, "editing "+n.opts.ResolvConf), "; ")
}

// setDNS configures p.DNS and returns the record of how to undo it. record
// is called before anything changes, so that the journal holds the record
// before the OS does.
func (n *linuxNetwork) setDNS(ctx context.Context, link netlink.Link, p Plan, prev *dnsRecord, record func(*dnsRecord) error) (*dnsRecord, error) {
	mode := n.dnsModeLocked()
	if prev != nil && (prev.Mode != mode || (mode == dnsDirect && prev.Path != n.opts.ResolvConf)) {
		if err := n.removeDNS(ctx, p.Interface, prev); err != nil {
			return prev, err
		}
		prev = nil
	}
	var rec *dnsRecord
	switch mode {
	case dnsDirect:
		// The file's state lives in the owner record shared by every
		// tunnel (resolvowner_linux.go); this record is the claim.
		rec = &dnsRecord{Mode: mode, Path: n.opts.ResolvConf, Shared: true}
	case dnsResolvconf:
		rec = &dnsRecord{Mode: mode, Record: p.Interface + ".wgdesk"}
	case dnsResolved:
		rec = &dnsRecord{Mode: mode, IfIndex: link.Attrs().Index}
	}
	if err := record(rec); err != nil {
		return prev, fmt.Errorf("journal: %w", err)
	}
	switch mode {
	case dnsDirect:
		return rec, n.claimResolvConfLocked(p.Interface, p.DNS)
	case dnsResolvconf:
		return rec, n.seams.run(ctx, resolvConfText(p), "resolvconf", "-a", rec.Record, "-m", "0", "-x")
	default:
		return rec, n.setResolved(ctx, rec.IfIndex, p.DNS)
	}
}

func (n *linuxNetwork) setResolved(ctx context.Context, ifindex int, d DNSPlan) error {
	api, err := n.seams.resolved()
	if err != nil {
		return err
	}
	defer api.Close()
	if err := api.SetLinkDNS(ctx, ifindex, d.Servers); err != nil {
		return fmt.Errorf("set link dns: %w", err)
	}
	var domains []resolvedDomain
	for _, s := range d.Search {
		domains = append(domains, resolvedDomain{Domain: s})
	}
	if d.RouteAll {
		domains = append(domains, resolvedDomain{Domain: ".", RoutingOnly: true})
	}
	if err := api.SetLinkDomains(ctx, ifindex, domains); err != nil {
		return fmt.Errorf("set link domains: %w", err)
	}
	// A split tunnel with search domains answers only for them; without
	// any it would never be asked unless it is a default route.
	if err := api.SetLinkDefaultRoute(ctx, ifindex, d.RouteAll || len(d.Search) == 0); err != nil {
		return fmt.Errorf("set link default route: %w", err)
	}
	return nil
}

// removeDNS undoes rec; nil means nothing to undo.
func (n *linuxNetwork) removeDNS(ctx context.Context, ifname string, rec *dnsRecord) error {
	if rec == nil {
		return nil
	}
	switch rec.Mode {
	case dnsDirect:
		return n.releaseResolvConfLocked(ifname, rec)
	case dnsResolvconf:
		return n.seams.run(ctx, nil, "resolvconf", "-d", rec.Record, "-f")
	case dnsResolved:
		if !n.isTunnelLink(rec.IfIndex, ifname) {
			return nil
		}
		api, err := n.seams.resolved()
		if err != nil {
			return err
		}
		defer api.Close()
		if err := api.RevertLink(ctx, rec.IfIndex); err != nil && !strings.Contains(err.Error(), "NoSuchLink") {
			return fmt.Errorf("revert link %d: %w", rec.IfIndex, err)
		}
		return nil
	}
	return fmt.Errorf("unknown dns mode %q in journal for %s", rec.Mode, ifname)
}

// isTunnelLink reports whether the link with index ifindex is still the
// tunnel ifname, a TUN of that name. A journal left before a reboot, or
// after the tunnel's TUN went away, may hold an index that now belongs to
// another link (the uplink, with the DNS its DHCP client set); reverting
// that would drop the machine's DNS. A link that is gone needs no revert:
// systemd-resolved forgets the DNS of links that go.
func (n *linuxNetwork) isTunnelLink(ifindex int, ifname string) bool {
	l, err := n.seams.linkByIndex(ifindex)
	if err != nil {
		if isNotFound(err) {
			n.logf("not reverting dns of link %d for %s: the link is gone", ifindex, ifname)
		} else {
			n.errorf("not reverting dns of link %d for %s: %v", ifindex, ifname, err)
		}
		return false
	}
	t, isTun := l.(*netlink.Tuntap)
	// Mode is 0 when the kernel does not report it (older kernels).
	if l.Attrs().Name != ifname || !isTun || (t.Mode != netlink.TUNTAP_MODE_TUN && t.Mode != 0) {
		n.logf("not reverting dns of link %d for %s: it is now %s (type %s), not the tunnel", ifindex, ifname, l.Attrs().Name, l.Type())
		return false
	}
	return true
}

// resolvConfText renders the resolver lines given to resolvconf.
func resolvConfText(p Plan) []byte {
	var b bytes.Buffer
	for _, s := range p.DNS.Servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if len(p.DNS.Search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(p.DNS.Search, " "))
	}
	return b.Bytes()
}

// snapshotFile records a file's state so it can be restored byte for byte.
func snapshotFile(path string) (fileSnapshot, error) {
	var snap fileSnapshot
	st, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return snap, nil
	case err != nil:
		return snap, fmt.Errorf("stat %s: %w", path, err)
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		if snap.Symlink, err = os.Readlink(path); err != nil {
			return snap, fmt.Errorf("read link %s: %w", path, err)
		}
		snap.Existed = true
		return snap, nil
	}
	if snap.Original, err = os.ReadFile(path); err != nil {
		return snap, fmt.Errorf("read %s: %w", path, err)
	}
	snap.Existed = true
	return snap, nil
}

// restoreFile puts back the file at path as snap recorded it.
func (n *linuxNetwork) restoreFile(path string, snap fileSnapshot) error {
	switch {
	case snap.Symlink != "":
		tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".wgdesk-link")
		os.Remove(tmp)
		if err := os.Symlink(snap.Symlink, tmp); err != nil {
			return fmt.Errorf("restore link %s: %w", path, err)
		}
		if err := n.seams.renameOver(tmp, path); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("restore link %s: %w", path, err)
		}
		return nil
	case snap.Existed:
		return n.writeResolvConf(path, snap.Original)
	default:
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", path, err)
		}
		return nil
	}
}

// writeResolvConf replaces path's content. It first tries a temporary file
// and a rename; when /etc/resolv.conf is a bind mount (as `ip netns exec`
// makes it) the rename fails with EBUSY or EXDEV, and it writes in place.
func (n *linuxNetwork) writeResolvConf(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".wgdesk*")
	if err == nil {
		tmp := f.Name()
		err = writeAndSync(f, data)
		if err == nil {
			err = n.seams.renameOver(tmp, path)
		}
		if err == nil {
			return nil
		}
		os.Remove(tmp)
		n.logf("replacing %s failed (%v); writing in place", path, err)
	}
	f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if err := writeAndSync(f, data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func writeAndSync(f *os.File, data []byte) error {
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
