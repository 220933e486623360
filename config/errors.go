package config

import (
	"errors"
	"strconv"
	"strings"
)

// ErrNotConfig is wrapped by the errors of Parse and DecodeText for input
// that is no wg-quick text at all: binary data, invalid UTF-8, an empty
// file, HTML or prose without a single section header or WireGuard key.
// Importers use it to tell "wrong file" from "config with a mistake".
var ErrNotConfig = errors.New("not a wireguard config")

// ParseError is a mistake in a wg-quick file (or, from Validate, in a config
// built in code). Error gives "line N: <what is wrong>: <how to fix>", or
// the same without "line N: " when Line is 0 (the mistake is about the file
// as a whole, such as a missing [Interface] section). Messages never hold
// private or preshared key material.
type ParseError struct {
	Line int    // 1-based source line; 0 when not tied to one line
	Key  string // canonical key name (for example "Endpoint") or "" for structure
	Msg  string // what is wrong, lowercase
	Hint string // how to fix it, one line

	notConfig bool // the input is no config at all: Unwrap gives ErrNotConfig
}

func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString(": ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Unwrap gives ErrNotConfig for input that is no config at all, so that
// errors.Is(err, ErrNotConfig) works on the *ParseError itself.
func (e *ParseError) Unwrap() error {
	if e.notConfig {
		return ErrNotConfig
	}
	return nil
}

func lineError(line int, key, msg, hint string) *ParseError {
	return &ParseError{Line: line, Key: key, Msg: msg, Hint: hint}
}

func notConfigError(line int, msg, hint string) *ParseError {
	return &ParseError{Line: line, Msg: msg, Hint: hint, notConfig: true}
}

// nearest gives the candidate closest to s (case-insensitive) when it is a
// near miss: at most two edits away, or one is a prefix of the other and the
// shorter has at least four letters ("AllowedIP", "Peers"). Otherwise "".
func nearest(s string, candidates []string) string {
	ls := strings.ToLower(s)
	best, bestDist := "", 3
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := editDistance(ls, lc)
		if d >= bestDist && len(ls) >= 4 && len(lc) >= 4 &&
			(strings.HasPrefix(lc, ls) || strings.HasPrefix(ls, lc)) {
			d = 2
		}
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
