//go:build linux

package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// wholePackage in a skip list's test column skips a package that cannot
// start under Wine at all.
const wholePackage = "*"

// skipEntry is one line of the skip list: a test that fails under Wine
// only, and why.
type skipEntry struct {
	Package string // module-relative, "." for the root package
	Test    string // a top-level test name, or wholePackage
	Reason  string
	Line    int
}

var testName = regexp.MustCompile(`^(Test|Example|Fuzz)[A-Za-z0-9_]*$`)

// parseSkipList reads a skip list: one entry a line, "package test reason",
// blank lines and lines starting with # ignored. Every entry needs a
// reason, names only top-level tests (-test.skip takes them as an anchored
// alternation) and appears once.
func parseSkipList(r io.Reader) ([]skipEntry, error) {
	var entries []skipEntry
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 {
			return nil, fmt.Errorf("line %d: want \"package test reason\", got %q", n, line)
		}
		e := skipEntry{Package: f[0], Test: f[1], Line: n}
		e.Reason = strings.Join(f[2:], " ")
		if e.Test != wholePackage && !testName.MatchString(e.Test) {
			return nil, fmt.Errorf("line %d: %q is not a top-level test name", n, e.Test)
		}
		key := e.Package + " " + e.Test
		if prev, ok := seen[key]; ok {
			return nil, fmt.Errorf("line %d: %s is listed on line %d already", n, key, prev)
		}
		seen[key] = n
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Test != wholePackage {
			if prev, ok := seen[e.Package+" "+wholePackage]; ok {
				return nil, fmt.Errorf("line %d: %s %s is listed, but line %d skips the whole package", e.Line, e.Package, e.Test, prev)
			}
		}
	}
	return entries, nil
}

// skipsFor returns the entries of one package, sorted by test name.
func skipsFor(entries []skipEntry, pkg string) []skipEntry {
	var out []skipEntry
	for _, e := range entries {
		if e.Package == pkg {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Test < out[j].Test })
	return out
}

// namesPattern is the -test.run / -test.skip pattern that matches exactly
// the named top-level tests.
func namesPattern(entries []skipEntry) string {
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = regexp.QuoteMeta(e.Test)
	}
	return "^(" + strings.Join(names, "|") + ")$"
}
