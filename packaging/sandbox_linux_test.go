package packaging

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sandboxScript reproduces, in the mount namespace of `unshare -m`, the
// unit's ProtectSystem=strict with ReadWritePaths: the whole tree read-only
// but for bind mounts of the writable paths (/proc, /sys and /dev are
// mounts of their own and stay as they are, as under systemd). $1 is the
// test's directory: state, run and out are the service's writable
// directories, etc/resolv.conf the one writable file in a read-only etc.
const sandboxScript = `set -e
d=$1; shift
{
	mount --make-rprivate /
	for p in state run out etc/resolv.conf; do mount --bind "$d/$p" "$d/$p"; done
	mount -o remount,bind,ro /
} || { echo "SANDBOX-UNAVAILABLE: cannot remount / read-only here" >&2; exit 99; }
exec "$@"
`

// TestUnitSandbox runs the real service under the unit's restrictions as
// far as they can be reproduced without systemd as PID 1: the capability
// bounding set taken from the unit (through setpriv, with no new
// privileges), a read-only file system but for the unit's writable paths,
// and a network namespace of its own. A tunnel with a ListenPort below
// 1024, a full-tunnel AllowedIPs (policy rules, fwmark, src_valid_mark) and
// direct-mode DNS goes up and down. strace records the system calls and
// socket families: they must all be in the unit's SystemCallFilter
// (@system-service, expanded by systemd-analyze) and
// RestrictAddressFamilies, so that a unit which forbids what the service
// does fails here and not on a user's machine.
func TestUnitSandbox(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: a network namespace and the service")
	}
	for _, p := range []string{"ip", "ss", "unshare", "setpriv", "strace", "systemd-analyze"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("no %s: %v", p, err)
		}
	}
	s := serviceSettings(t)
	allowed := allowedSyscalls(t, s["SystemCallFilter"])
	families := strings.Fields(strings.Join(s["RestrictAddressFamilies"], " "))
	var bset []string
	for _, c := range strings.Fields(strings.Join(s["CapabilityBoundingSet"], " ")) {
		bset = append(bset, "+"+strings.ToLower(strings.TrimPrefix(c, "CAP_")))
	}

	dir := t.TempDir()
	for _, p := range []string{"state", "run", "out", "etc"} {
		if err := os.Mkdir(filepath.Join(dir, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	resolv := filepath.Join(dir, "etc", "resolv.conf")
	const original = "nameserver 192.0.2.53\n"
	if err := os.WriteFile(resolv, []byte(original), 0o644); err != nil {
		t.Fatal(err)
	}
	svc := filepath.Join(dir, "wgdesk-service")
	build := exec.Command("go", "build", "-o", svc, "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ns := fmt.Sprintf("wgdesk-unit-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	if out, err := exec.Command("ip", "-n", ns, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up: %v: %s", err, out)
	}

	socket := filepath.Join(dir, "run", "wgdesk.sock")
	trace := filepath.Join(dir, "out", "trace")
	cmd := exec.Command("ip", "netns", "exec", ns, "unshare", "-m", "sh", "-c", sandboxScript, "sandbox", dir,
		"setpriv", "--bounding-set=-all,"+strings.Join(bset, ","), "--inh-caps=-all", "--no-new-privs",
		"strace", "-f", "-qq", "-o", trace,
		svc, "service", "--verbose", "--socket", socket, "--state-dir", filepath.Join(dir, "state"),
		"--dns-mode", "direct", "--resolv-conf", resolv)
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		// SIGTERM to the service itself, strace's child (ip netns
		// exec, unshare, sh and setpriv each exec the next, so strace
		// has cmd's pid); strace ends with it.
		pid := cmd.Process.Pid
		children, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
		for _, c := range strings.Fields(string(children)) {
			if n, err := strconv.Atoi(c); err == nil {
				syscall.Kill(n, syscall.SIGTERM)
			}
		}
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("the service did not stop on SIGTERM\n%s", log.String())
		}
	}
	t.Cleanup(stop)

	cli := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(svc, append(args, "--socket", socket)...).CombinedOutput()
		if err != nil {
			t.Fatalf("wgdesk %s: %v\n%s\nservice log:\n%s", strings.Join(args, " "), err, out, log.String())
		}
		return string(out)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := exec.Command(svc, "list", "--socket", socket).CombinedOutput(); err == nil {
			break
		}
		select {
		case err := <-exited:
			var exit *exec.ExitError
			if errors.As(err, &exit) && exit.ExitCode() == 99 {
				t.Skipf("%s", strings.TrimSpace(log.String()))
			}
			t.Fatalf("the service ended: %v\n%s", err, log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the service does not answer\n%s", log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}

	conf := filepath.Join(dir, "sandbox.conf")
	text := fmt.Sprintf("[Interface]\nPrivateKey = %s\nAddress = 10.77.0.2/32\nDNS = 10.77.0.1\nListenPort = 443\n\n"+
		"[Peer]\nPublicKey = %s\nEndpoint = 127.0.0.1:51820\nAllowedIPs = 0.0.0.0/0\n", testKey(t), testKey(t))
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cli("import", "--name", "sandbox", conf)
	cli("up", "sandbox")
	if got, _ := os.ReadFile(resolv); !strings.Contains(string(got), "nameserver 10.77.0.1") {
		t.Errorf("direct DNS did not reach the writable resolv.conf:\n%s", got)
	}
	if out, _ := exec.Command("ip", "netns", "exec", ns, "ss", "-lun").CombinedOutput(); !strings.Contains(string(out), ":443 ") {
		t.Errorf("ListenPort 443 is not bound (CAP_NET_BIND_SERVICE):\n%s", out)
	}
	if out, _ := exec.Command("ip", "-n", ns, "rule").CombinedOutput(); !strings.Contains(string(out), "fwmark") {
		t.Errorf("no fwmark rule for the full tunnel:\n%s", out)
	}
	cli("down", "sandbox")
	if got, _ := os.ReadFile(resolv); string(got) != original {
		t.Errorf("resolv.conf after down:\n%s\nwant:\n%s", got, original)
	}
	stop()

	used, fams := traceCalls(t, trace)
	var outside []string
	for _, c := range used {
		if !allowed[c] {
			outside = append(outside, c)
		}
	}
	if len(outside) > 0 {
		t.Errorf("the service made system calls outside SystemCallFilter=%v: %v", s["SystemCallFilter"], outside)
	}
	for _, f := range fams {
		if !slices.Contains(families, f) {
			t.Errorf("the service opened an %s socket, outside RestrictAddressFamilies=%v", f, families)
		}
	}
	if len(used) < 20 {
		t.Errorf("strace saw only %d system calls: %v", len(used), used)
	}
	t.Logf("%d distinct system calls, socket families %v", len(used), fams)
}

// testKey is a random key in a config's base64 form.
func testKey(t *testing.T) string {
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k[:])
}

// allowedSyscalls expands the unit's SystemCallFilter groups with
// systemd-analyze, recursively.
func allowedSyscalls(t *testing.T, filter []string) map[string]bool {
	t.Helper()
	allowed := map[string]bool{}
	seen := map[string]bool{}
	todo := strings.Fields(strings.Join(filter, " "))
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		if !strings.HasPrefix(name, "@") {
			allowed[name] = true
			continue
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		out, err := exec.Command("systemd-analyze", "syscall-filter", name).Output()
		if err != nil {
			t.Fatalf("systemd-analyze syscall-filter %s: %v", name, err)
		}
		lines := strings.Split(string(out), "\n")
		for _, l := range lines[1:] {
			l = strings.TrimSpace(l)
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			todo = append(todo, l)
		}
	}
	return allowed
}

// traceCalls reads strace -f output: the distinct system calls, and the
// address families of socket(2) calls.
func traceCalls(t *testing.T, path string) (calls, families []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	call := regexp.MustCompile(`^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]`)
	family := regexp.MustCompile(`socket\((AF_[A-Z0-9]+)`)
	seenCall, seenFam := map[string]bool{}, map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if m := call.FindStringSubmatch(line); m != nil && !seenCall[m[1]] {
			seenCall[m[1]] = true
			calls = append(calls, m[1])
		}
		if m := family.FindStringSubmatch(line); m != nil && !seenFam[m[1]] {
			seenFam[m[1]] = true
			families = append(families, m[1])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(calls)
	return calls, families
}
