package windows

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tc-hib/winres"
	"github.com/tc-hib/winres/version"
)

// repoRoot is the module root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// appVersion is the version the Makefile stamps into the exe and the MSI:
// $WGDESK_WINDOWS_VERSION when make passes one (WINDOWS_VERSION=...),
// else the one FyneApp.toml gives the app.
func appVersion(t *testing.T) string {
	t.Helper()
	if v := os.Getenv("WGDESK_WINDOWS_VERSION"); v != "" {
		return v
	}
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "FyneApp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*Version\s*=\s*"([0-9.]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no Version in FyneApp.toml")
	}
	return string(m[1])
}

// standInExe builds a tiny GUI-subsystem Windows program linked with the
// .syso that go-winres makes from winres.json, exactly as make
// windows-resources does for the real exe, so that the resource check
// runs in seconds without the MinGW build. It is test-only and lives in
// t.TempDir().
func standInExe(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":  "module standin\n\ngo 1.21\n",
		"main.go": "package main\n\nfunc main() {}\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	v := appVersion(t)
	winresJSON, err := filepath.Abs(filepath.Join("winres", "winres.json"))
	if err != nil {
		t.Fatal(err)
	}
	run(t, repoRoot(t), nil, "go", "tool", "go-winres", "make", "--in", winresJSON, "--arch", "amd64",
		"--out", filepath.Join(dir, "rsrc"), "--file-version", v, "--product-version", v)
	exe := filepath.Join(dir, "standin.exe")
	run(t, dir, []string{"GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=-mod=mod"},
		"go", "build", "-ldflags", "-H windowsgui", "-o", exe, ".")
	return exe
}

func run(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// TestExeResources checks that a Windows exe carries what Windows reads
// from it: a GUI subsystem (no console window beside the app), the icon
// Explorer and the taskbar show, a manifest that runs it unelevated, DPI
// aware per monitor and with the common controls 6, and the version shown
// in its Properties. It checks $WGDESK_WINDOWS_EXE (make windows-gui sets
// it to the real exe) or else a stand-in built from the same winres.json.
func TestExeResources(t *testing.T) {
	exe := os.Getenv("WGDESK_WINDOWS_EXE")
	if exe == "" {
		exe = standInExe(t)
	}

	pf, err := pe.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	oh, ok := pf.OptionalHeader.(*pe.OptionalHeader64)
	if !ok || pf.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
		t.Fatalf("%s is not a 64-bit x86 exe (machine %#x)", exe, pf.Machine)
	}
	if oh.Subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		t.Errorf("subsystem %d, want the GUI subsystem (%d): a console window would open beside the app", oh.Subsystem, pe.IMAGE_SUBSYSTEM_WINDOWS_GUI)
	}

	f, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rs, err := winres.LoadFromEXE(f)
	if err != nil {
		t.Fatalf("read the resources of %s: %v", exe, err)
	}

	t.Run("icon", func(t *testing.T) { checkIcon(t, rs) })
	t.Run("manifest", func(t *testing.T) { checkManifest(t, rs) })
	t.Run("version", func(t *testing.T) { checkVersion(t, rs, appVersion(t)) })
}

// checkIcon wants the app icon with the sizes Windows picks from: 16 and
// 32 pixels for lists and the title bar, 48 and 256 for Explorer.
func checkIcon(t *testing.T, rs *winres.ResourceSet) {
	icon, err := rs.GetIcon(winres.Name("APP"))
	if err != nil {
		t.Fatalf("no APP icon: %v", err)
	}
	var ico bytes.Buffer
	if err := icon.SaveICO(&ico); err != nil {
		t.Fatal(err)
	}
	// ICONDIR: reserved, type (1 = icon), count; then 16-byte entries
	// whose first byte is the width, 0 meaning 256.
	b := ico.Bytes()
	if len(b) < 6 || binary.LittleEndian.Uint16(b[2:]) != 1 {
		t.Fatalf("not an icon: % x", b[:min(len(b), 6)])
	}
	sizes := map[int]bool{}
	for i := range int(binary.LittleEndian.Uint16(b[4:])) {
		off := 6 + 16*i
		if off+16 > len(b) {
			t.Fatal("truncated icon directory")
		}
		w := int(b[off])
		if w == 0 {
			w = 256
		}
		sizes[w] = true
	}
	for _, want := range []int{16, 32, 48, 256} {
		if !sizes[want] {
			t.Errorf("no %dx%d image in the icon (has %v)", want, want, sizes)
		}
	}
}

