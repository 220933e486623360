package platform

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	goldenfile "github.com/wgdesk/wgdesk/internal/golden"
)

// A state directory that is read-only (a file system remounted after an
// I/O error) or full must not stop an undo halfway: the journal and the
// resolv.conf owner record cannot be rewritten, but everything they name
// is undone all the same, and the old records stay for the next start,
// whose second undo of what is already gone is harmless. These tests need
// root (network namespaces, a tmpfs mounted on the state directory).

// stateFault is how the state directory fails.
type stateFault struct {
	name string
	// on makes the tmpfs at dir fail writes; off makes it work again.
	on, off func(t *testing.T, dir string)
	// keepsJournal: the journal's files cannot even be removed.
	keepsJournal bool
}

var stateFaults = []stateFault{
	{
		name:         "read-only",
		on:           func(t *testing.T, dir string) { remount(t, dir, unix.MS_RDONLY) },
		off:          func(t *testing.T, dir string) { remount(t, dir, 0) },
		keepsJournal: true,
	},
	{
		// A full file system still removes files: the journal goes
		// once everything it names is undone.
		name: "full",
		on: func(t *testing.T, dir string) {
			f, err := os.Create(filepath.Join(dir, "filler"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			buf := make([]byte, 4096)
			for {
				if _, err := f.Write(buf); err != nil {
					if !strings.Contains(err.Error(), "no space left") {
						t.Fatalf("fill %s: %v", dir, err)
					}
					return
				}
			}
		},
		off: func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
				t.Fatal(err)
			}
		},
	},
}

// mountStateTmpfs mounts a small tmpfs on the fixture's state directory,
// unmounted when the test ends.
func (f *linuxFixture) mountStateTmpfs(t *testing.T) {
	t.Helper()
	if err := os.MkdirAll(f.stateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("wgdesk-test", f.stateDir, "tmpfs", 0, "size=256k,mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs on the state directory: %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(f.stateDir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", f.stateDir, err)
		}
	})
}

func remount(t *testing.T, dir string, flags uintptr) {
	t.Helper()
	if err := unix.Mount("", dir, "", unix.MS_REMOUNT|flags, ""); err != nil {
		t.Fatalf("remount %s: %v", dir, err)
	}
}

// leftovers lists what the tunnels may have left in the namespace and in
// resolv.conf: policy rules, routes of the policy table, addresses and
// routes of the tunnel links that still exist, the kill switch's table and
// a resolv.conf that is not the original.
func (f *linuxFixture) leftovers(t *testing.T) []string {
	t.Helper()
	var left []string
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		rules, err := f.ns.h.RuleList(fam)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rules {
			if r.Priority != 0 && r.Priority < 32766 {
				left = append(left, "rule "+r.String())
			}
		}
	}
	routes, err := f.ns.h.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: 51820}, netlink.RT_FILTER_TABLE)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		left = append(left, "route "+r.String())
	}
	for _, name := range []string{tunName, tunName2} {
		l, err := f.ns.h.LinkByName(name)
		if err != nil {
			continue
		}
		addrs, _ := f.ns.h.AddrList(l, netlink.FAMILY_ALL)
		for _, a := range addrs {
			if a.Scope != unix.RT_SCOPE_LINK {
				left = append(left, fmt.Sprintf("addr %s %s", name, a.IPNet))
			}
		}
		routes, _ := f.ns.h.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{LinkIndex: l.Attrs().Index}, netlink.RT_FILTER_OIF|netlink.RT_FILTER_TABLE)
		for _, r := range routes {
			if r.Protocol != unix.RTPROT_KERNEL && r.Table != unix.RT_TABLE_LOCAL {
				left = append(left, "route "+r.String())
			}
		}
	}
	if table := f.ns.nftList(t, nftTableName); table != "" {
		left = append(left, "nftables table "+nftTableName)
	}
	if got, err := os.ReadFile(f.resolvConf); err != nil || string(got) != origResolv {
		left = append(left, fmt.Sprintf("resolv.conf %q (%v)", got, err))
	}
	return left
}

