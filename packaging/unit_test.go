package packaging

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// serviceSettings gives the [Service] section's settings, each key with
// all its values in order.
func serviceSettings(t *testing.T) map[string][]string {
	t.Helper()
	settings := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(SystemdUnit))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = line
		case section == "[Service]":
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("unit line %q is not key=value", line)
			}
			settings[k] = append(settings[k], v)
		}
	}
	return settings
}

// TestUnitHardening: the sandbox issue #10 asks for, the capabilities the
// service uses and no others, and none of the settings that would break
// what it does (it opens /dev/net/tun, writes
// /proc/sys/net/ipv4/conf/all/src_valid_mark and reads the
// /proc/PID/status of its callers).
func TestUnitHardening(t *testing.T) {
	s := serviceSettings(t)
	want := map[string]string{
		"ProtectSystem":           "strict",
		"ProtectKernelModules":    "true",
		"ProtectHome":             "true",
		"PrivateTmp":              "true",
		"NoNewPrivileges":         "true",
		"RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6 AF_NETLINK",
		"SystemCallFilter":        "@system-service",
		"LimitCORE":               "0",
		"StateDirectory":          "wgdesk",
		"RuntimeDirectory":        "wgdesk",
		"RuntimeDirectoryMode":    "0755",
	}
	for k, v := range want {
		if got := s[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s=%q, want %q", k, got, v)
		}
	}
	caps := strings.Fields(strings.Join(s["CapabilityBoundingSet"], " "))
	slices.Sort(caps)
	if wantCaps := []string{"CAP_CHOWN", "CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE"}; !slices.Equal(caps, wantCaps) {
		t.Errorf("CapabilityBoundingSet %v, want %v", caps, wantCaps)
	}
	// Direct DNS mode writes /etc/resolv.conf in place; the leading "-"
	// lets the unit start where the file does not exist.
	rw := strings.Fields(strings.Join(s["ReadWritePaths"], " "))
	for _, p := range []string{"-/etc/resolv.conf", "-/run/resolvconf"} {
		if !slices.Contains(rw, p) {
			t.Errorf("ReadWritePaths %v lacks %s", rw, p)
		}
	}
	for _, p := range rw {
		if p == "/etc" || p == "-/etc" || p == "/" {
			t.Errorf("ReadWritePaths opens %s, which ProtectSystem=strict is there to protect", p)
		}
	}
	for _, k := range []string{"ProtectKernelTunables", "PrivateDevices", "ProtectProc", "ProcSubset", "DevicePolicy", "PrivateNetwork", "ProtectClock"} {
		if v, ok := s[k]; ok {
			t.Errorf("%s=%v would break the service (TUN devices, src_valid_mark, callers' groups)", k, v)
		}
	}
}

// TestUnitAnalyze runs systemd-analyze on the unit, where it is installed:
// the unit must verify, and its exposure score stay at 3.1 or below (the
// README quotes it).
func TestUnitAnalyze(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("no systemd-analyze: install systemd to check the unit")
	}
	dir := t.TempDir()
	unit := filepath.Join(dir, "wgdesk.service")
	if err := os.WriteFile(unit, []byte(SystemdUnit), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("systemd-analyze", "verify", "--man=no", unit).CombinedOutput()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		// The packaged program is not installed here.
		if line != "" && !strings.Contains(line, "is not executable") {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
	cmd := exec.Command("systemd-analyze", "security", "--offline=yes", "--threshold=31", unit)
	if out, err := cmd.CombinedOutput(); err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		t.Errorf("systemd-analyze security: %v: %s", err, lines[len(lines)-1])
	}
}
