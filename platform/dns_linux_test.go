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

var testLink = &netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: "wg0", Index: 7}}

func TestDNSResolved(t *testing.T) {
	api := &fakeResolved{}
	var logs []string
	n, _ := newLinux(Options{
		StateDir: t.TempDir(),
		DNSMode:  "resolved",
		Logger:   Logger{Verbosef: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }},
	}, linuxSeams{resolved: func() (resolvedAPI, error) { return api, nil }})
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
