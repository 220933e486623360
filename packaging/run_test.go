package packaging

import (
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
)

// fakeApp stands in for bin/wgdesk: it writes who it runs as, which
// user runs the service on its socket, and whether that service answers
// it, then exits with status 3.
const fakeApp = `#!/bin/sh
d=$(dirname "$0")
{
	echo "uid=$(id -u)"
	echo "groups=$(id -G)"
	echo "home=$HOME display=$DISPLAY"
	echo "service=$(ps -o user= -p "$(pgrep -f -- "service --verbose --socket $2" | head -n 1)")"
	if "$d/wgdesk-service" list --socket "$2" >/dev/null 2>&1; then echo list=ok; else echo list=refused; fi
} >"$d/out/app.txt" 2>&1
exit 3
`

// TestRunScript runs packaging/run.sh, which make run uses on a desktop,
// with the real service and a fake app: the service runs as root, the app
// as the user who called sudo (nobody here) with the group wgdesk, and
// the service answers it; the service stops when the app quits, and the
// app's exit status is the script's. Without a user who called sudo, the
// app runs as root with a warning.
func TestRunScript(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("run.sh starts the service as root; run as root")
	}
	for _, p := range []string{"setpriv", "getent", "groupadd", "pgrep"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("no %s: %v", p, err)
		}
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody to run the app as")
	}
	if _, err := user.LookupGroup("wgdesk"); err != nil {
		// run.sh creates it; remove it again afterwards.
		t.Cleanup(func() { exec.Command("groupdel", "wgdesk").Run() })
	}
	script, err := filepath.Abs("run.sh")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// nobody must reach the socket and run the programs in dir.
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	svc := filepath.Join(dir, "wgdesk-service")
	build := exec.Command("go", "build", "-o", svc, "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	app := filepath.Join(dir, "wgdesk")
	if err := os.WriteFile(app, []byte(fakeApp), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "out"), 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, "out"), 0o777)
	socket := filepath.Join(dir, "run", "wgdesk.sock")

	run := func(sudoUser string) (string, string) {
		t.Helper()
		os.Remove(filepath.Join(dir, "out", "app.txt"))
		cmd := exec.Command("sh", script, app, svc)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "DISPLAY=:97", "LANG=C.UTF-8",
			"WGDESK_SOCKET=" + socket, "WGDESK_STATE_DIR=" + filepath.Join(dir, "state")}
		if sudoUser != "" {
			cmd.Env = append(cmd.Env, "SUDO_USER="+sudoUser)
		}
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 3 {
			t.Fatalf("run.sh: %v, want the app's exit status 3\n%s", err, out)
		}
		got, err := os.ReadFile(filepath.Join(dir, "out", "app.txt"))
		if err != nil {
			t.Fatalf("the app did not run: %v\n%s", err, out)
		}
		// The service is gone with the app.
		if _, err := os.Stat(socket); err == nil {
			t.Errorf("the socket is still there after the app quit\n%s", out)
		}
		if err := exec.Command("pgrep", "-f", "--", "service --verbose --socket "+socket).Run(); err == nil {
			t.Errorf("the service still runs after the app quit\n%s", out)
		}
		return string(got), string(out)
	}

	got, out := run("nobody")
	g, err := user.LookupGroup("wgdesk")
	if err != nil {
		t.Fatalf("run.sh did not create the group wgdesk: %v\n%s", err, out)
	}
	for _, want := range []string{"uid=" + nobody.Uid + "\n", "service=root\n", "list=ok\n", "display=:97\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("the app wrote\n%s\nwant %q\n(run.sh said:\n%s)", got, want, out)
		}
	}
	if groups := strings.Fields(strings.TrimPrefix(strings.SplitN(got, "\n", 3)[1], "groups=")); !contains(groups, g.Gid) {
		t.Errorf("the app's groups %v lack wgdesk (%s)", groups, g.Gid)
	}
	if strings.Contains(out, "warning") {
		t.Errorf("run.sh warned with a desktop user:\n%s", out)
	}

	// Root logged in directly: the app runs as root, with a warning.
	got, out = run("")
	if !strings.Contains(got, "uid=0\n") || !strings.Contains(got, "list=ok\n") {
		t.Errorf("as root, the app wrote\n%s", got)
	}
	if !strings.Contains(out, "warning: no desktop user") {
		t.Errorf("run.sh did not warn that the app runs as root:\n%s", out)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestMakeRunUsesRunScript: make run on a desktop goes through run.sh
// and no longer starts the app itself as root.
func TestMakeRunUsesRunScript(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	cmd := exec.Command("make", "-n", "-C", "..", "run")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n run: %v\n%s", err, out)
	}
	// The app itself is never started by make run's recipe.
	if !strings.Contains(string(out), "packaging/run.sh bin/wgdesk bin/wgdesk-service") || strings.Contains(string(out), "DBUS_SESSION_BUS_ADDRESS\" bin/wgdesk") {
		t.Fatalf("make run's desktop branch does not use packaging/run.sh:\n%s", out)
	}
}
