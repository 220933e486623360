//go:build !windows

package macos

import (
	"encoding/xml"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// repoRoot is the repository's top directory, two levels up.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// The stand-ins for the Mac's tools. Each appends its command line to
// $FAKE_LOG (arguments with spaces in single quotes) and does the least
// the next step needs: a file where the real tool writes one, which names
// the tool and the file it was written as, so a test can tell which binary
// ended up where.
const fakeCommon = `#!/bin/sh
name=$(basename "$0")
log() {
	{
		[ -n "${1:-}" ] && printf '%s ' "$1"
		printf '%s' "$name"
		shift
		for a in "$@"; do
			case $a in
			*" "*) printf " '%s'" "$a" ;;
			*) printf ' %s' "$a" ;;
			esac
		done
		printf '\n'
	} >>"$FAKE_LOG"
}
last() { for a in "$@"; do :; done; printf '%s' "$a"; }
# fyne package: the bundle in the current directory, and FyneApp.toml's
# Build counted up, as fyne does.
fyne_package() {
	src="" exe=""
	while [ $# -gt 0 ]; do
		case $1 in
		-src) src=$2; shift ;;
		-executable) exe=$2; shift ;;
		esac
		shift
	done
	mkdir -p wgdesk.app/Contents/MacOS wgdesk.app/Contents/Resources
	cp "$exe" wgdesk.app/Contents/MacOS/wgdesk
	printf '<plist version="1.0"><dict></dict></plist>\n' >wgdesk.app/Contents/Info.plist
	sed 's/^\( *Build *= *\)1$/\12/' "$src/FyneApp.toml" >"$src/FyneApp.toml.new" && mv "$src/FyneApp.toml.new" "$src/FyneApp.toml"
}
`

var fakeTools = map[string]string{
	"uname": `case ${1:-} in -m) echo arm64 ;; *) echo Darwin ;; esac`,
	"go": `case $1 in
build)
	log "GOOS=$GOOS GOARCH=$GOARCH CGO_ENABLED=$CGO_ENABLED MACOSX_DEPLOYMENT_TARGET=$MACOSX_DEPLOYMENT_TARGET" "$@"
	out=""; prev=""
	for a in "$@"; do [ "$prev" = -o ] && out=$a; prev=$a; done
	echo "go build $(basename "$out")" >"$out" && chmod 755 "$out" ;;
run)
	log "(in $PWD)" "$@"
	shift 3
	fyne_package "$@" ;;
*) log "" "$@"; exit 2 ;;
esac`,
	"fyne": `log "(in $PWD)" "$@"
shift 3
fyne_package "$@"`,
	"lipo": `log "" "$@"
[ "$1" = -create ] && echo "lipo $(basename "$3")" >"$3" && chmod 755 "$3"`,
	"plutil":       `log "" "$@"`,
	"codesign":     `log "" "$@"`,
	"xcrun":        `log "" "$@"`,
	"launchctl":    `log "" "$@"`,
	"pkgbuild":     `log "" "$@"; echo pkg >"$(last "$@")"`,
	"productbuild": `log "" "$@"; echo pkg >"$(last "$@")"`,
}

// fakeMac copies build.sh and the files it reads into a fresh tree and
// returns its root and a PATH whose Mac tools are the stand-ins (the
// shell's own tools come from /usr/bin and /bin). without leaves tools
// out.
func fakeMac(t *testing.T, without ...string) (root, path string) {
	t.Helper()
	root = t.TempDir()
	src := repoRoot(t)
	for _, f := range []string{
		"FyneApp.toml", "packaging/macos/build.sh", "packaging/macos/Distribution.xml",
		"packaging/macos/components.plist", "packaging/macos/scripts/preinstall", "packaging/macos/scripts/postinstall",
	} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(t.TempDir(), "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range fakeTools {
		if slices.Contains(without, name) {
			continue
		}
		if err := os.WriteFile(filepath.Join(bin, name), []byte(fakeCommon+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root, bin + ":/usr/bin:/bin"
}

// runBuild runs build.sh in root with only env and PATH set, and returns
// its exit status, output and the stand-ins' log with root written $ROOT.
func runBuild(t *testing.T, root, path string, env ...string) (code int, output, log string) {
	t.Helper()
	logFile := filepath.Join(t.TempDir(), "commands.log")
	cmd := exec.Command("bash", filepath.Join(root, "packaging/macos/build.sh"))
	cmd.Dir = root
	cmd.Env = append([]string{"PATH=" + path, "HOME=" + t.TempDir(), "FAKE_LOG=" + logFile}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("build.sh: %v", err)
		}
		code = ee.ExitCode()
	}
	data, err := os.ReadFile(logFile)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return code, string(out), strings.ReplaceAll(string(data), root, "$ROOT")
}

func TestBuildUnsigned(t *testing.T) {
	root, path := fakeMac(t)
	before, err := os.ReadFile(filepath.Join(root, "FyneApp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, log := runBuild(t, root, path, "GIT_VERSION=v0.1.0-test")
	if code != 0 {
		t.Fatalf("build.sh exited %d:\n%s", code, out)
	}
	golden.Check(t, "testdata/unsigned.golden", log, *update)
	if _, err := os.Stat(filepath.Join(root, "dist/wgdesk-0.1.0.pkg")); err != nil {
		t.Errorf("no package: %v", err)
	}
	// fyne package counts Build up; the tracked file stays as it was.
	after, err := os.ReadFile(filepath.Join(root, "FyneApp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(before) {
		t.Errorf("FyneApp.toml changed by make macos:\n%s", golden.Diff(string(before), string(after)))
	}
	checkDistribution(t, filepath.Join(root, "dist/macos/Distribution.xml"), "0.1.0", "arm64,x86_64")
	checkBundleBinaries(t, root, "lipo wgdesk\n", "lipo wgdesk-service\n")
}

// checkBundleBinaries checks what the bundle's Contents/MacOS holds: the
// app's binary and the service's, each the file the stand-ins made for it
// (which names the tool and its output), executable, and nothing else.
func checkBundleBinaries(t *testing.T, root, app, service string) {
	t.Helper()
	dir := filepath.Join(root, "dist/macos/root/wgdesk.app/Contents/MacOS")
	want := map[string]string{"wgdesk": app, "wgdesk-service": service}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("Contents/MacOS holds %v, want only wgdesk and wgdesk-service", entries)
	}
	for name, content := range want {
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Error(err)
			continue
		}
		if string(data) != content {
			t.Errorf("Contents/MacOS/%s is %q, want %q", name, data, content)
		}
		if info, err := os.Stat(path); err != nil || info.Mode().Perm()&0o111 != 0o111 {
			t.Errorf("Contents/MacOS/%s: %v, %v; want executable by all", name, info.Mode(), err)
		}
	}
}

func TestBuildSignedAndNotarised(t *testing.T) {
	root, path := fakeMac(t)
	code, out, log := runBuild(t, root, path, "GIT_VERSION=v0.1.0-test",
		"MACOS_SIGN_APP=Developer ID Application: Jane Doe (TEAM123456)",
		"MACOS_SIGN_PKG=Developer ID Installer: Jane Doe (TEAM123456)",
		"MACOS_NOTARY_PROFILE=wgdesk-notary")
	if code != 0 {
		t.Fatalf("build.sh exited %d:\n%s", code, out)
	}
	golden.Check(t, "testdata/signed.golden", log, *update)
	checkBundleBinaries(t, root, "lipo wgdesk\n", "lipo wgdesk-service\n")
}

// An explicit fyne, one architecture (no lipo) and another version.
func TestBuildOneArchitecture(t *testing.T) {
	root, path := fakeMac(t)
	code, out, log := runBuild(t, root, path, "MACOS_ARCHS=arm64", "VERSION=2.3.4", "FYNE=fyne")
	if code != 0 {
		t.Fatalf("build.sh exited %d:\n%s", code, out)
	}
	if strings.Contains(log, "lipo") || !strings.Contains(log, "fyne package -os darwin") ||
		!strings.Contains(log, "-X main.version=2.3.4") || strings.Contains(log, "GOARCH=amd64") ||
		!strings.Contains(log, "GOARCH=arm64 CGO_ENABLED=0 MACOSX_DEPLOYMENT_TARGET= go build") {
		t.Errorf("commands:\n%s", log)
	}
	// Without lipo, each bundle binary is its one slice.
	checkBundleBinaries(t, root, "go build wgdesk-arm64\n", "go build wgdesk-service-arm64\n")
	if _, err := os.Stat(filepath.Join(root, "dist/wgdesk-2.3.4.pkg")); err != nil {
		t.Errorf("no package: %v", err)
	}
	checkDistribution(t, filepath.Join(root, "dist/macos/Distribution.xml"), "2.3.4", "arm64")
}

// Refusals: each says what is wrong in a sentence and runs nothing.
func TestBuildRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		without []string
		env     []string
		want    string
	}{
		{"no pkgbuild", []string{"pkgbuild"}, nil, "needs the Xcode command line tools (xcode-select --install); missing: pkgbuild"},
		{"notarising unsigned", nil, []string{"MACOS_NOTARY_PROFILE=p", "MACOS_SIGN_PKG=x"}, "Apple notarises only a signed app in a signed package"},
		{"unknown architecture", nil, []string{"MACOS_ARCHS=arm64 ppc"}, "MACOS_ARCHS: unknown architecture ppc"},
		{"no architecture", nil, []string{"MACOS_ARCHS= "}, "MACOS_ARCHS is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.without) > 0 && runtime.GOOS == "darwin" {
				// The real tool in /usr/bin stands in for the missing one.
				t.Skip("a Mac has the Xcode tools in /usr/bin")
			}
			root, path := fakeMac(t, tc.without...)
			code, out, log := runBuild(t, root, path, tc.env...)
			if code == 0 || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, output %q; want a failure saying %q", code, out, tc.want)
			}
			if log != "" {
				t.Errorf("ran commands anyway:\n%s", log)
			}
		})
	}
}

