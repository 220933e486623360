//go:build cgo && linux

package app

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/cli"
	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/platform"
	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
)

// TestKillSwitchUnderXvfb starts the real binary on a virtual X display
// against the fake service, whose platform enforces the kill switch and
// Allow LAN, with the full tunnel "home" active, its kill switch in force
// and the LAN allowed, and a split tunnel "office" off. It takes the
// README's screenshot of the setting into $WGDESK_SCREENSHOT_DIR (default
// a temporary directory) as kill-switch-window.png, and, where tesseract
// is installed, reads it back: the Leak protection card with both checks
// must be on screen.
func TestKillSwitchUnderXvfb(t *testing.T) {
	s := newSmoke(t, "import", "xwininfo", "convert")
	svc := apitest.New()
	svc.SetFirewall(platform.FirewallSupport{KillSwitch: true, AllowLAN: true})
	for name, allowed := range map[string]string{"home": "0.0.0.0/0, ::/0", "office": "192.168.88.0/24"} {
		cfg, _, err := config.Parse([]byte(roadWarriorConfig(t, allowed)))
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Import(name, cfg); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	if err := svc.Up(ctx, "home"); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetOptions(ctx, "home", tunnel.Options{KillSwitch: tunnel.KillSwitchAuto, AllowLAN: true}); err != nil {
		t.Fatal(err)
	}
	if info, _ := svc.Get("home"); info.KillSwitch != tunnel.KillSwitchActive {
		t.Fatalf("home's kill switch is %s, want active", info.KillSwitch)
	}
	s.serveFakeService(svc)

	shots := os.Getenv("WGDESK_SCREENSHOT_DIR")
	if shots == "" {
		shots = s.dir
	}
	p := s.startApp()
	window := p.waitWindow(t, s.display, "wgdesk — connected: home")
	shot := filepath.Join(shots, "kill-switch-window.png")
	p.poll(t, "a screenshot of the loaded window", func() bool {
		if out, err := run(t, "import", "-display", s.display, "-window", window, shot); err != nil {
			t.Fatalf("screenshot: %v\n%s", err, out)
		}
		return distinctColours(t, shot) > 400
	})
	if _, err := exec.LookPath("tesseract"); err != nil {
		t.Logf("tesseract is missing: the screenshot's text is not checked")
		return
	}
	// Reading takes seconds: a few tries, a frame apart, are enough.
	var text string
	for try := 0; ; try++ {
		text = ocrText(t, shot)
		if strings.Contains(text, "Leak protection") && strings.Contains(text, "Block traffic outside the tunnel") &&
			strings.Contains(text, "Allow local network") && strings.Contains(text, "except the local network") {
			break
		}
		if try == 3 {
			t.Fatalf("the screenshot lacks the Leak protection card with its checks:\n%s", text)
		}
		time.Sleep(time.Second)
		if out, err := run(t, "import", "-display", s.display, "-window", window, shot); err != nil {
			t.Fatalf("screenshot: %v\n%s", err, out)
		}
	}
	t.Logf("screenshot: %s", shot)
}

// serveFakeService serves svc, with its times moved to the present, on
// a socket of its own, as serveFake does with its two split tunnels.
func (s *smoke) serveFakeService(svc *apitest.Service) {
	t := s.t
	t.Helper()
	s.svc = svc
	s.socket = filepath.Join(s.dir, "wgdesk.sock")
	ln, err := api.Listen(s.socket)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- api.Serve(ctx, ln, freshService{svc}, api.Options{
			Access:     &api.Access{PeerCred: func(net.Conn) (api.Cred, error) { return api.Cred{}, nil }},
			ConfigJSON: func(c *config.Config) any { return cli.NewConfigJSON(c, nil) },
		})
	}()
	t.Cleanup(func() { cancel(); <-served })
}

// roadWarriorConfig is a RouterOS road-warrior config with fresh keys
// whose peer routes allowed.
func roadWarriorConfig(t *testing.T, allowed string) string {
	t.Helper()
	priv, err := config.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	peer, err := config.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return "[Interface]\nPrivateKey = " + priv.String() + "\nAddress = 192.168.100.2/24\nDNS = 192.168.100.1\n" +
		"[Peer]\nPublicKey = " + peer.PublicKey().String() + "\nAllowedIPs = " + allowed +
		"\nEndpoint = 203.0.113.7:13231\nPersistentKeepalive = 25\n"
}

// ocrText reads the text of a screenshot: twice the size in grey, which
// tesseract reads far better than the screen's small type.
func ocrText(t *testing.T, png string) string {
	t.Helper()
	big := strings.TrimSuffix(png, ".png") + "-ocr.png"
	defer os.Remove(big)
	if out, err := run(t, "convert", png, "-colorspace", "Gray", "-resize", "200%", big); err != nil {
		t.Fatalf("convert: %v\n%s", err, out)
	}
	out, err := exec.Command("tesseract", big, "stdout").Output()
	if err != nil {
		t.Fatalf("tesseract: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}
