//go:build cgo

package app

import (
	"net/netip"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/wgdesk/wgdesk/config"
)

func TestRouterOSPeerCommand(t *testing.T) {
	priv, err := config.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub := priv.PublicKey()
	got := routerOSPeerCommand(pub, []netip.Prefix{netip.MustParsePrefix("192.168.100.2/24"), netip.MustParsePrefix("fd00::2/64")})
	want := `/interface wireguard peers add interface=wireguard1 public-key="` + pub.String() + `" allowed-address=192.168.100.2/32,fd00::2/128`
	if got != want {
		t.Errorf("command:\n%s\nwant:\n%s", got, want)
	}
}

func TestCheckNewTunnel(t *testing.T) {
	priv, err := config.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	peer, _ := config.NewPrivateKey()
	good := defaultNewTunnel
	good.RouterKey = peer.PublicKey().String()
	good.Endpoint = "vpn.example.com:13231"
	cfg, problem := checkNewTunnel(priv, good)
	if problem != "" {
		t.Fatalf("valid form: %s", problem)
	}
	if cfg.Interface.PrivateKey != priv || cfg.Peers[0].Endpoint.String() != "vpn.example.com:13231" || cfg.Peers[0].PersistentKeepalive != 25 {
		t.Errorf("config %+v", cfg)
	}
	for _, tc := range []struct {
		change func(*newTunnelFields)
		want   string
	}{
		{func(f *newTunnelFields) { f.Name = "" }, "Enter a name for the tunnel."},
		{func(f *newTunnelFields) { f.Name = "my home" }, `Name may hold letters`},
		{func(f *newTunnelFields) { f.RouterKey = "" }, "Enter the router's public key."},
		{func(f *newTunnelFields) { f.RouterKey = "short" }, "Router public key: "},
		{func(f *newTunnelFields) { f.Endpoint = "vpn.example.com" }, "Router endpoint: "},
		{func(f *newTunnelFields) { f.Address = "192.168.100.300/24" }, "Address: "},
		{func(f *newTunnelFields) { f.AllowedIPs = "everything" }, "Allowed IPs: "},
		{func(f *newTunnelFields) { f.Keepalive = "often" }, "Keepalive: "},
	} {
		f := good
		tc.change(&f)
		_, problem := checkNewTunnel(priv, f)
		if !strings.HasPrefix(problem, tc.want) {
			t.Errorf("%+v: problem %q, want one starting %q", f, problem, tc.want)
		}
	}
}

func TestNewTunnelDialogValidatesAndCreates(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.waitFor("the snapshot", func() bool { return h.ui.connected })
	test.Tap(findButton(h.ui.win.Content(), "New tunnel…"))
	n := h.ui.newForm
	if n == nil || h.topOverlay() == nil {
		t.Fatal("no New tunnel dialog")
	}
	pub := n.priv.PublicKey().String()
	if !hasText(h.topOverlay(), pub) {
		t.Errorf("dialog does not show the public key %s", pub)
	}
	if !n.create.Disabled() || n.status.Text != "Enter the router's public key." {
		t.Errorf("empty form: create disabled=%v, status %q", n.create.Disabled(), n.status.Text)
	}
	if want := `public-key="` + pub + `" allowed-address=192.168.100.2/32`; !strings.Contains(n.command.Text, want) {
		t.Errorf("RouterOS command %q lacks %q", n.command.Text, want)
	}

	peer, _ := config.NewPrivateKey()
	test.Type(n.entries["Router public key"], peer.PublicKey().String())
	test.Type(n.entries["Router endpoint"], "vpn.example.com")
	if !n.create.Disabled() || !strings.HasPrefix(n.status.Text, "Router endpoint: ") {
		t.Errorf("endpoint without port: create disabled=%v, status %q", n.create.Disabled(), n.status.Text)
	}
	test.Type(n.entries["Router endpoint"], ":13231")
	n.entries["Address"].SetText("10.7.0.5/24")
	if n.create.Disabled() || n.status.Text != "Ready to create." {
		t.Fatalf("valid form: create disabled=%v, status %q", n.create.Disabled(), n.status.Text)
	}
	if !strings.Contains(n.command.Text, "allowed-address=10.7.0.5/32") {
		t.Errorf("command did not follow the address: %q", n.command.Text)
	}

	test.Tap(n.create)
	h.waitFor("the new tunnel, selected", func() bool { return h.shows("home") && h.ui.selected == "home" })
	full, err := h.svc.Config("home")
	if err != nil {
		t.Fatal(err)
	}
	if full.Interface.PrivateKey != n.priv || full.Peers[0].PublicKey != peer.PublicKey() {
		t.Errorf("stored config has other keys")
	}
}
