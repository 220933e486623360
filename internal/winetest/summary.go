//go:build linux

package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// summary collects what every step found, for the report at the end.
type summary struct {
	tests    bool
	packages []pkgVerdict
	notes    []string
	failures []string
}

func (s *summary) note(format string, args ...any) {
	s.notes = append(s.notes, fmt.Sprintf(format, args...))
}

func (s *summary) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	logf("FAIL %s", msg)
	s.failures = append(s.failures, msg)
}

func (s *summary) print(out io.Writer, took time.Duration) {
	fmt.Fprintf(out, "\n==== wine summary (%s) ====\n", took.Round(time.Second))
	if s.tests {
		var passed, selfSkipped, listed, failed int
		for _, v := range s.packages {
			passed += len(v.Passed)
			selfSkipped += len(v.SelfSkipped)
			listed += len(v.Listed)
			failed += len(v.Failed)
		}
		fmt.Fprintf(out, "test binaries: %d packages, %d tests passed, %d skipped by the skip list, %d skipped themselves, %d failed\n",
			len(s.packages), passed, listed, selfSkipped, failed)
		for _, v := range s.packages {
			state := "ok"
			if !v.ok() {
				state = "FAIL"
			}
			fmt.Fprintf(out, "  %-4s %-40s %3d passed", state, v.Package, len(v.Passed))
			if len(v.SelfSkipped) > 0 {
				fmt.Fprintf(out, ", skipped themselves: %s", strings.Join(v.SelfSkipped, " "))
			}
			fmt.Fprintln(out)
			for _, e := range v.Listed {
				fmt.Fprintf(out, "         skip-listed %s: %s\n", e.Test, e.Reason)
			}
		}
	}
	for _, n := range s.notes {
		fmt.Fprintf(out, "%s\n", n)
	}
	if len(s.failures) == 0 {
		fmt.Fprintln(out, "result: PASS")
		return
	}
	fmt.Fprintf(out, "result: FAIL (%d)\n", len(s.failures))
	for _, f := range s.failures {
		fmt.Fprintf(out, "  - %s\n", f)
	}
}
