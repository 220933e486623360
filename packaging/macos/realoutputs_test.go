//go:build !windows

package macos

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Stand-ins for the tools real-outputs.sh records, answering from files
// in $FAKE_STATE (so a test can change the machine between phases).
var realOutputTools = map[string]string{
	"route":    `cat "$FAKE_STATE/route"`,
	"netstat":  `cat "$FAKE_STATE/netstat-$3"`,
	"ifconfig": `printf 'lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 16384\n'`,
	"scutil":   `printf 'DNS configuration\n'`,
	"pfctl":    `echo "pfctl $*"`,
	"sw_vers":  `echo 15.5`,
	"uname":    `echo arm64`,
	"networksetup": `case $1 in
-listallnetworkservices) printf 'An asterisk (*) denotes that a network service is disabled.\nUSB 10/100/1000 LAN\nWi-Fi\n*Thunderbolt Bridge\n' ;;
-getdnsservers) f="$FAKE_STATE/dns-$(printf '%s' "$2" | tr ' /' '__')"; if [ -f "$f" ]; then cat "$f"; else echo "There aren't any DNS Servers set on $2."; fi ;;
-getsearchdomains) echo "There aren't any Search Domains set on $2." ;;
esac`,
}

func runRealOutputs(t *testing.T, state string, args ...string) (string, error) {
	t.Helper()
	bin := t.TempDir()
	for name, body := range realOutputTools {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("bash", append([]string{"real-outputs.sh"}, args...)...)
	cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "FAKE_STATE=" + state, "SOURCE_URL=https://example.invalid/run/1"}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func writeState(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const netstatBefore = `Routing tables

Internet:
Destination        Gateway            Flags               Netif Expire
default            192.168.64.1       UGScg                 en0
192.168.64         link#6             UCS                   en0      !
192.168.64.1       aa:bb:cc:dd:ee:ff  UHLWIir               en0   1187
`

func TestRealOutputsRecordAndCompare(t *testing.T) {
	state, out := t.TempDir(), t.TempDir()
	writeState(t, state, map[string]string{
		"route":         "   route to: default\n  interface: en0\n",
		"netstat-inet":  netstatBefore,
		"netstat-inet6": "Routing tables\n",
	})
	for _, phase := range []string{"before", "full-up"} {
		if msg, err := runRealOutputs(t, state, "record", out, phase); err != nil {
			t.Fatalf("record %s: %v\n%s", phase, err, msg)
		}
	}
	var names []string
	files, _ := filepath.Glob(filepath.Join(out, "before", "*.txt"))
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	want := []string{
		"ifconfig.txt", "netstat-nr-inet.txt", "netstat-nr-inet6.txt",
		"networksetup-getdnsservers-Thunderbolt_Bridge.txt", "networksetup-getdnsservers-USB_10_100_1000_LAN.txt", "networksetup-getdnsservers-Wi-Fi.txt",
		"networksetup-getsearchdomains-Thunderbolt_Bridge.txt", "networksetup-getsearchdomains-USB_10_100_1000_LAN.txt", "networksetup-getsearchdomains-Wi-Fi.txt",
		"networksetup-listallnetworkservices.txt", "route-get-default-inet6.txt", "route-get-default.txt", "scutil-dns.txt",
	}
	if !slices.Equal(names, want) {
		t.Errorf("before: %q, want %q", names, want)
	}
	data, err := os.ReadFile(filepath.Join(out, "before", "networksetup-getdnsservers-USB_10_100_1000_LAN.txt"))
	if err != nil {
		t.Fatal(err)
	}
	wantFile := "# source: https://example.invalid/run/1\n# command: networksetup -getdnsservers USB 10/100/1000 LAN\n# note: macOS 15.5 on arm64, phase before\nThere aren't any DNS Servers set on USB 10/100/1000 LAN.\n"
	if string(data) != wantFile {
		t.Errorf("recorded\n%s\nwant\n%s", data, wantFile)
	}
	if _, err := os.Stat(filepath.Join(out, "before", "pfctl-wgdesk-rules.txt")); err == nil {
		t.Error("pf rules recorded before the kill switch")
	}
	if data, err := os.ReadFile(filepath.Join(out, "full-up", "pfctl-wgdesk-rules.txt")); err != nil || !strings.Contains(string(data), "pfctl -a com.apple/190.wgdesk -s rules") {
		t.Errorf("full-up pf rules: %q, %v", data, err)
	}

	// After: an ARP entry gone and its expiry changed do not count; a
	// DNS server left behind and a route left behind do.
	writeState(t, state, map[string]string{"netstat-inet": strings.Replace(netstatBefore, "192.168.64.1       aa:bb:cc:dd:ee:ff  UHLWIir               en0   1187\n", "", 1)})
	if msg, err := runRealOutputs(t, state, "record", out, "full-down"); err != nil {
		t.Fatalf("record: %v\n%s", err, msg)
	}
	if msg, err := runRealOutputs(t, state, "compare", out, "before", "full-down"); err != nil {
		t.Errorf("compare after a clean down: %v\n%s", err, msg)
	}
	writeState(t, state, map[string]string{"dns-Wi-Fi": "10.213.0.53\n"})
	if msg, err := runRealOutputs(t, state, "record", out, "split-down"); err != nil {
		t.Fatalf("record: %v\n%s", err, msg)
	}
	if msg, err := runRealOutputs(t, state, "compare", out, "before", "split-down"); err == nil || !strings.Contains(msg, "networksetup-getdnsservers-Wi-Fi.txt differs") {
		t.Errorf("compare with a DNS server left: %v\n%s", err, msg)
	}
	writeState(t, state, map[string]string{"dns-Wi-Fi": "There aren't any DNS Servers set on Wi-Fi.\n", "netstat-inet": netstatBefore + "198.51.100/24      link#20            UCS                 utun4\n"})
	if msg, err := runRealOutputs(t, state, "record", out, "split-down"); err != nil {
		t.Fatalf("record: %v\n%s", err, msg)
	}
	if msg, err := runRealOutputs(t, state, "compare", out, "before", "split-down"); err == nil || !strings.Contains(msg, "routes differ") {
		t.Errorf("compare with a route left: %v\n%s", err, msg)
	}
}
