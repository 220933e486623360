package platform

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

// These tests drive the DNS modes through their seams; they need no root.

type fakeResolved struct {
	calls  []string
	closed int
}

func (r *fakeResolved) SetLinkDNS(_ context.Context, ifindex int, servers []netip.Addr) error {
	r.calls = append(r.calls, fmt.Sprintf("SetLinkDNS %d %v", ifindex, servers))
	return nil
}

func (r *fakeResolved) SetLinkDomains(_ context.Context, ifindex int, domains []resolvedDomain) error {
	r.calls = append(r.calls, fmt.Sprintf("SetLinkDomains %d %v", ifindex, domains))
	return nil
}

func (r *fakeResolved) SetLinkDefaultRoute(_ context.Context, ifindex int, enable bool) error {
	r.calls = append(r.calls, fmt.Sprintf("SetLinkDefaultRoute %d %v", ifindex, enable))
	return nil
}

func (r *fakeResolved) RevertLink(_ context.Context, ifindex int) error {
	r.calls = append(r.calls, fmt.Sprintf("RevertLink %d", ifindex))
	return nil
}

func (r *fakeResolved) Close() error { r.closed++; return nil }

func dnsPlan(t *testing.T, full bool) Plan {
	s := Settings{
		Addresses: prefixes("10.0.0.2/32"),
		Routes:    prefixes("10.0.0.0/24"),
		DNS:       []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fd00::1")},
		DNSSearch: []string{"home.lan", "corp.example"},
	}
	if full {
		s.Routes = prefixes("0.0.0.0/0")
	}
	p, err := NewPlan("wg0", s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var testLink = &netlink.Tuntap{LinkAttrs: netlink.LinkAttrs{Name: "wg0", Index: 7}, Mode: netlink.TUNTAP_MODE_TUN}

func TestDNSResolved(t *testing.T) {
	api := &fakeResolved{}
	var logs []string
	n, _ := newLinux(Options{
		StateDir: t.TempDir(),
		DNSMode:  "resolved",
		Logger:   Logger{Verbosef: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }},
	}, linuxSeams{
		resolved:    func() (resolvedAPI, error) { return api, nil },
		linkByIndex: func(int) (netlink.Link, error) { return testLink, nil },
	})
	ctx := context.Background()
	var journaled *dnsRecord
	rec, err := n.setDNS(ctx, testLink, dnsPlan(t, true), nil, func(r *dnsRecord) error {
		journaled = r
		if len(api.calls) != 0 {
			t.Error("resolved called before the journal was written")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if journaled != rec || rec.Mode != "resolved" || rec.IfIndex != 7 {
		t.Errorf("record %+v, journaled %+v", rec, journaled)
	}
	if err := n.removeDNS(ctx, "wg0", rec); err != nil {
		t.Fatal(err)
	}
	want := "SetLinkDNS 7 [10.0.0.1 fd00::1]\n" +
		"SetLinkDomains 7 [{home.lan false} {corp.example false} {. true}]\n" +
		"SetLinkDefaultRoute 7 true\n" +
		"RevertLink 7"
	if got := strings.Join(api.calls, "\n"); got != want {
		t.Errorf("calls:\n%s\nwant:\n%s", got, want)
	}
	if api.closed != 2 {
		t.Errorf("connections closed %d times, want 2", api.closed)
	}
	if !strings.Contains(strings.Join(logs, "\n"), "dns mode resolved: forced by options") {
		t.Errorf("mode not logged: %v", logs)
	}

	// A split tunnel with search domains is not the default DNS route.
	api.calls = nil
	if _, err := n.setDNS(ctx, testLink, dnsPlan(t, false), nil, func(*dnsRecord) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(api.calls, "\n"); !strings.Contains(got, "SetLinkDefaultRoute 7 false") || strings.Contains(got, "{. true}") {
		t.Errorf("split tunnel calls:\n%s", got)
	}
}

func TestDNSResolvconf(t *testing.T) {
	var runs []string
	n, _ := newLinux(Options{StateDir: t.TempDir(), DNSMode: "resolvconf"}, linuxSeams{
		run: func(_ context.Context, stdin []byte, name string, args ...string) error {
			runs = append(runs, fmt.Sprintf("%s %s <<%q", name, strings.Join(args, " "), stdin))
			return nil
		},
	})
	ctx := context.Background()
	rec, err := n.setDNS(ctx, testLink, dnsPlan(t, false), nil, func(*dnsRecord) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := n.removeDNS(ctx, "wg0", rec); err != nil {
		t.Fatal(err)
	}
	want := `resolvconf -a wg0.wgdesk -m 0 -x <<"nameserver 10.0.0.1\nnameserver fd00::1\nsearch home.lan corp.example\n"` + "\n" +
		`resolvconf -d wg0.wgdesk -f <<""`
	if got := strings.Join(runs, "\n"); got != want {
		t.Errorf("runs:\n%s\nwant:\n%s", got, want)
	}
}

func TestDNSJournalFailureChangesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolv.conf")
	os.WriteFile(path, []byte("nameserver 192.0.2.1\n"), 0o644)
	n, _ := newLinux(Options{StateDir: t.TempDir(), DNSMode: "direct", ResolvConf: path}, linuxSeams{})
	boom := errors.New("disk full")
	_, err := n.setDNS(context.Background(), testLink, dnsPlan(t, false), nil, func(*dnsRecord) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "nameserver 192.0.2.1\n" {
		t.Errorf("file changed without a journal: %q", b)
	}
}

func TestDNSDirectSymlinkAndMissingFile(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	// A resolv.conf that is a symlink comes back as the same symlink.
	target := filepath.Join(dir, "stub-resolv.conf")
	os.WriteFile(target, []byte("nameserver 127.0.0.53\n"), 0o644)
	link := filepath.Join(dir, "resolv.conf")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	n, _ := newLinux(Options{StateDir: t.TempDir(), DNSMode: "direct", ResolvConf: link}, linuxSeams{})
	rec, err := n.setDNS(ctx, testLink, dnsPlan(t, false), nil, func(*dnsRecord) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "nameserver 127.0.0.53\n" {
		t.Errorf("symlink target was written: %q", b)
	}
	if err := n.removeDNS(ctx, "wg0", rec); err != nil {
		t.Fatal(err)
	}
	if got, err := os.Readlink(link); err != nil || got != target {
		t.Errorf("symlink not restored: %q, %v", got, err)
	}

	// A file that did not exist is removed again.
	missing := filepath.Join(dir, "none.conf")
	n, _ = newLinux(Options{StateDir: t.TempDir(), DNSMode: "direct", ResolvConf: missing}, linuxSeams{})
	rec, err = n.setDNS(ctx, testLink, dnsPlan(t, false), nil, func(*dnsRecord) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(missing); !strings.HasPrefix(string(b), "# Written by wgdesk") {
		t.Errorf("file not written: %q", b)
	}
	if err := n.removeDNS(ctx, "wg0", rec); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("file not removed: %v", err)
	}
}

func TestChooseDNSMode(t *testing.T) {
	dir := t.TempDir()
	stubLink := filepath.Join(dir, "stub")
	os.Symlink("../run/systemd/resolve/stub-resolv.conf", stubLink)
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte("nameserver 192.0.2.1\n"), 0o644)
	noResolved := func() (resolvedAPI, error) { return nil, errors.New("not running") }
	withResolved := func() (resolvedAPI, error) { return &fakeResolved{}, nil }
	hasResolvconf := func(string) (string, error) { return "/usr/sbin/resolvconf", nil }
	noResolvconf := func(string) (string, error) { return "", errors.New("not found") }
	cases := []struct {
		name, file string
		resolved   func() (resolvedAPI, error)
		lookPath   func(string) (string, error)
		mode, why  string
	}{
		{"stub and resolved", stubLink, withResolved, hasResolvconf, "resolved", "systemd-resolved answers"},
		{"stub without resolved", stubLink, noResolved, hasResolvconf, "resolvconf", "unreachable"},
		{"plain with resolvconf", plain, withResolved, hasResolvconf, "resolvconf", "found at /usr/sbin/resolvconf"},
		{"plain", plain, noResolved, noResolvconf, "direct", "no resolvconf program"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs []string
			n, _ := newLinux(Options{ResolvConf: c.file, StateDir: dir,
				Logger: Logger{Verbosef: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }}},
				linuxSeams{resolved: c.resolved, lookPath: c.lookPath})
			if got := n.dnsModeLocked(); got != c.mode {
				t.Errorf("mode %s, want %s", got, c.mode)
			}
			if l := strings.Join(logs, "\n"); !strings.Contains(l, "dns mode "+c.mode) || !strings.Contains(l, c.why) {
				t.Errorf("log %q lacks the mode or %q", l, c.why)
			}
		})
	}
}

// directNetwork is a Network in the direct mode on a temporary file, for
// the tests of the owner record that need no namespace.
func directNetwork(t *testing.T, stateDir, path string, logs *strings.Builder) *linuxNetwork {
	t.Helper()
	n, err := newLinux(Options{StateDir: stateDir, DNSMode: "direct", ResolvConf: path,
		Logger: Logger{Verbosef: func(f string, a ...any) { fmt.Fprintf(logs, f+"\n", a...) }}}, linuxSeams{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestResolvOwnerCrashInsideWrite: the service died while writing the
// merged file for a second tunnel, so the file holds either the first
// tunnel's content or the merged one. Both are wgdesk's; the next start
// restores the original from either.
func TestResolvOwnerCrashInsideWrite(t *testing.T) {
	ctx := context.Background()
	for _, done := range []bool{false, true} {
		t.Run(fmt.Sprintf("written %v", done), func(t *testing.T) {
			dir, state := t.TempDir(), t.TempDir()
			path := filepath.Join(dir, "resolv.conf")
			os.WriteFile(path, []byte("nameserver 192.0.2.1\n"), 0o644)
			var logs strings.Builder
			n := directNetwork(t, state, path, &logs)
			a := dnsPlan(t, false)
			rec, err := n.setDNS(ctx, testLink, a, nil, func(*dnsRecord) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			first := readString(t, path)
			// What the owner record holds just before the merged file is
			// written: the claim of wg1 and the hashes of both contents.
			o, err := n.loadResolvOwnerLocked()
			if err != nil || o == nil {
				t.Fatalf("owner record: %v, %v", o, err)
			}
			o.Tunnels["wg1"] = resolvClaim{Servers: []netip.Addr{netip.MustParseAddr("10.1.0.1")}}
			merged := o.render()
			o.Written = []string{digest(merged), digest([]byte(first))}
			if err := n.saveResolvOwnerLocked(o, false); err != nil {
				t.Fatal(err)
			}
			if done {
				os.WriteFile(path, merged, 0o644)
			}
			// The next start releases both claims, in either order.
			n = directNetwork(t, state, path, &logs)
			if err := n.removeDNS(ctx, "wg1", &dnsRecord{Mode: dnsDirect, Path: path, Shared: true}); err != nil {
				t.Fatal(err)
			}
			if err := n.removeDNS(ctx, "wg0", rec); err != nil {
				t.Fatal(err)
			}
			if got := readString(t, path); got != "nameserver 192.0.2.1\n" {
				t.Errorf("file %q, want the original", got)
			}
			if strings.Contains(logs.String(), "another program") {
				t.Errorf("wgdesk's own file taken for another program's:\n%s", logs.String())
			}
			if _, err := os.Stat(n.resolvOwnerPath()); !os.IsNotExist(err) {
				t.Errorf("owner record left: %v", err)
			}
		})
	}
}

// TestResolvOwnerCrashBeforeFirstWrite: the owner record was saved but the
// file never written; releasing finds the original and says nothing.
func TestResolvOwnerCrashBeforeFirstWrite(t *testing.T) {
	dir, state := t.TempDir(), t.TempDir()
	path := filepath.Join(dir, "resolv.conf")
	os.WriteFile(path, []byte("nameserver 192.0.2.1\n"), 0o644)
	var logs strings.Builder
	n := directNetwork(t, state, path, &logs)
	o := &resolvOwner{Path: path, Tunnels: map[string]resolvClaim{"wg0": {Search: []string{"x.lan"}}}}
	o.fileSnapshot, _ = snapshotFile(path)
	o.Written = []string{digest(o.render())}
	if err := n.saveResolvOwnerLocked(o, false); err != nil {
		t.Fatal(err)
	}
	if err := n.removeDNS(context.Background(), "wg0", &dnsRecord{Mode: dnsDirect, Path: path, Shared: true}); err != nil {
		t.Fatal(err)
	}
	if got := readString(t, path); got != "nameserver 192.0.2.1\n" {
		t.Errorf("file %q", got)
	}
	if strings.Contains(logs.String(), "another program") {
		t.Errorf("logged as rewritten:\n%s", logs.String())
	}
}

// TestResolvOwnerLegacyJournal: journals of the earlier wgdesk kept one
// snapshot per interface. The one whose snapshot is the real original is
// restored while the file is still wgdesk's; the one whose snapshot is
// another tunnel's file is not put back.
func TestResolvOwnerLegacyJournal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "resolv.conf")
	orig := "nameserver 192.0.2.1\n"
	ofA := "# Written by wgdesk for tunnel interface a.\n# The original file is restored when the tunnel goes down.\nnameserver 10.9.0.1\n"
	ofB := "# Written by wgdesk for tunnel interface b.\n# The original file is restored when the tunnel goes down.\nnameserver 10.8.0.1\n"
	recA := &dnsRecord{Mode: dnsDirect, Path: path, Existed: true, Original: []byte(orig)}
	recB := &dnsRecord{Mode: dnsDirect, Path: path, Existed: true, Original: []byte(ofA)}
	for _, order := range [][]string{{"a", "b"}, {"b", "a"}} {
		os.WriteFile(path, []byte(ofB), 0o644)
		var logs strings.Builder
		n := directNetwork(t, t.TempDir(), path, &logs)
		for _, name := range order {
			rec := recA
			if name == "b" {
				rec = recB
			}
			if err := n.removeDNS(ctx, name, rec); err != nil {
				t.Fatal(err)
			}
		}
		if got := readString(t, path); got != orig {
			t.Errorf("order %v: file %q, want the original", order, got)
		}
	}
	// A file another program wrote since is left alone.
	os.WriteFile(path, []byte("nameserver 192.0.2.99\n"), 0o644)
	var logs strings.Builder
	n := directNetwork(t, t.TempDir(), path, &logs)
	if err := n.removeDNS(ctx, "a", recA); err != nil {
		t.Fatal(err)
	}
	if got := readString(t, path); got != "nameserver 192.0.2.99\n" {
		t.Errorf("newer file replaced: %q", got)
	}
}

// TestResolvedRevertOnlyTheTunnel: the index in a record is reverted only
// while it names a TUN of the tunnel's name.
func TestResolvedRevertOnlyTheTunnel(t *testing.T) {
	for _, c := range []struct {
		name   string
		link   netlink.Link
		err    error
		revert bool
	}{
		{"the tunnel", testLink, nil, true},
		{"the uplink after a reboot", &netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: "eth0", Index: 7}}, nil, false},
		{"a veth with the tunnel's name", &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "wg0", Index: 7}}, nil, false},
		{"a TAP with the tunnel's name", &netlink.Tuntap{LinkAttrs: netlink.LinkAttrs{Name: "wg0", Index: 7}, Mode: netlink.TUNTAP_MODE_TAP}, nil, false},
		{"gone", nil, netlink.LinkNotFoundError{}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			api := &fakeResolved{}
			n, _ := newLinux(Options{StateDir: t.TempDir(), DNSMode: "resolved"}, linuxSeams{
				resolved:    func() (resolvedAPI, error) { return api, nil },
				linkByIndex: func(int) (netlink.Link, error) { return c.link, c.err },
			})
			if err := n.removeDNS(context.Background(), "wg0", &dnsRecord{Mode: dnsResolved, IfIndex: 7}); err != nil {
				t.Fatal(err)
			}
			if got := len(api.calls) == 1 && api.calls[0] == "RevertLink 7"; got != c.revert {
				t.Errorf("calls %v, want a revert: %v", api.calls, c.revert)
			}
		})
	}
}
