package cli

import (
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/platform"
)

// fullConfigText routes everything into the tunnel: the kill switch
// applies to it.
func fullConfigText(addr string) string {
	return strings.Replace(testConfigText(addr), "AllowedIPs = 10.66.0.0/24, 192.168.88.0/24", "AllowedIPs = 0.0.0.0/0, ::/0", 1)
}

func TestSetVerbAndKillSwitchStatus(t *testing.T) {
	e := newEnv(t)
	e.must("import", "--name", "home", e.writeFile("home.conf", fullConfigText("10.66.0.2/32")))
	e.must("import", "--name", "office", e.writeFile("office.conf", testConfigText("10.66.0.3/32")))

	// A platform that enforces no kill switch (the fake's default):
	// status says so rather than claim it is on.
	if out := e.must("status", "home"); !strings.Contains(out, "  kill switch: on, but not available on this system yet\n") {
		t.Errorf("status without a firewall:\n%s", out)
	}
	if out := e.must("status", "office"); strings.Contains(out, "kill switch") {
		t.Errorf("a split tunnel shows a kill switch:\n%s", out)
	}
	out := e.must("set", "office", "killswitch=on")
	if !strings.Contains(out, "office: kill switch on, allow LAN off") || !strings.Contains(out, "not used, this tunnel does not route all traffic") {
		t.Errorf("set on a split tunnel:\n%s", out)
	}

	// A system whose firewall enforces the kill switch but not Allow LAN.
	e.svc.SetFirewall(platform.FirewallSupport{KillSwitch: true})
	if out := e.must("status", "home"); !strings.Contains(out, "  kill switch: on (blocks everything outside the tunnel while it is up)\n") {
		t.Errorf("status of an inactive full tunnel:\n%s", out)
	}
	e.must("up", "home")
	if out := e.must("status", "home"); !strings.Contains(out, "  kill switch: on (blocking everything outside the tunnel)\n") {
		t.Errorf("status of an active full tunnel:\n%s", out)
	}
	code, _, errOut := e.run("set", "home", "allowlan=on")
	if code != 1 || !strings.Contains(errOut, "allow lan is not available on this system yet") {
		t.Errorf("allow lan without support: exit %d, %q", code, errOut)
	}
	out = e.must("set", "home", "KillSwitch=OFF")
	if out != "home: kill switch off, allow LAN off\n  kill switch: off\n" {
		t.Errorf("set killswitch=off:\n%s", out)
	}
	if out := e.must("status", "home", "--json"); !strings.Contains(out, `"kill_switch": "off"`) {
		t.Errorf("status --json:\n%s", out)
	}

	// Only the named setting changes.
	e.svc.SetFirewall(platform.FirewallSupport{KillSwitch: true, AllowLAN: true})
	e.must("set", "home", "allowlan=on")
	out = e.must("set", "home", "killswitch=auto")
	if out != "home: kill switch auto, allow LAN on\n  kill switch: on (blocking everything outside the tunnel except the local network)\n" {
		t.Errorf("set killswitch=auto kept allow LAN?\n%s", out)
	}
	if out := e.must("status", "home", "--json"); !strings.Contains(out, `"kill_switch": "active"`) || !strings.Contains(out, `"allow_lan": true`) {
		t.Errorf("status --json:\n%s", out)
	}
}

func TestSetVerbUsage(t *testing.T) {
	e := newEnv(t)
	e.must("import", "--name", "home", e.writeFile("home.conf", fullConfigText("10.66.0.2/32")))
	for _, args := range [][]string{
		{"home"},
		{"home", "killswitch"},
		{"home", "killswitch=maybe"},
		{"home", "allowlan=sometimes"},
		{"home", "dns=off"},
		{"home", "killswitch=on", "killswitch=off"},
		{"home", "killswitch=on", "allowlan=on", "x=y"},
	} {
		code, _, errOut := e.run("set", args...)
		if code != 2 || !strings.Contains(errOut, "Usage: wgdesk set "+setUsage) {
			t.Errorf("set %v: exit %d, %q", args, code, errOut)
		}
	}
	if code, _, errOut := e.run("set", "nope", "killswitch=off"); code != 1 || !strings.Contains(errOut, "wgdesk list") {
		t.Errorf("set on an unknown tunnel: exit %d, %q", code, errOut)
	}
}

// autostart=on|off ("connect at startup") is a setting like the others,
// for a split tunnel too; it keeps the kill switch and shows in status.
func TestSetAutostart(t *testing.T) {
	e := newEnv(t)
	e.must("import", "--name", "office", e.writeFile("office.conf", testConfigText("10.66.0.3/32")))
	e.must("set", "office", "killswitch=off")
	out := e.must("set", "office", "autostart=on")
	want := "office: kill switch off, allow LAN off\n" +
		"  kill switch: not used, this tunnel does not route all traffic (0.0.0.0/0 or ::/0)\n" +
		"  connect at startup: on (the service brings it up when it starts and the network is online)\n"
	if out != want {
		t.Errorf("set autostart=on:\n%s\nwant:\n%s", out, want)
	}
	if out := e.must("status", "office"); !strings.Contains(out, "  connect at startup: on") {
		t.Errorf("status:\n%s", out)
	}
	if out := e.must("status", "office", "--json"); !strings.Contains(out, `"autostart": true`) {
		t.Errorf("status --json:\n%s", out)
	}
	if out := e.must("set", "office", "Auto-Start=OFF", "allowlan=off"); !strings.HasSuffix(out, "  connect at startup: off\n") {
		t.Errorf("set autostart=off:\n%s", out)
	}
	if out := e.must("status", "office"); strings.Contains(out, "connect at startup") {
		t.Errorf("status shows autostart off:\n%s", out)
	}
	for _, bad := range [][]string{{"office", "autostart=maybe"}, {"office", "autostart=on", "auto_start=off"}} {
		if code, _, errOut := e.run("set", bad...); code != 2 || !strings.Contains(errOut, "autostart") {
			t.Errorf("set %v: exit %d, %q", bad, code, errOut)
		}
	}
}
