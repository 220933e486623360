package linux

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fakeTools log each call, one line with its arguments, to $CALLS;
// getent finds no group, as on a machine that never had wgdesk.
var fakeTools = map[string]string{
	"systemctl": "#!/bin/sh\necho \"systemctl $*\" >>\"$CALLS\"\n",
	"groupadd":  "#!/bin/sh\necho \"groupadd $*\" >>\"$CALLS\"\n",
	"getent":    "#!/bin/sh\necho \"getent $*\" >>\"$CALLS\"\nexit 2\n",
}

// TestMaintainerScripts runs each maintainer script with the arguments
// dpkg and rpm pass, on a machine where systemd runs (/run/systemd/system
// exists), and records which commands it runs and whether it deletes the
// state: what CI, where systemd is not PID 1, cannot see in the package
// test. Each run is in a mount namespace of its own with tmpfs on /run
// and /var/lib, so nothing of the host changes; systemctl, groupadd and
// getent are fakes that log their calls.
func TestMaintainerScripts(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the scripts run in a mount namespace of their own: run as root")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("no unshare (util-linux)")
	}
	fakes := t.TempDir()
	for name, text := range fakeTools {
		if err := os.WriteFile(filepath.Join(fakes, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var b strings.Builder
	for _, c := range []struct{ script, arg string }{
		{"postinst.sh", "configure"},     // dpkg: install and upgrade
		{"postinst.sh", "1"},             // rpm: install
		{"postinst.sh", "2"},             // rpm: upgrade
		{"postinst.sh", "abort-upgrade"}, // dpkg: nothing to do
		{"prerm.sh", "upgrade"},          // dpkg: the new postinst restarts
		{"prerm.sh", "1"},                // rpm: upgrade
		{"prerm.sh", "remove"},           // dpkg
		{"prerm.sh", "0"},                // rpm: erase
		{"postrm.sh", "remove"},          // dpkg: the state stays
		{"postrm.sh", "0"},               // rpm: erase, the state stays
		{"postrm.sh", "purge"},           // dpkg: the state goes
	} {
		calls := filepath.Join(t.TempDir(), "calls")
		script, err := filepath.Abs(c.script)
		if err != nil {
			t.Fatal(err)
		}
		// In the namespace: a systemd that runs, stored tunnels, then the
		// script; afterwards, whether the state is still there.
		inner := `set -e
mount -t tmpfs wgdesk-test /run
mount -t tmpfs wgdesk-test /var/lib
mkdir -p /run/systemd/system /run/wgdesk /var/lib/wgdesk/tunnels
touch /var/lib/wgdesk/tunnels/office.conf
status=0
sh "$SCRIPT" "$ARG" >/dev/null 2>&1 || status=$?
echo "exit $status" >>"$CALLS"
[ -e /var/lib/wgdesk/tunnels/office.conf ] || echo "state deleted" >>"$CALLS"
[ -e /run/wgdesk ] || echo "runtime directory deleted" >>"$CALLS"
`
		cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", inner)
		cmd.Env = append(os.Environ(), "PATH="+fakes+":"+os.Getenv("PATH"), "CALLS="+calls, "SCRIPT="+script, "ARG="+c.arg, "SUDO_USER=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", c.script, c.arg, err, out)
		}
		got, err := os.ReadFile(calls)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("$ " + c.script + " " + c.arg + "\n" + string(got))
	}
	golden.Check(t, filepath.Join("testdata", "scripts.golden"), b.String(), *update)
}