// logErrors sends the Network's error log to the fixture's log too.
func (f *linuxFixture) logErrors() {
	f.net.opts.Logger.Errorf = func(format string, args ...any) { fmt.Fprintf(f.logs, "error: "+format+"\n", args...) }
}

func (f *linuxFixture) wantNoLeftovers(t *testing.T, when string) {
	t.Helper()
	if left := f.leftovers(t); len(left) != 0 {
		t.Errorf("left after %s:\n%s", when, strings.Join(left, "\n"))
	}
}

// readStateFiles returns every file of the journal directory by name.
func (f *linuxFixture) readStateFiles(t *testing.T) map[string]string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(f.stateDir, "platform", "*"))
	out := map[string]string{}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = string(data)
	}
	return out
}

// crashedTunnels brings up a full tunnel with the kill switch on wgt0 and
// a split one on wgt1, both with DNS in the direct mode, on a tmpfs state
// directory, and returns the journal files they wrote.
func crashedTunnels(t *testing.T) (*linuxFixture, map[string]string) {
	f, _ := newKillSwitchFixture(t)
	f.mountStateTmpfs(t)
	f.addTun(t, tunName2)
	full := killSwitchSettings(false)
	full.DNS, full.DNSSearch = dnsA.DNS, dnsA.DNSSearch
	f.applyTo(t, tunName, full)
	f.applyTo(t, tunName2, dnsB)
	f.wantResolvConf(t, resolvAB)
	if len(f.leftovers(t)) == 0 {
		t.Fatal("the tunnels changed nothing")
	}
	state := f.readStateFiles(t)
	for _, name := range []string{tunName + ".json", tunName2 + ".json", resolvOwnerFile} {
		if state[name] == "" {
			t.Fatalf("no %s in the state directory: %v", name, state)
		}
	}
	return f, state
}

func TestLinuxRecoverWithUnwritableStateDir(t *testing.T) {
	for _, fault := range stateFaults {
		t.Run(fault.name, func(t *testing.T) {
			f, journal := crashedTunnels(t)
			dir := f.stateDir
			// The service is killed, and the state directory fails
			// before the next start.
			fault.on(t, dir)
			start := func() {
				t.Helper()
				f.net = f.newNetwork(t, f.killSwitchSeams(nftNetlink{netnsFd: int(f.ns.ns)}))
				f.logErrors()
				if err := f.net.Recover(context.Background()); err != nil {
					t.Errorf("recover: %v", err)
				}
			}
			start()
			f.wantNoLeftovers(t, "recover")
			if _, err := f.ns.h.LinkByName(tunName); !isNotFound(err) {
				t.Errorf("leftover %s still there (%v)", tunName, err)
			}
			if !strings.Contains(f.logs.String(), "could not update the journal of wgt0") {
				t.Errorf("the failed journal write is not logged:\n%s", f.logs)
			}
			if fault.keepsJournal {
				if d := goldenfile.Diff(fmt.Sprint(journal), fmt.Sprint(f.readStateFiles(t))); d != "" {
					t.Errorf("the journal changed on a read-only state directory:\n%s", d)
				}
			}

			// A second start on the failing directory undoes again
			// what the old journal names: all of it is gone already.
			start()
			f.wantNoLeftovers(t, "a second recover")

			// Once the directory works, the next start clears the
			// journal and leaves the restored resolv.conf alone.
			fault.off(t, dir)
			start()
			f.wantNoLeftovers(t, "a recover on a working state directory")
			f.wantJournalEmpty(t)
		})
	}
}

