package golden

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDiff(t *testing.T) {
	for _, tc := range []struct{ name, want, got, diff string }{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"added", "a\nc\n", "a\nb\nc\n", "  a\n+ b\n  c\n"},
		{"removed", "a\nb\nc\n", "a\nc\n", "  a\n- b\n  c\n"},
		{"changed", "a\nb\n", "a\nB\n", "  a\n+ B\n- b\n"},
		{"trailing newline", "a\n", "a", "(only trailing newlines differ)\n"},
		{"from empty", "", "x\n", "+ x\n- \n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := Diff(tc.want, tc.got); d != tc.diff {
				t.Errorf("Diff(%q, %q) = %q, want %q", tc.want, tc.got, d, tc.diff)
			}
		})
	}
}

// recorder is a testing.TB that keeps failures instead of reporting them.
type recorder struct {
	testing.TB
	failed bool
	fatal  bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed, r.fatal = true, true }
func (r *recorder) Fatal(...any)          { r.failed, r.fatal = true, true }

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "testdata", "x.golden")

	r := &recorder{TB: t}
	Check(r, path, "one\n", false)
	if !r.fatal {
		t.Error("a missing golden file passed")
	}

	r = &recorder{TB: t}
	Check(r, path, "one\n", true)
	if r.failed {
		t.Error("update did not write the file")
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "one\n" {
		t.Errorf("file holds %q, %v", b, err)
	}

	r = &recorder{TB: t}
	Check(r, path, "one\n", false)
	if r.failed {
		t.Error("equal output failed")
	}

	r = &recorder{TB: t}
	Check(r, path, "two\n", false)
	if !r.failed || r.fatal {
		t.Errorf("different output: failed %v fatal %v, want an error", r.failed, r.fatal)
	}
}