// On Linux, build.sh (with the real uname) and make macos stop with the
// sentence that says a Mac is needed.
func TestMacosNeedsAMac(t *testing.T) {
	if runtime.GOOS == "darwin" {
		t.Skip("this is a Mac")
	}
	const want = "make macos needs a Mac with the Xcode command line tools"
	out, err := exec.Command("bash", "build.sh").CombinedOutput()
	if err == nil || !strings.Contains(string(out), want) {
		t.Errorf("build.sh on %s: %v, %q; want a failure saying %q", runtime.GOOS, err, out, want)
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	out, err = exec.Command("make", "-s", "-C", repoRoot(t), "macos").CombinedOutput()
	if err == nil || !strings.Contains(string(out), want) {
		t.Errorf("make macos on %s: %v, %q; want a failure saying %q", runtime.GOOS, err, out, want)
	}
}

// distribution is what the tests read of a Distribution.xml.
type distribution struct {
	XMLName xml.Name `xml:"installer-gui-script"`
	MinSpec string   `xml:"minSpecVersion,attr"`
	Title   string   `xml:"title"`
	Domains struct {
		Anywhere string `xml:"enable_anywhere,attr"`
		User     string `xml:"enable_currentUserHome,attr"`
		System   string `xml:"enable_localSystem,attr"`
	} `xml:"domains"`
	Options struct {
		Customize      string `xml:"customize,attr"`
		RequireScripts string `xml:"require-scripts,attr"`
		Archs          string `xml:"hostArchitectures,attr"`
	} `xml:"options"`
	OSVersions []struct {
		Min string `xml:"min,attr"`
	} `xml:"volume-check>allowed-os-versions>os-version"`
	Outline []struct {
		Choice string `xml:"choice,attr"`
	} `xml:"choices-outline>line"`
	Choices []struct {
		ID   string `xml:"id,attr"`
		Refs []struct {
			ID string `xml:"id,attr"`
		} `xml:"pkg-ref"`
	} `xml:"choice"`
	PkgRefs []struct {
		ID      string `xml:"id,attr"`
		Version string `xml:"version,attr"`
		File    string `xml:",chardata"`
	} `xml:"pkg-ref"`
}

// checkDistribution parses the Distribution.xml that build.sh wrote:
// the title, the one choice with the one package that pkgbuild made, its
// version, the minimum macOS, the processors and the startup disk only.
func checkDistribution(t *testing.T, path, version, archs string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`@[A-Z_]+@`).Match(data) {
		t.Errorf("%s: a placeholder is left:\n%s", path, data)
	}
	var d distribution
	if err := xml.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	const id = "io.github.wgdesk.wgdesk.pkg"
	if d.MinSpec != "2" || d.Title != "wgdesk" {
		t.Errorf("minSpecVersion %q, title %q", d.MinSpec, d.Title)
	}
	if d.Domains.System != "true" || d.Domains.Anywhere != "false" || d.Domains.User != "false" {
		t.Errorf("domains %+v: want the startup disk only", d.Domains)
	}
	if d.Options.Archs != archs || d.Options.Customize != "never" || d.Options.RequireScripts != "true" {
		t.Errorf("options %+v, want hostArchitectures %q", d.Options, archs)
	}
	if len(d.OSVersions) != 1 || d.OSVersions[0].Min != "12.0" {
		t.Errorf("allowed OS versions %+v, want macOS 12.0 and later", d.OSVersions)
	}
	if len(d.Outline) != 1 || d.Outline[0].Choice != id || len(d.Choices) != 1 || d.Choices[0].ID != id ||
		len(d.Choices[0].Refs) != 1 || d.Choices[0].Refs[0].ID != id {
		t.Errorf("choices %+v, outline %+v: want the one choice %s", d.Choices, d.Outline, id)
	}
	if len(d.PkgRefs) != 1 || d.PkgRefs[0].ID != id || d.PkgRefs[0].Version != version || d.PkgRefs[0].File != "wgdesk-component.pkg" {
		t.Errorf("package references %+v, want %s version %s in wgdesk-component.pkg", d.PkgRefs, id, version)
	}
}