// A running service whose state directory fails takes its tunnels down
// all the same.
func TestLinuxDownWithUnwritableStateDir(t *testing.T) {
	for _, fault := range stateFaults {
		t.Run(fault.name, func(t *testing.T) {
			f, _ := crashedTunnels(t)
			fault.on(t, f.stateDir)
			f.logErrors()
			if err := f.net.Apply(context.Background(), tunName, Settings{}); err != nil {
				t.Fatalf("down %s: %v", tunName, err)
			}
			if table := f.ns.nftList(t, nftTableName); table != "" {
				t.Errorf("the kill switch stayed after down:\n%s", table)
			}
			// Without a record that knows the new content, the file
			// keeps the first tunnel's resolver until the last goes.
			f.wantResolvConf(t, resolvAB)
			if err := f.net.Apply(context.Background(), tunName2, Settings{}); err != nil {
				t.Fatalf("down %s: %v", tunName2, err)
			}
			f.wantNoLeftovers(t, "down")

			// The next start undoes what the old journal names again.
			fault.off(t, f.stateDir)
			f.net = f.newNetwork(t, f.killSwitchSeams(nftNetlink{netnsFd: int(f.ns.ns)}))
			if err := f.net.Recover(context.Background()); err != nil {
				t.Fatalf("recover: %v", err)
			}
			f.wantNoLeftovers(t, "recover")
			f.wantJournalEmpty(t)
		})
	}
}

// After a recovery on a read-only state directory restored resolv.conf,
// a DHCP client rewrites it; the next start's second undo, from the old
// owner record, leaves that file alone (its hash is not wgdesk's).
func TestLinuxRecoverReadOnlyThenOutsideRewrite(t *testing.T) {
	f, _ := crashedTunnels(t)
	ro := stateFaults[0]
	ro.on(t, f.stateDir)
	f.net = f.newNetwork(t, f.killSwitchSeams(nftNetlink{netnsFd: int(f.ns.ns)}))
	if err := f.net.Recover(context.Background()); err != nil {
		t.Fatalf("recover: %v", err)
	}
	f.wantNoLeftovers(t, "recover")
	if err := os.WriteFile(f.resolvConf, []byte(resolvDHCP), 0o644); err != nil {
		t.Fatal(err)
	}
	ro.off(t, f.stateDir)
	f.net = f.newNetwork(t, f.killSwitchSeams(nftNetlink{netnsFd: int(f.ns.ns)}))
	if err := f.net.Recover(context.Background()); err != nil {
		t.Fatalf("second recover: %v", err)
	}
	f.wantResolvConf(t, resolvDHCP)
	f.wantJournalEmpty(t)
}

// The resolvconf mode's undo runs `resolvconf -d RECORD -f` at every
// recovery the old journal causes; -f makes a record that is gone no error.
func TestLinuxRecoverReadOnlyResolvconf(t *testing.T) {
	f := newLinuxFixture(t)
	f.mountStateTmpfs(t)
	var calls []string
	run := func(_ context.Context, _ []byte, name string, args ...string) error {
		calls = append(calls, name+" "+strings.Join(args, " "))
		return nil
	}
	f.net = f.newNetwork(t, linuxSeams{run: run})
	f.net.opts.DNSMode = dnsResolvconf
	f.apply(t, fullSettings())
	journal := f.readStateFiles(t)

	remount(t, f.stateDir, unix.MS_RDONLY)
	for i := range 2 {
		f.net = f.newNetwork(t, linuxSeams{run: run})
		if err := f.net.Recover(context.Background()); err != nil {
			t.Fatalf("recover %d: %v", i, err)
		}
		f.wantNoLeftovers(t, fmt.Sprintf("recover %d", i))
		if d := goldenfile.Diff(fmt.Sprint(journal), fmt.Sprint(f.readStateFiles(t))); d != "" {
			t.Errorf("the journal changed on a read-only state directory:\n%s", d)
		}
	}
	want := "resolvconf -a wgt0.wgdesk -m 0 -x\nresolvconf -d wgt0.wgdesk -f\nresolvconf -d wgt0.wgdesk -f"
	if d := goldenfile.Diff(want, strings.Join(calls, "\n")); d != "" {
		t.Errorf("resolvconf calls (- want, + got):\n%s", d)
	}
	remount(t, f.stateDir, 0)
}
