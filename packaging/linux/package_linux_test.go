package linux

// The installed package's test: make test-package builds the .deb and the
// .rpm and runs it as root with WGDESK_DEB and WGDESK_RPM naming them. It
// installs the .deb into this machine's real /usr with dpkg, and removes
// it again through t.Cleanup also when a check fails, together with what
// the test made: the group wgdesk (if it did not exist before), the
// service's directories, and /var/lib/wgdesk (one that existed before is
// moved aside for the test and put back).

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/internal/golden"
	"github.com/wgdesk/wgdesk/internal/netlab"
)

const (
	stateDir   = "/var/lib/wgdesk"
	runtimeDir = "/run/wgdesk"
	unitPath   = "/usr/lib/systemd/system/wgdesk.service"
	wantsLink  = "/etc/systemd/system/multi-user.target.wants/wgdesk.service"
)

// packageFiles are the files the package installs, with their modes; all
// belong to root:root.
var packageFiles = map[string]os.FileMode{
	"/usr/bin/wgdesk":                        0o755,
	"/usr/sbin/wgdesk-service":               0o755,
	unitPath:                                 0o644,
	"/usr/share/applications/wgdesk.desktop": 0o644,
	"/usr/share/metainfo/io.github.wgdesk.wgdesk.metainfo.xml": 0o644,
	"/usr/share/man/man1/wgdesk.1.gz":                          0o644,
	"/usr/share/man/man8/wgdesk-service.8.gz":                  0o644,
	"/usr/share/icons/hicolor/16x16/apps/wgdesk.png":           0o644,
	"/usr/share/icons/hicolor/22x22/apps/wgdesk.png":           0o644,
	"/usr/share/icons/hicolor/24x24/apps/wgdesk.png":           0o644,
	"/usr/share/icons/hicolor/32x32/apps/wgdesk.png":           0o644,
	"/usr/share/icons/hicolor/48x48/apps/wgdesk.png":           0o644,
	"/usr/share/icons/hicolor/64x64/apps/wgdesk.png":           0o644,
	"/usr/share/icons/hicolor/128x128/apps/wgdesk.png":         0o644,
	"/usr/share/icons/hicolor/256x256/apps/wgdesk.png":         0o644,
}

