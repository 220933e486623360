// Package locale keeps the GUI toolkit quiet about the C locale.
//
// Fyne reads the user's locale while its packages initialise, before main
// runs, and logs "Error parsing user locale C" whenever the locale is
// C.UTF-8 or POSIX.UTF-8, the default of Debian containers, servers and
// systemd units. Every command of the cgo build printed that block, even
// `wgdesk version`. Under C, gettext-style programs speak English anyway,
// so this package says so in the one variable Fyne's locale lookup reads
// next: LANGUAGE=en, set only when the locale is C or POSIX and LANGUAGE
// is unset.
//
// Go initialises packages in the order of their import paths among those
// whose imports are done (the Go spec, "Package initialization"). This
// package imports only os and strings, and its path sorts before
// golang.org/x/text, which Fyne's lang package needs; so its init runs
// before Fyne's reads the environment. main imports it for that effect.
package locale

import (
	"os"
	"strings"
)

func init() {
	QuietC(os.Getenv, os.Setenv)
}

// QuietC sets LANGUAGE=en through setenv when the locale that getenv
// reports (the first of LC_ALL, LC_MESSAGES, LANG that is set, as gettext
// takes it) is C or POSIX with an encoding, and LANGUAGE is unset. It
// reports whether it set it.
func QuietC(getenv func(string) string, setenv func(string, string) error) bool {
	if getenv("LANGUAGE") != "" {
		return false
	}
	var loc string
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc = getenv(name); loc != "" {
			break
		}
	}
	lang, _, _ := strings.Cut(loc, ".")
	lang, _, _ = strings.Cut(lang, "@")
	// Plain "C" and "POSIX" Fyne handles itself; with an encoding it
	// tries to parse "C" as a language.
	if loc == lang || (lang != "C" && lang != "POSIX") {
		return false
	}
	return setenv("LANGUAGE", "en") == nil
}
