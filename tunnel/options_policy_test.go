package tunnel

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/config"
)

var (
	alice = UnixCaller(1000)
	bob   = UnixCaller(1001)
	root  = UnixCaller(0)
)

func TestUnixCaller(t *testing.T) {
	if !root.Admin || root.ID != "uid:0" || alice.Admin || alice.ID != "uid:1000" {
		t.Fatalf("root %+v, alice %+v", root, alice)
	}
	if got := alice.String(); got != "a member (uid 1000)" {
		t.Errorf("alice is %q", got)
	}
}

func TestCheckMemberConfig(t *testing.T) {
	for _, tt := range []struct {
		name  string
		edit  func(in *config.Interface)
		allow bool
		says  string
	}{
		{"plain", func(in *config.Interface) {}, true, ""},
		{"table off", func(in *config.Interface) { in.Table = "off" }, true, ""},
		{"table auto", func(in *config.Interface) { in.Table = "Auto" }, true, ""},
		{"table 1000", func(in *config.Interface) { in.Table = "1000" }, true, ""},
		{"table main by number", func(in *config.Interface) { in.Table = "254" }, false, "Table 254 (main)"},
		{"table local", func(in *config.Interface) { in.Table = "255" }, false, "Table 255 (local)"},
		{"table default", func(in *config.Interface) { in.Table = "253" }, false, "Table 253 (default)"},
		{"table 0", func(in *config.Interface) { in.Table = "0" }, false, "Table 0"},
		{"table by name", func(in *config.Interface) { in.Table = "main" }, false, "Table main"},
		{"fwmark", func(in *config.Interface) { in.FwMark = 0x1234 }, false, "FwMark 4660"},
		{"port 53", func(in *config.Interface) { in.ListenPort = 53 }, false, "ListenPort 53"},
		{"port 1023", func(in *config.Interface) { in.ListenPort = 1023 }, false, "ListenPort 1023"},
		{"port 1024", func(in *config.Interface) { in.ListenPort = 1024 }, true, ""},
		{"port 51820", func(in *config.Interface) { in.ListenPort = 51820 }, true, ""},
		{"postup", func(in *config.Interface) { in.PostUp = []string{"id > /tmp/x"} }, false, "PostUp"},
		{"predown", func(in *config.Interface) { in.PreDown = []string{"true"} }, false, "PreDown"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")
			tt.edit(&cfg.Interface)
			err := CheckMemberConfig(cfg)
			if tt.allow {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrNeedAdmin) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("got %v, want ErrNeedAdmin saying %q", err, tt.says)
			}
		})
	}
}

func TestManagerOwnership(t *testing.T) {
	l := newLab(t)
	dir := t.TempDir()
	m := newTestManager(t, l, dir)
	ctx := context.Background()
	if err := m.ImportAs(alice, "alice", splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")); err != nil {
		t.Fatal(err)
	}
	if err := m.ImportAs(root, "rootnet", splitTunnel(t, "10.2.0.2/32", "10.2.0.0/24")); err != nil {
		t.Fatal(err)
	}
	// A tunnel from before owners were recorded: a .conf and no .json.
	legacy := splitTunnel(t, "10.3.0.2/32", "10.3.0.0/24")
	if err := os.WriteFile(filepath.Join(dir, "tunnels", "legacy.conf"), legacy.Marshal(), 0o600); err != nil {
		t.Fatal(err)
	}
	m.Close(ctx)
	m = newTestManager(t, l, dir) // the owners survive a restart

	if o := mustGet(t, m, "alice").Owner; o == nil || *o != alice {
		t.Fatalf("alice's owner after restart: %v", o)
	}
	if o := mustGet(t, m, "legacy").Owner; o != nil {
		t.Fatalf("legacy owner %v, want none", o)
	}
	changes := map[string]func(who Caller, name string) error{
		"config": func(who Caller, name string) error { _, err := m.ConfigAs(who, name); return err },
		"options": func(who Caller, name string) error {
			return m.SetOptionsAs(ctx, who, name, Options{KillSwitch: KillSwitchOff})
		},
	}
	for what, f := range changes {
		for _, name := range []string{"alice", "rootnet", "legacy"} {
			if err := f(bob, name); !errors.Is(err, ErrNotOwner) {
				t.Errorf("bob's %s of %s: %v, want ErrNotOwner", what, name, err)
			}
		}
		if err := f(alice, "alice"); err != nil {
			t.Errorf("alice's %s of her own: %v", what, err)
		}
		if err := f(alice, "rootnet"); !errors.Is(err, ErrNotOwner) || !strings.Contains(err.Error(), "an administrator") {
			t.Errorf("alice's %s of root's: %v", what, err)
		}
		if err := f(root, "alice"); err != nil {
			t.Errorf("root's %s of alice's: %v", what, err)
		}
		if err := f(root, "legacy"); err != nil {
			t.Errorf("root's %s of legacy: %v", what, err)
		}
	}
	// Members may switch anyone's tunnels on and off.
	if err := m.Up(ctx, "rootnet"); err != nil {
		t.Fatal(err)
	}
	if err := m.Down(ctx, "rootnet"); err != nil {
		t.Fatal(err)
	}
	if err := m.DeleteAs(bob, "alice"); !errors.Is(err, ErrNotOwner) {
		t.Errorf("bob deleted alice's: %v", err)
	}
	if err := m.DeleteAs(alice, "legacy"); !errors.Is(err, ErrNotOwner) || !strings.Contains(err.Error(), "before wgdesk recorded") {
		t.Errorf("alice deleted legacy: %v", err)
	}
	if err := m.DeleteAs(alice, "alice"); err != nil {
		t.Errorf("alice could not delete her own: %v", err)
	}
	if err := m.DeleteAs(root, "legacy"); err != nil {
		t.Errorf("root could not delete legacy: %v", err)
	}
	if len(m.List()) != 1 {
		t.Errorf("left %+v", m.List())
	}
}

