//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// event is one line of `go tool test2json` output.
type event struct {
	Action string
	Test   string
	Output string
}

// runResult is what one run of a test binary did: the outcome of every
// top-level test that reported one, and of the binary as a whole.
type runResult struct {
	Tests   map[string]string // top-level test name: "pass", "fail" or "skip"
	Reasons map[string]string // skip or failure output, first lines, per top-level test
	Package string            // "pass", "fail", or "" when the binary never said
	Output  []string          // output outside any test (crashes, panics at init)
}

// readEvents folds test2json's events into a runResult. Subtests count
// only through their parent. A test that started but never ended (the
// binary crashed or timed out while it ran) counts as failed.
func readEvents(r io.Reader) (runResult, error) {
	res := runResult{Tests: map[string]string{}, Reasons: map[string]string{}}
	output := map[string][]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var ev event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return res, fmt.Errorf("test2json output %q: %w", sc.Text(), err)
		}
		top, _, sub := strings.Cut(ev.Test, "/")
		switch {
		case ev.Test == "":
			switch ev.Action {
			case "pass", "fail":
				res.Package = ev.Action
			case "output":
				res.Output = append(res.Output, strings.TrimRight(ev.Output, "\n"))
			}
		case ev.Action == "run" && !sub:
			res.Tests[top] = "run"
		case ev.Action == "output":
			o := strings.TrimSpace(ev.Output)
			if o != "" && !strings.HasPrefix(o, "=== ") && !strings.HasPrefix(o, "--- ") && len(output[top]) < 6 {
				output[top] = append(output[top], o)
			}
		case (ev.Action == "pass" || ev.Action == "fail" || ev.Action == "skip") && !sub:
			res.Tests[top] = ev.Action
		}
	}
	if err := sc.Err(); err != nil {
		return res, err
	}
	for name, outcome := range res.Tests {
		if outcome == "run" {
			res.Tests[name] = "fail"
			output[name] = append(output[name], "(never finished: the binary crashed or timed out)")
		}
		if o := res.Tests[name]; o == "fail" || o == "skip" {
			res.Reasons[name] = strings.Join(output[name], " | ")
		}
	}
	return res, nil
}

// named returns the tests with the given outcome, sorted.
func (r runResult) named(outcome string) []string {
	var out []string
	for name, o := range r.Tests {
		if o == outcome {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// pkgVerdict is what the harness concludes about one package.
type pkgVerdict struct {
	Package     string
	Passed      []string
	SelfSkipped []string // skipped by the test itself (t.Skip)
	Listed      []skipEntry
	Failed      []string // failed and not on the skip list: the run fails
	Stale       []string // on the skip list but passing or gone: the run fails
	Problems    []string // the binary itself failed, outside any test
}

// ok reports whether the package leaves the run green.
func (v pkgVerdict) ok() bool {
	return len(v.Failed) == 0 && len(v.Stale) == 0 && len(v.Problems) == 0
}

// judge compares a package's run (with the listed tests skipped) and its
// recheck (only the listed tests, which must still fail) with the list. A
// listed test that the recheck did not run does not exist any more.
func judge(pkg string, listed []skipEntry, main, recheck runResult) pkgVerdict {
	v := pkgVerdict{Package: pkg, Listed: listed}
	v.Passed = main.named("pass")
	v.SelfSkipped = main.named("skip")
	for _, name := range main.named("fail") {
		v.Failed = append(v.Failed, name+": "+main.Reasons[name])
	}
	if main.Package != "pass" && len(v.Failed) == 0 {
		msg := "the test binary failed outside any test"
		if main.Package == "" {
			msg = "the test binary ended without a verdict"
		}
		if tail := lastLines(main.Output, 5); tail != "" {
			msg += ": " + tail
		}
		v.Problems = append(v.Problems, msg)
	}
	if len(listed) > 0 && recheck.Package == "" && len(recheck.Tests) == 0 {
		msg := "the recheck of the listed tests ended without a verdict"
		if tail := lastLines(recheck.Output, 5); tail != "" {
			msg += ": " + tail
		}
		v.Problems = append(v.Problems, msg)
		return v
	}
	for _, e := range listed {
		switch {
		case recheck.Tests[e.Test] == "":
			v.Stale = append(v.Stale, fmt.Sprintf("%s (line %d): no such test any more", e.Test, e.Line))
		case recheck.Tests[e.Test] == "pass":
			v.Stale = append(v.Stale, fmt.Sprintf("%s (line %d): passes under Wine now", e.Test, e.Line))
		case recheck.Tests[e.Test] == "skip":
			v.Stale = append(v.Stale, fmt.Sprintf("%s (line %d): skips itself under Wine now", e.Test, e.Line))
		}
	}
	return v
}

func lastLines(lines []string, n int) string {
	var keep []string
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" && l != "FAIL" && l != "PASS" {
			keep = append(keep, l)
		}
	}
	if len(keep) > n {
		keep = keep[len(keep)-n:]
	}
	return strings.Join(keep, " | ")
}