// manifest is the part of an application manifest checked here.
type manifest struct {
	SupportedOS []struct {
		ID string `xml:"Id,attr"`
	} `xml:"compatibility>application>supportedOS"`
	DPIAwareness   string `xml:"application>windowsSettings>dpiAwareness"`
	ExecutionLevel struct {
		Level    string `xml:"level,attr"`
		UIAccess string `xml:"uiAccess,attr"`
	} `xml:"trustInfo>security>requestedPrivileges>requestedExecutionLevel"`
	Dependencies []struct {
		Name    string `xml:"name,attr"`
		Version string `xml:"version,attr"`
	} `xml:"dependency>dependentAssembly>assemblyIdentity"`
}

// The supportedOS Id of Windows 10 and 11 (they share one).
// https://learn.microsoft.com/en-us/windows/win32/sysinfo/targeting-your-application-at-windows-8-1
const win10OSID = "{8e0f7a12-bfb3-4fe8-b9a5-48fd50a15a9a}"

func checkManifest(t *testing.T, rs *winres.ResourceSet) {
	var raw []byte
	rs.WalkType(winres.RT_MANIFEST, func(resID winres.Identifier, langID uint16, data []byte) bool {
		if resID == winres.ID(1) {
			raw = data
		}
		return raw == nil
	})
	if raw == nil {
		t.Fatal("no manifest (RT_MANIFEST #1)")
	}
	var m manifest
	if err := xml.Unmarshal(raw, &m); err != nil {
		t.Fatalf("parse the manifest: %v\n%s", err, raw)
	}
	if m.ExecutionLevel.Level != "asInvoker" || m.ExecutionLevel.UIAccess != "false" {
		t.Errorf("execution level %+v, want asInvoker without UI access: the app must start unelevated", m.ExecutionLevel)
	}
	if !strings.HasPrefix(strings.ToLower(m.DPIAwareness), "permonitorv2") {
		t.Errorf("DPI awareness %q, want permonitorv2 first", m.DPIAwareness)
	}
	if len(m.SupportedOS) != 1 || m.SupportedOS[0].ID != win10OSID {
		t.Errorf("supported OS %+v, want only Windows 10 and 11 (%s)", m.SupportedOS, win10OSID)
	}
	commonControls6 := false
	for _, d := range m.Dependencies {
		commonControls6 = commonControls6 || d.Name == "Microsoft.Windows.Common-Controls" && strings.HasPrefix(d.Version, "6.")
	}
	if !commonControls6 {
		t.Errorf("no dependency on the common controls 6: %+v", m.Dependencies)
	}
}

func checkVersion(t *testing.T, rs *winres.ResourceSet, want string) {
	var raw []byte
	rs.WalkType(winres.RT_VERSION, func(resID winres.Identifier, langID uint16, data []byte) bool {
		raw = data
		return false
	})
	if raw == nil {
		t.Fatal("no version resource (RT_VERSION)")
	}
	vi, err := version.FromBytes(raw)
	if err != nil {
		t.Fatalf("parse the version resource: %v", err)
	}
	j, err := json.Marshal(vi)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Fixed struct {
			FileVersion    string `json:"file_version"`
			ProductVersion string `json:"product_version"`
		} `json:"fixed"`
		Info map[string]map[string]string `json:"info"`
	}
	if err := json.Unmarshal(j, &got); err != nil {
		t.Fatal(err)
	}
	four := want + strings.Repeat(".0", 3-strings.Count(want, "."))
	if got.Fixed.FileVersion != four || got.Fixed.ProductVersion != four {
		t.Errorf("fixed versions %+v, want %s from FyneApp.toml", got.Fixed, four)
	}
	strs := got.Info["0409"]
	for key, value := range map[string]string{
		"ProductName":      "wgdesk",
		"OriginalFilename": "wgdesk.exe",
		"FileVersion":      want,
		"ProductVersion":   want,
	} {
		if strs[key] != value {
			t.Errorf("version string %s = %q, want %q (all: %v)", key, strs[key], value, got.Info)
		}
	}
	if strs["FileDescription"] == "" {
		t.Error("no FileDescription: Task Manager would show the file name")
	}
}