func sortedFiles() []string {
	var out []string
	for f := range packageFiles {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// TestPackageRPMFileList checks that the .rpm installs the same files as
// the .deb: the list above.
func TestPackageRPMFileList(t *testing.T) {
	rpm := os.Getenv("WGDESK_RPM")
	if rpm == "" {
		t.Skip("WGDESK_RPM names no .rpm: run make test-package")
	}
	got := strings.Fields(run(t, "rpm", "-qlp", rpm))
	sort.Strings(got)
	if want := sortedFiles(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rpm -qlp %s:\n%s\nwant:\n%s", rpm, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, s := range []string{"groupadd --system wgdesk", "systemctl restart wgdesk.service", "systemctl stop wgdesk.service"} {
		if scripts := run(t, "rpm", "-qp", "--scripts", rpm); !strings.Contains(scripts, s) {
			t.Errorf("the .rpm's scripts do not run %q:\n%s", s, scripts)
		}
	}
}

// TestPackageDeb installs the .deb, checks what it put where, runs the
// installed service as its unit would in a network lab with a tunnel up
// and down, upgrades the package (the stored tunnel stays; marked
// "connect at startup", it comes up when the service starts again), then
// removes it with the tunnel up and purges it.
func TestPackageDeb(t *testing.T) {
	deb := os.Getenv("WGDESK_DEB")
	if deb == "" {
		t.Skip("WGDESK_DEB names no .deb: run make test-package")
	}
	netlab.RequireRoot(t)
	for _, tool := range []string{"dpkg", "systemd-analyze", "desktop-file-validate", "appstreamcli", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: make test-package installs it", tool)
		}
	}
	if err := exec.Command("dpkg", "-s", "wgdesk").Run(); err == nil {
		t.Fatal("wgdesk is installed on this machine: this test would replace and purge it; remove it first (sudo dpkg -r wgdesk)")
	}
	if exists(filepath.Join(runtimeDir, "wgdesk.sock")) {
		t.Fatalf("%s/wgdesk.sock exists: a wgdesk service seems to run here (make run?); stop it first", runtimeDir)
	}
	groupBefore := exec.Command("getent", "group", "wgdesk").Run() == nil
	t.Logf("the group wgdesk exists before the test: %v (kept afterwards only then)", groupBefore)
	if exists(stateDir) {
		saved := stateDir + ".saved-by-test-package"
		if exists(saved) {
			t.Fatalf("%s exists from an earlier run: put it back to %s or delete it", saved, stateDir)
		}
		if err := os.Rename(stateDir, saved); err != nil {
			t.Fatal(err)
		}
		t.Logf("moved the existing %s aside to %s for the test", stateDir, saved)
		t.Cleanup(func() {
			os.RemoveAll(stateDir)
			if err := os.Rename(saved, stateDir); err != nil {
				t.Errorf("put back %s: %v", stateDir, err)
			}
		})
	} else {
		t.Cleanup(func() { os.RemoveAll(stateDir) })
	}
	// Runs last of the package's clean-ups (after the lab's, which kill
	// the service): whatever the checks did, the package, its
	// enablement, the service's directories and a group the test made go.
	t.Cleanup(func() {
		if exec.Command("dpkg", "-s", "wgdesk").Run() == nil || exists(unitPath) {
			if out, err := exec.Command("dpkg", "--purge", "wgdesk").CombinedOutput(); err != nil {
				t.Errorf("clean-up: dpkg --purge wgdesk: %v\n%s", err, out)
			}
		}
		os.Remove(wantsLink)
		os.RemoveAll(runtimeDir)
		if !groupBefore && exec.Command("getent", "group", "wgdesk").Run() == nil {
			if out, err := exec.Command("groupdel", "wgdesk").CombinedOutput(); err != nil {
				t.Errorf("clean-up: groupdel wgdesk: %v\n%s", err, out)
			}
		}
	})

	out := run(t, "dpkg", "-i", deb)
	t.Logf("dpkg -i:\n%s", out)
	if !strings.Contains(out, "sudo usermod -aG wgdesk") {
		t.Errorf("dpkg -i does not say how to join the group wgdesk:\n%s", out)
	}

	t.Run("files", func(t *testing.T) { checkInstalledFiles(t) })
	t.Run("group", func(t *testing.T) {
		// A system group: its number is below the first user's.
		line := strings.TrimSpace(run(t, "getent", "group", "wgdesk"))
		var gid int
		if f := strings.Split(line, ":"); len(f) < 3 || !parseInt(f[2], &gid) || gid >= 1000 {
			t.Errorf("group wgdesk is %q, want a system group (gid below 1000)", line)
		}
	})
	t.Run("enabled", func(t *testing.T) {
		if dst, err := os.Readlink(wantsLink); err != nil || !strings.HasSuffix(dst, "wgdesk.service") {
			t.Errorf("wgdesk.service is not enabled: %s -> %q, %v", wantsLink, dst, err)
		}
	})
	t.Run("unit", func(t *testing.T) { run(t, "systemd-analyze", "verify", unitPath) })
	t.Run("desktop", func(t *testing.T) { run(t, "desktop-file-validate", "/usr/share/applications/wgdesk.desktop") })
	t.Run("metainfo", func(t *testing.T) {
		const path = "/usr/share/metainfo/io.github.wgdesk.wgdesk.metainfo.xml"
		run(t, "appstreamcli", "validate", "--no-net", path)
		// Software centres show the newest release: it must be this one.
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		version := strings.TrimSpace(run(t, "dpkg-query", "-W", "-f", "${Version}", "wgdesk"))
		if _, rest, _ := strings.Cut(string(text), "<release "); !strings.HasPrefix(rest, `version="`+version+`"`) {
			t.Errorf("the metainfo's newest release is not %s (FyneApp.toml's Version): add a <release> for it first in <releases>", version)
		}
	})
	t.Run("man", func(t *testing.T) {
		for _, page := range []string{"/usr/share/man/man1/wgdesk.1.gz", "/usr/share/man/man8/wgdesk-service.8.gz"} {
			text := run(t, "sh", "-c", "zcat "+page)
			if !strings.Contains(text, ".SH SYNOPSIS") || !strings.Contains(text, ".TP") {
				t.Errorf("%s is no man page with a synopsis and entries:\n%s", page, text)
			}
		}
	})
	if t.Failed() {
		return
	}

	// The service, as its unit starts it.
	execStart := unitExecStart(t)
	if execStart[0] != "/usr/sbin/wgdesk-service" {
		t.Fatalf("the unit's ExecStart runs %q, not the packaged service", execStart[0])
	}
	l := netlab.New(t, netlab.Options{Bin: "/usr/bin/wgdesk", Socket: filepath.Join(runtimeDir, "wgdesk.sock")})
	before := l.FullSnapshot()
	// What systemd makes before ExecStart: RuntimeDirectory=wgdesk with
	// RuntimeDirectoryMode=0755 and StateDirectory=wgdesk with
	// StateDirectoryMode=0700, both root's. The unit's sandbox
	// (ProtectSystem and the rest) is not applied here: systemd is not
	// PID 1 on CI; systemd-analyze verify checked the unit above.
	if err := os.Mkdir(runtimeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(stateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	start := func() *netlab.Service {
		return l.StartServiceWith(netlab.ServiceOptions{Bin: execStart[0], Args: execStart[1:], Bare: true})
	}
	svc := start()

	l.Import("office", "0.0.0.0/0")
	l.Wgdesk("set", "office", "killswitch=on")
	l.Wgdesk("up", "office")
	if err := l.Ping(netlab.OfficeLAN4); err != nil {
		t.Fatalf("through the tunnel: %v", err)
	}
	if st := l.Status("office"); st.State != "active" {
		t.Errorf("status of office after up: %q, want active", st.State)
	}
	l.Wgdesk("down", "office")
	if after := l.FullSnapshot(); after != before {
		t.Fatalf("the namespace after up and down differs from before:\n%s", golden.Diff(before, after))
	}

	// Marked "connect at startup", then an upgrade (the same .deb again:
	// dpkg runs prerm upgrade and postinst configure) while the service
	// is stopped, as on a reboot: the stored tunnel stays, and the
	// service started again brings it up by itself.
	if out := l.Wgdesk("set", "office", "autostart=on"); !strings.Contains(out, "connect at startup: on") {
		t.Fatalf("set office autostart=on:\n%s", out)
	}
	svc.Stop(t)
	// systemd removes the RuntimeDirectory when the service stops and
	// makes it again at the next start.
	if err := os.RemoveAll(runtimeDir); err != nil {
		t.Fatal(err)
	}
	out = run(t, "dpkg", "-i", deb)
	t.Logf("dpkg -i again (upgrade):\n%s", out)
	if err := os.Mkdir(runtimeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	svc = start()
	netlab.WaitFor(t, 20*time.Second, "office up at the service's start", func() bool { return l.Status("office").State == "active" })
	if err := l.Ping(netlab.OfficeLAN4); err != nil {
		t.Fatalf("through the tunnel brought up at start: %v", err)
	}

	// Removal while the tunnel is up: prerm stops the service, which
	// takes the tunnel, its routes, rules, nftables table and DNS down.
	if ks := killSwitch(t, l, "office"); ks != "active" {
		t.Errorf("kill switch of the full tunnel office while up: %q, want active", ks)
	}
	if tables := l.InNS(l.Client, "nft", "list", "tables"); !strings.Contains(tables, "wgdesk") {
		t.Errorf("no wgdesk nftables table while the kill switch is active: %q", tables)
	}
	if l.FullSnapshot() == before {
		t.Fatal("the snapshot does not change while the tunnel is up: the comparisons below would prove nothing")
	}
	out = run(t, "dpkg", "-r", "wgdesk")
	t.Logf("dpkg -r:\n%s", out)
	// prerm sent SIGTERM and waited for the exit: the process is gone.
	if exited, err := svc.WaitExit(time.Second); !exited || err != nil {
		t.Errorf("the service after dpkg -r: exited %v, status %v; want a clean exit", exited, err)
	}
	if after := l.FullSnapshot(); after != before {
		t.Errorf("the namespace after dpkg -r differs from before:\n%s", golden.Diff(before, after))
	}
	for path := range packageFiles {
		if exists(path) {
			t.Errorf("%s is still there after dpkg -r", path)
		}
	}
	for _, path := range []string{wantsLink, runtimeDir} {
		if exists(path) {
			t.Errorf("%s is still there after dpkg -r", path)
		}
	}
	if running := servicePIDs(t); len(running) > 0 {
		t.Errorf("wgdesk-service still runs after dpkg -r: %v", running)
	}
	if !exists(filepath.Join(stateDir, "tunnels")) {
		t.Errorf("dpkg -r removed the stored tunnels in %s; only purge may", stateDir)
	}
	run(t, "dpkg", "--purge", "wgdesk")
	if exists(stateDir) {
		t.Errorf("%s is still there after dpkg --purge", stateDir)
	}
	if exec.Command("getent", "group", "wgdesk").Run() != nil {
		t.Errorf("dpkg --purge removed the group wgdesk, which Debian's packages keep")
	}
}

func parseInt(s string, n *int) bool {
	v := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
		v = v*10 + int(c-'0')
	}
	*n = v
	return s != ""
}

// checkInstalledFiles compares dpkg's list with packageFiles and checks
// each file's mode and owner.
func checkInstalledFiles(t *testing.T) {
	var got []string
	for _, p := range strings.Fields(run(t, "dpkg", "-L", "wgdesk")) {
		if fi, err := os.Lstat(p); err == nil && !fi.IsDir() {
			got = append(got, p)
		}
	}
	sort.Strings(got)
	if want := sortedFiles(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("dpkg -L wgdesk lists these files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for path, mode := range packageFiles {
		fi, err := os.Stat(path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode().Perm() != mode || !fi.Mode().IsRegular() || st.Uid != 0 || st.Gid != 0 {
			t.Errorf("%s: %v owned by %d:%d, want %v root:root", path, fi.Mode(), st.Uid, st.Gid, mode)
		}
	}
}

// killSwitch is the kill_switch of `wgdesk status --json name`.
func killSwitch(t *testing.T, l *netlab.Lab, name string) string {
	t.Helper()
	var st struct {
		KillSwitch string `json:"kill_switch"`
	}
	out := l.Wgdesk("status", "--json", name)
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json %s: %v\n%s", name, err, out)
	}
	return st.KillSwitch
}

// unitExecStart is the installed unit's ExecStart, split into words.
func unitExecStart(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "ExecStart="); ok {
			if w := strings.Fields(v); len(w) > 0 {
				return w
			}
		}
	}
	t.Fatalf("%s has no ExecStart", unitPath)
	return nil
}

// servicePIDs are the processes running /usr/sbin/wgdesk-service.
func servicePIDs(t *testing.T) []string {
	var pids []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		// A process whose binary dpkg has deleted shows " (deleted)".
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err == nil && strings.TrimSuffix(exe, " (deleted)") == "/usr/sbin/wgdesk-service" {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

// headlessFiles are what wgdesk-headless installs: the service, the
// command line as a link to it, the unit and the man pages; no desktop
// entry, icons or metainfo, since it has no app.
var headlessFiles = []string{
	"/usr/bin/wgdesk",
	unitPath,
	"/usr/sbin/wgdesk-service",
	"/usr/share/man/man1/wgdesk.1.gz",
	"/usr/share/man/man8/wgdesk-service.8.gz",
}

// TestPackageHeadlessArm64 checks the arm64 packages of the service and
// command line: their file lists, that they say they have no desktop app
// and need nothing, and that the binary is a static arm64 program. It
// cannot run them: this machine is amd64.
func TestPackageHeadlessArm64(t *testing.T) {
	deb, rpm := os.Getenv("WGDESK_HEADLESS_DEB"), os.Getenv("WGDESK_HEADLESS_RPM")
	if deb == "" || rpm == "" {
		t.Skip("WGDESK_HEADLESS_DEB and WGDESK_HEADLESS_RPM name no packages: run make test-package")
	}
	got := strings.Fields(run(t, "rpm", "-qlp", rpm))
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(headlessFiles, "\n") {
		t.Errorf("rpm -qlp %s:\n%s\nwant:\n%s", rpm, strings.Join(got, "\n"), strings.Join(headlessFiles, "\n"))
	}
	if arch := run(t, "rpm", "-qp", "--qf", "%{ARCH}", rpm); arch != "aarch64" {
		t.Errorf("the .rpm's architecture is %q, want aarch64", arch)
	}
	for field, want := range map[string]string{"Package": "wgdesk-headless", "Architecture": "arm64", "Depends": "", "Conflicts": "wgdesk"} {
		if got := strings.TrimSpace(run(t, "dpkg-deb", "-f", deb, field)); got != want {
			t.Errorf("the .deb's %s is %q, want %q", field, got, want)
		}
	}
	if desc := run(t, "dpkg-deb", "-f", deb, "Description"); !strings.Contains(desc, "without the desktop app") {
		t.Errorf("the .deb's description does not say it has no desktop app:\n%s", desc)
	}

	dir := t.TempDir()
	run(t, "dpkg-deb", "-x", deb, dir)
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, strings.TrimPrefix(p, dir))
		}
		return err
	})
	sort.Strings(files)
	if strings.Join(files, "\n") != strings.Join(headlessFiles, "\n") {
		t.Errorf("the .deb holds:\n%s\nwant:\n%s", strings.Join(files, "\n"), strings.Join(headlessFiles, "\n"))
	}
	if dst, err := os.Readlink(filepath.Join(dir, "usr/bin/wgdesk")); err != nil || dst != "/usr/sbin/wgdesk-service" {
		t.Errorf("/usr/bin/wgdesk in the .deb: -> %q, %v; want a link to /usr/sbin/wgdesk-service", dst, err)
	}
	f, err := elf.Open(filepath.Join(dir, "usr/sbin/wgdesk-service"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 {
		t.Errorf("wgdesk-service is built for %v, want arm64", f.Machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("wgdesk-service has a dynamic loader: it must be static (CGO_ENABLED=0)")
		}
	}
}