func TestManagerMemberQuota(t *testing.T) {
	l := newLab(t)
	m := newTestManager(t, l, t.TempDir(), func(o *ManagerOptions) { o.MemberQuota = Quota{Tunnels: 2, Bytes: 4096} })
	for _, name := range []string{"a1", "a2"} {
		if err := m.ImportAs(alice, name, splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")); err != nil {
			t.Fatal(err)
		}
	}
	err := m.ImportAs(alice, "a3", splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24"))
	if !errors.Is(err, ErrQuota) || !strings.Contains(err.Error(), "at most 2 tunnels") {
		t.Fatalf("third tunnel: %v, want ErrQuota", err)
	}
	// Another member and root are not held to alice's count.
	if err := m.ImportAs(bob, "b1", splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")); err != nil {
		t.Fatalf("bob: %v", err)
	}
	if err := m.ImportAs(root, "r1", splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")); err != nil {
		t.Fatalf("root: %v", err)
	}
	// A delete makes room again.
	if err := m.DeleteAs(alice, "a1"); err != nil {
		t.Fatal(err)
	}
	if err := m.ImportAs(alice, "a3", splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")); err != nil {
		t.Fatalf("after a delete: %v", err)
	}
	// Bytes: bob's one config may not be bigger than 4 KiB in all.
	big := splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")
	for i := range 400 {
		big.Peers[0].AllowedIPs = append(big.Peers[0].AllowedIPs, netip.MustParsePrefix(fmt.Sprintf("172.%d.%d.0/24", 16+i/256, i%256)))
	}
	err = m.ImportAs(bob, "b2", big)
	if !errors.Is(err, ErrQuota) || !strings.Contains(err.Error(), "4.0 KiB") {
		t.Fatalf("big config: %v, want ErrQuota on bytes", err)
	}
	if err := m.ImportAs(root, "r2", big); err != nil {
		t.Fatalf("root's big config: %v", err)
	}
}

// TestManagerScriptsOnlyFromAdministrators runs real scripts (sh -c) that
// write a file: root's PostUp runs, a member's is refused at import, and
// one that reached the store without an administrator as its writer is
// refused at up.
func TestManagerScriptsOnlyFromAdministrators(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the scripts run with sh -c")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	l := newLab(t)
	dir := t.TempDir()
	out := t.TempDir()
	withScripts := func(file string) *config.Config {
		cfg := splitTunnel(t, "10.1.0.2/32", "10.1.0.0/24")
		cfg.Interface.PostUp = []string{"id -u > " + filepath.Join(out, file)}
		return cfg
	}
	realShell := func(o *ManagerOptions) {
		o.AllowScripts = true
		o.Deps.RunScript = nil // sh -c
	}
	m := newTestManager(t, l, dir, realShell)
	ctx := context.Background()

	err := m.ImportAs(alice, "alice", withScripts("alice"))
	if !errors.Is(err, ErrNeedAdmin) || !strings.Contains(err.Error(), "PostUp") {
		t.Fatalf("alice's PostUp: %v, want ErrNeedAdmin", err)
	}
	if err := m.ImportAs(root, "rootnet", withScripts("root")); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(ctx, "rootnet"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(out, "root")); err != nil || len(b) == 0 {
		t.Fatalf("root's PostUp did not run: %v", err)
	}
	if err := m.Down(ctx, "rootnet"); err != nil {
		t.Fatal(err)
	}

	// Defence in depth: a member's config with scripts in the store (an
	// older service took it) does not run them.
	m.Close(ctx)
	tdir := filepath.Join(dir, "tunnels")
	owner := alice
	os.WriteFile(filepath.Join(tdir, "sneaky.conf"), withScripts("sneaky").Marshal(), 0o600)
	os.WriteFile(filepath.Join(tdir, "sneaky.json"), marshalMeta(DefaultOptions(), &owner), 0o600)
	os.WriteFile(filepath.Join(tdir, "old.conf"), withScripts("old").Marshal(), 0o600)
	m = newTestManager(t, l, dir, realShell)
	created := l.createdTUNs()
	for _, name := range []string{"sneaky", "old"} {
		err := m.Up(ctx, name)
		if !errors.Is(err, ErrNeedAdmin) || !strings.Contains(err.Error(), "not written by an administrator") {
			t.Errorf("up %s: %v, want ErrNeedAdmin", name, err)
		}
		if _, err := os.Stat(filepath.Join(out, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s's PostUp ran: %v", name, err)
		}
	}
	if l.createdTUNs() != created {
		t.Error("a refused tunnel created a TUN")
	}
}
