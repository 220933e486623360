package loginstart

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// XDG is the Linux Starter: a desktop entry in
// $XDG_CONFIG_HOME/autostart (~/.config/autostart when unset), which
// GNOME, KDE, Xfce and the other XDG desktops start at login
// (https://specifications.freedesktop.org/autostart-spec/latest/).
type XDG struct {
	// configDir is $XDG_CONFIG_HOME or ~/.config.
	configDir string
	// exec is the Exec= command without the flag: "wgdesk" when the
	// running program is the one on PATH, else its absolute path.
	exec string
}

// xdgFileName is the entry's name: the desktop file of the menu entry
// has the same one, so that a desktop that lists autostart entries by
// it shows them as one app.
const xdgFileName = "wgdesk.desktop"

// NewXDG finds the autostart directory and the command from
// the environment, the home directory, the running program and PATH.
func NewXDG(getenv func(string) string, home, exe string, lookPath func(string) (string, error)) (XDG, error) {
	dir := getenv("XDG_CONFIG_HOME")
	if !filepath.IsAbs(dir) { // the spec: a relative value is invalid, ignore it
		if home == "" {
			return XDG{}, errors.New("no home directory and no XDG_CONFIG_HOME")
		}
		dir = filepath.Join(home, ".config")
	}
	cmd := exe
	if p, err := lookPath("wgdesk"); err == nil && sameFile(p, exe) {
		cmd = "wgdesk"
	}
	return XDG{configDir: dir, exec: cmd}, nil
}

func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// Path is where the entry is.
func (x XDG) Path() string { return filepath.Join(x.configDir, "autostart", xdgFileName) }

func (x XDG) Available() (bool, string) { return true, "" }

// Enabled: the entry exists and neither Hidden=true nor
// X-GNOME-Autostart-enabled=false turns it off (a desktop's startup
// settings may write them).
func (x XDG) Enabled() (bool, error) {
	b, err := os.ReadFile(x.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read autostart entry: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, _ := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if (k == "Hidden" && v == "true") || (k == "X-GNOME-Autostart-enabled" && v == "false") {
			return false, nil
		}
	}
	return true, nil
}

// SetEnabled writes the entry (replacing one a desktop turned off) or
// removes it.
func (x XDG) SetEnabled(on bool) error {
	return setFile(x.Path(), []byte(x.entry()), on, "autostart entry")
}

// entry is the desktop entry's text.
func (x XDG) entry() string {
	return `[Desktop Entry]
Type=Application
Name=wgdesk
Comment=WireGuard tunnels in the tray, started at login
Exec=` + execQuote(x.exec) + ` ` + HiddenFlag + `
Icon=wgdesk
Terminal=false
NoDisplay=true
X-GNOME-Autostart-enabled=true
`
}

// execQuote quotes a program path for Exec= as the desktop entry spec
// asks: in double quotes when it has a reserved character, with ", `, $
// and \ escaped by a backslash; and % doubled, always.
func execQuote(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if !strings.ContainsAny(s, " \t\n\"'\\><~|&;$*?#()`") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", `$`, `\$`)
	return `"` + r.Replace(s) + `"`
}