// build.sh with the real fyne CLI (the pinned version, which make
// test-macos-package installs and names in WGDESK_FYNE) and stand-ins for
// the rest: fyne takes build.sh's flags, makes the bundle around the
// universal binary with FyneApp.toml's identity, and the tracked
// FyneApp.toml, which fyne rewrites, is restored.
func TestBuildWithRealFyne(t *testing.T) {
	fyne := os.Getenv("WGDESK_FYNE")
	if fyne == "" {
		t.Skip("WGDESK_FYNE is not set (make test-macos-package installs the pinned fyne and sets it)")
	}
	root, path := fakeMac(t)
	// fyne package wants Go code and the icon in the source tree.
	if err := os.WriteFile(filepath.Join(root, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	icon, err := os.ReadFile(filepath.Join(repoRoot(t), "assets", "wgdesk.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "assets", "wgdesk.png"), icon, 0o644); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(root, "FyneApp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ := runBuild(t, root, path, "FYNE="+fyne)
	if code != 0 {
		t.Fatalf("build.sh exited %d:\n%s", code, out)
	}
	app := filepath.Join(root, "dist/macos/root/wgdesk.app/Contents")
	// fyne copies lipo's universal binary in; wgdesk-service, added
	// after fyne ran, is not lost to it.
	checkBundleBinaries(t, root, "lipo wgdesk\n", "lipo wgdesk-service\n")
	if info, err := os.Stat(filepath.Join(app, "Resources", "icon.icns")); err != nil || info.Size() == 0 {
		t.Errorf("icon: %v", err)
	}
	plist, err := os.ReadFile(filepath.Join(app, "Info.plist"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := plistDict(plist)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"CFBundleIdentifier":         "io.github.wgdesk.wgdesk",
		"CFBundleExecutable":         "wgdesk",
		"CFBundleName":               "wgdesk",
		"CFBundleShortVersionString": "0.1.0",
		"CFBundlePackageType":        "APPL",
	} {
		if got[key] != want {
			t.Errorf("Info.plist %s = %q, want %q", key, got[key], want)
		}
	}
	// build.sh's plutil sets these two on a Mac: they must be keys fyne
	// writes (its values are wrong for us: 10.11 and an empty category).
	for _, key := range []string{"LSMinimumSystemVersion", "LSApplicationCategoryType"} {
		if _, ok := got[key]; !ok {
			t.Errorf("fyne's Info.plist has no %s", key)
		}
	}
	if _, ok := got["LSUIElement"]; ok {
		t.Error("Info.plist has LSUIElement")
	}
	after, err := os.ReadFile(filepath.Join(root, "FyneApp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(before) {
		t.Errorf("FyneApp.toml changed:\n%s", golden.Diff(string(before), string(after)))
	}
}
