// Package macprompt runs a command as root on macOS after the system's
// administrator prompt, as simple Mac apps do: osascript's `do shell
// script … with administrator privileges`. The app uses it to install the
// tunnel service (`wgdesk-service service install`, the bundle's pure-Go
// binary; see ServiceExe) when none is installed.
//
// The command passes through two languages: the shell that `do shell
// script` starts (/bin/sh) and the AppleScript string literal that holds
// that shell command. Script quotes for both, and everything here is
// portable, so the quoting of awkward paths is tested on any OS; only the
// osascript it runs is macOS's.
package macprompt

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/wgdesk/wgdesk/internal/osservice"
)

// Osascript is macOS's AppleScript runner.
const Osascript = "/usr/bin/osascript"

// ErrCanceled is returned when the user dismisses the administrator
// prompt (AppleScript's error -128, "User canceled.").
var ErrCanceled = errors.New("the administrator prompt was canceled")

// ShellQuote quotes s as one word for /bin/sh: in single quotes, inside
// which nothing is special; a single quote in s closes the quotes, is
// written escaped with a backslash, and opens them again.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// AppleScriptString writes s as an AppleScript string literal: in double
// quotes, with backslash and double quote escaped by a backslash.
func AppleScriptString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// Script is the AppleScript that runs argv as root once an administrator
// approves, prompt being the sentence the dialog shows. Each word of argv
// is shell-quoted, so a path with spaces or quotes stays one word; the
// output keeps its line feeds (`do shell script` turns them into carriage
// returns otherwise). Control characters are refused: no file name wgdesk
// runs has them, and a line break would end the AppleScript string.
func Script(argv []string, prompt string) (string, error) {
	if len(argv) == 0 {
		return "", errors.New("no command")
	}
	words := make([]string, len(argv))
	for i, a := range argv {
		if strings.IndexFunc(a, unicode.IsControl) >= 0 {
			return "", fmt.Errorf("%q has a control character", a)
		}
		words[i] = ShellQuote(a)
	}
	if strings.IndexFunc(prompt, unicode.IsControl) >= 0 {
		return "", fmt.Errorf("prompt %q has a control character", prompt)
	}
	return "do shell script " + AppleScriptString(strings.Join(words, " ")) +
		" with prompt " + AppleScriptString(prompt) +
		" with administrator privileges without altering line endings", nil
}

// Command is the osascript command line that runs Script(argv, prompt).
func Command(argv []string, prompt string) ([]string, error) {
	script, err := Script(argv, prompt)
	if err != nil {
		return nil, err
	}
	return []string{Osascript, "-e", script}, nil
}

// Result turns what osascript printed into the command's error. A failing
// command makes `do shell script` raise an AppleScript error whose text is
// the command's standard error, and osascript prints it to its own as
// "0:N: execution error: TEXT (CODE)". code is osascript's exit status.
func Result(stderr string, code int) error {
	if code == 0 {
		return nil
	}
	text := strings.TrimSpace(stderr)
	if _, after, ok := strings.Cut(text, "execution error: "); ok {
		text = after
	}
	if strings.HasSuffix(text, "(-128)") {
		return ErrCanceled
	}
	// The AppleScript error number ends the text: the command's exit
	// status for a failing command.
	if i := strings.LastIndex(text, " ("); i >= 0 && strings.HasSuffix(text, ")") {
		text = strings.TrimSpace(text[:i])
	}
	// The command's own name is no news in the app.
	text = strings.TrimPrefix(text, "wgdesk service install: ")
	if text == "" {
		text = fmt.Sprintf("osascript exit status %d", code)
	}
	return errors.New(text)
}

// ServiceBinary is the file name of the service's binary in wgdesk.app's
// Contents/MacOS, beside the app's own: the same program built without
// cgo (packaging/macos/build.sh), so the root daemon neither links AppKit
// and OpenGL nor runs the GUI toolkit's initialisers.
const ServiceBinary = "wgdesk-service"

// ServiceExe returns the program that should register itself as the
// service for the app whose executable is exe: ServiceBinary in exe's
// folder when that is an executable file, as in the bundle build.sh
// makes, and exe itself otherwise (a bare `go build`, an older bundle).
// `service install` registers the program that runs it, so this choice is
// what the launchd plist runs.
func ServiceExe(exe string) string {
	sibling := filepath.Join(filepath.Dir(exe), ServiceBinary)
	if info, err := os.Stat(sibling); err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0 {
		return sibling
	}
	return exe
}

// Installer installs the tunnel service from the app through the
// administrator prompt: it runs `EXE service install` as root.
type Installer struct {
	// Exe is the program that registers itself as the service: the
	// bundle's wgdesk-service (ServiceExe).
	Exe string
	// Status is the service manager's answer; the app offers to install
	// only when it says NotInstalled.
	Status func() (osservice.State, error)
	// Run runs a command and returns its standard output and error and
	// exit status; err is for one that could not run at all.
	Run func(argv []string) (stdout, stderr string, code int, err error)
}

// Prompt is what the administrator dialog says above the password field.
const Prompt = "wgdesk wants to install its tunnel service, which brings WireGuard tunnels up and down."

// New returns the Installer for the app whose executable is appExe, with
// the real osascript: it installs ServiceExe(appExe).
func New(appExe string, status func() (osservice.State, error)) Installer {
	return Installer{Exe: ServiceExe(appExe), Status: status, Run: runCommand}
}

// Offer reports whether the service is not installed. No privilege is
// needed to ask: anyone may read launchd's system domain.
func (in Installer) Offer() bool {
	st, err := in.Status()
	return err == nil && st == osservice.NotInstalled
}

// Install shows the administrator prompt and runs `EXE service install` as
// root; each line the command prints is a step for progress.
func (in Installer) Install(progress func(string)) error {
	argv, err := Command([]string{in.Exe, "service", "install"}, Prompt)
	if err != nil {
		return fmt.Errorf("install the service: %w", err)
	}
	out, errOut, code, err := in.Run(argv)
	if err != nil {
		return fmt.Errorf("run osascript: %w", err)
	}
	// The service manager's steps come first; after a blank line the
	// command says how to let other users in, which the app says itself.
	steps, _, _ := strings.Cut(strings.TrimLeft(out, "\n"), "\n\n")
	for _, line := range strings.Split(steps, "\n") {
		if line = strings.TrimSpace(line); line != "" && progress != nil {
			progress(line)
		}
	}
	return Result(errOut, code)
}

func runCommand(argv []string) (string, string, int, error) {
	var out, errb strings.Builder
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), errb.String(), ee.ExitCode(), nil
	}
	return out.String(), errb.String(), 0, err
}
