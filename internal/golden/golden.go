// Package golden compares test output with files under testdata: one
// helper for every package's golden tests, and the line diff they print.
//
// Each test package keeps its own -update flag (flags are per binary) and
// passes its value in, so this package registers nothing.
package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Check compares got with the file at path. With update it first writes
// got there (creating testdata/ if needed), so `go test -update` refreshes
// the files and the comparison still runs.
func Check(t testing.TB, path, got string, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := Diff(string(want), got); d != "" {
		t.Errorf("%s differs (- want, + got):\n%s", path, d)
	}
}

// Diff compares two texts line by line and returns a readable diff ("-"
// for lines only in want, "+" for lines only in got, two spaces for
// common ones), or "" when they are equal. It is quadratic in the number
// of lines: meant for golden files, not for large inputs.
func Diff(want, got string) string {
	if want == got {
		return ""
	}
	a := strings.Split(strings.TrimRight(want, "\n"), "\n")
	b := strings.Split(strings.TrimRight(got, "\n"), "\n")
	// lcs[i][j] is the length of the longest common subsequence of a[i:]
	// and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	changed := false
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			out.WriteString("  " + a[i] + "\n")
			i, j = i+1, j+1
		case j < len(b) && (i == len(a) || lcs[i][j+1] >= lcs[i+1][j]):
			out.WriteString("+ " + b[j] + "\n")
			j, changed = j+1, true
		default:
			out.WriteString("- " + a[i] + "\n")
			i, changed = i+1, true
		}
	}
	if !changed {
		return "(only trailing newlines differ)\n"
	}
	return out.String()
}
