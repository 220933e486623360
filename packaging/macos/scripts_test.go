//go:build !windows

package macos

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Every script is executable, starts with its shebang and passes sh -n
// (bash -n for build.sh) and, where it is installed, shellcheck.
func TestScriptsAreScripts(t *testing.T) {
	for file, shell := range map[string]string{
		"build.sh":            "bash",
		"scripts/preinstall":  "sh",
		"scripts/postinstall": "sh",
	} {
		info, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm()&0o111 != 0o111 {
			t.Errorf("%s: mode %v, want executable by all (Installer runs the scripts as they are in the package)", file, info.Mode())
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		shebang := map[string]string{"bash": "#!/usr/bin/env bash\n", "sh": "#!/bin/sh\n"}[shell]
		if !bytes.HasPrefix(data, []byte(shebang)) {
			t.Errorf("%s does not start with %q", file, shebang)
		}
		if out, err := exec.Command(shell, "-n", file).CombinedOutput(); err != nil {
			t.Errorf("%s -n %s: %v\n%s", shell, file, err, out)
		}
	}
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Skip("shellcheck is not installed (make test-macos-package installs it)")
	}
	out, err := exec.Command("shellcheck", "build.sh", "real-outputs.sh", "scripts/preinstall", "scripts/postinstall").CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

// installVolume makes a target volume for the Installer scripts: with an
// installed wgdesk.app whose Contents/MacOS holds a stand-in for each
// binary in exes (wgdesk, wgdesk-service), which logs its name and
// arguments and exits with the status given, and a launchd plist when
// plist is set. It returns the volume, a PATH with a stand-in launchctl
// and the log file.
func installVolume(t *testing.T, exes map[string]int, plist bool) (volume, path, logFile string) {
	t.Helper()
	volume = t.TempDir()
	logFile = filepath.Join(t.TempDir(), "commands.log")
	macOS := filepath.Join(volume, "Applications/wgdesk.app/Contents/MacOS")
	for name, status := range exes {
		if err := os.MkdirAll(macOS, 0o755); err != nil {
			t.Fatal(err)
		}
		exe := fmt.Sprintf("#!/bin/sh\necho \"$(basename \"$0\") $*\" >>\"$FAKE_LOG\"\nexit %d\n", status)
		if err := os.WriteFile(filepath.Join(macOS, name), []byte(exe), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if plist {
		dir := filepath.Join(volume, "Library/LaunchDaemons")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "io.github.wgdesk.service.plist"), []byte("<plist/>\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "launchctl"), []byte("#!/bin/sh\necho \"launchctl $*\" >>\"$FAKE_LOG\"\nexit 113\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return volume, bin + ":/usr/bin:/bin", logFile
}

// runInstallerScript runs a script as Installer does: package path,
// install location, target volume.
func runInstallerScript(t *testing.T, script, volume, path, logFile string) (code int, output, log string) {
	t.Helper()
	cmd := exec.Command("/bin/sh", script, "/tmp/wgdesk-component.pkg", "/Applications", volume)
	cmd.Env = []string{"PATH=" + path, "FAKE_LOG=" + logFile}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(logFile)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return code, string(out), string(data)
}

// postinstall installs the daemon through the bundle's pure-Go
// wgdesk-service, so that the plist runs it and not the app's binary.
func TestPostinstallInstallsTheService(t *testing.T) {
	volume, path, logFile := installVolume(t, map[string]int{"wgdesk": 0, "wgdesk-service": 0}, false)
	code, out, log := runInstallerScript(t, "scripts/postinstall", volume, path, logFile)
	if code != 0 || log != "wgdesk-service service install\n" {
		t.Errorf("exit %d, commands %q, output %q; want wgdesk-service service install", code, log, out)
	}
	// A service that does not start fails the installation.
	volume, path, logFile = installVolume(t, map[string]int{"wgdesk": 0, "wgdesk-service": 1}, false)
	if code, _, log := runInstallerScript(t, "scripts/postinstall", volume, path, logFile); code == 0 || log != "wgdesk-service service install\n" {
		t.Errorf("exit %d, commands %q; want a failure after wgdesk-service service install", code, log)
	}
	// The package always carries wgdesk-service: without it, postinstall
	// fails rather than make the app's binary the root daemon.
	volume, path, logFile = installVolume(t, map[string]int{"wgdesk": 0}, false)
	if code, _, log := runInstallerScript(t, "scripts/postinstall", volume, path, logFile); code == 0 || log != "" {
		t.Errorf("exit %d, commands %q; want a failure that runs nothing", code, log)
	}
}

func TestPreinstallBootsOutAnOlderService(t *testing.T) {
	both := map[string]int{"wgdesk": 0, "wgdesk-service": 0}
	// An app from before the bundle had wgdesk-service.
	old := map[string]int{"wgdesk": 0}
	const bootout = "launchctl bootout system/io.github.wgdesk.service\n"
	for _, tc := range []struct {
		name  string
		exes  map[string]int
		plist bool
		want  string
	}{
		{"nothing installed", nil, false, ""},
		{"an app without a service", both, false, ""},
		{"an installed service", both, true, "wgdesk-service service uninstall\n"},
		{"a service of an app without wgdesk-service", old, true, "wgdesk service uninstall\n"},
		{"an uninstall that fails", map[string]int{"wgdesk": 0, "wgdesk-service": 1}, true, "wgdesk-service service uninstall\n" + bootout},
		{"an older app's uninstall that fails", map[string]int{"wgdesk": 1}, true, "wgdesk service uninstall\n" + bootout},
		{"a service whose app is gone", nil, true, bootout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			volume, path, logFile := installVolume(t, tc.exes, tc.plist)
			code, out, log := runInstallerScript(t, "scripts/preinstall", volume, path, logFile)
			if code != 0 || log != tc.want {
				t.Errorf("exit %d, commands %q (output %q); want exit 0 and %q", code, log, out, tc.want)
			}
		})
	}
}

// plistDict reads the first <dict> of a property list into key → value
// ("true"/"false" for booleans, the text for strings).
func plistDict(data []byte) (map[string]string, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dict := map[string]string{}
	inDict, key, text := false, "", ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			text = ""
			switch name := tok.Name.Local; {
			case name == "dict":
				if inDict {
					return nil, errors.New("nested dict")
				}
				inDict = true
			case inDict && (name == "true" || name == "false"):
				dict[key] = name
			}
		case xml.CharData:
			text += string(tok)
		case xml.EndElement:
			switch tok.Name.Local {
			case "key":
				key = text
			case "string":
				dict[key] = text
			case "dict":
				return dict, nil
			}
		}
	}
	return nil, errors.New("no dict")
}

func TestComponentsPlist(t *testing.T) {
	data, err := os.ReadFile("components.plist")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">`) {
		t.Error("components.plist lacks the plist DOCTYPE")
	}
	got, err := plistDict(data)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"BundleHasStrictIdentifier": "true",
		"BundleIsRelocatable":       "false",
		"BundleIsVersionChecked":    "false",
		"BundleOverwriteAction":     "upgrade",
		"RootRelativeBundlePath":    "wgdesk.app",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("components.plist: %v, want %v", got, want)
	}
}
