package cli

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/config"
)

// import --scope rewrites the AllowedIPs of a full tunnel before storing
// it, and leaves a split tunnel alone.
func TestImportScope(t *testing.T) {
	e := newEnv(t)
	full := e.writeFile("home.conf", fullConfigText("10.66.0.2/32"))
	allowed := func(name string) string {
		t.Helper()
		cfg, err := e.svc.Config(name)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, p := range cfg.Peers[0].AllowedIPs {
			s = append(s, p.String())
		}
		return strings.Join(s, ", ")
	}
	e.must("import", "--name", "keep", full)
	if got := allowed("keep"); got != "0.0.0.0/0, ::/0" {
		t.Errorf("no --scope: %s", got)
	}
	e.must("import", "--name", "all", "--scope", "all", full)
	if got := allowed("all"); got != "0.0.0.0/0, ::/0" {
		t.Errorf("--scope all: %s", got)
	}
	// The config's DNS 10.66.0.1 suggests 10.66.0.0/24; its address is
	// a /32 in the same /24.
	e.must("import", "--name", "router", "--scope", "router", full)
	if got := allowed("router"); got != "10.66.0.0/24" {
		t.Errorf("--scope router: %s", got)
	}
	e.must("import", "--name", "router2", "--scope", "router", "--networks", "192.168.88.0/24, 10.66.0.0/24", full)
	if got := allowed("router2"); got != "10.66.0.0/24, 192.168.88.0/24" {
		t.Errorf("--scope router --networks: %s", got)
	}
	e.must("import", "--name", "private", "--scope", "private", full)
	cfg, _ := e.svc.Config("private")
	if config.ScopeOf(cfg) != config.ScopePrivate || !strings.Contains(allowed("private"), "10.66.0.1/32") || !strings.HasSuffix(allowed("private"), "::/0") {
		t.Errorf("--scope private: %s", allowed("private"))
	}
	e.must("import", "--name", "split", "--scope", "private", e.writeFile("split.conf", testConfigText("10.66.0.3/32")))
	if got := allowed("split"); got != "10.66.0.0/24, 192.168.88.0/24" {
		t.Errorf("split tunnel with --scope: %s", got)
	}
	for _, bad := range [][]string{{"--scope", "most"}, {"--networks", "10.0.0.0/8"}, {"--scope", "router", "--networks", "home"}} {
		if code, _, errOut := e.run("import", append(append([]string{"--name", "bad"}, bad...), full)...); code != exitUsage && code != exitFail || errOut == "" {
			t.Errorf("import %v: exit %d, %q", bad, code, errOut)
		}
	}
}

// The service's collision warnings are printed after the parser's (which
// keep the original file's lines), and status shows them.
func TestImportAndStatusPrintCollisionWarnings(t *testing.T) {
	e := newEnv(t)
	e.svc.SetConnectedSubnets([]config.LocalSubnet{{Prefix: netip.MustParsePrefix("192.168.88.0/24"), Interface: "wlan0"}})
	out := e.must("import", "--name", "office", e.writeFile("office.conf", testConfigText("10.66.0.3/32")))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "  warning: line ") ||
		!strings.HasPrefix(lines[2], "  warning: the tunnel's 192.168.88.0/24 is also the LAN on wlan0") {
		t.Errorf("import output:\n%s", out)
	}
	if out := e.must("up", "office"); !strings.Contains(out, "office is active on wg-office\n  warning: the tunnel's 192.168.88.0/24 is also the LAN on wlan0") {
		t.Errorf("up output:\n%s", out)
	}
	if out := e.must("status", "office"); !strings.Contains(out, "\n  warning: the tunnel's 192.168.88.0/24 is also the LAN on wlan0") {
		t.Errorf("status:\n%s", out)
	}
	if out := e.must("status", "office", "--json"); !strings.Contains(out, `"warnings": [`) {
		t.Errorf("status --json:\n%s", out)
	}
}
