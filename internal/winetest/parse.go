//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// parseCase is one `wgdesk parse --json` run: a fixture, given by a path
// relative to the module root with forward slashes (both systems take it).
type parseCase struct {
	Name     string
	Path     string
	WantFail bool // a bad input: both must exit non-zero
}

// parseCases lists the fixtures in config/testdata (the .conf files, the
// zip and the QR screenshot) and two bad inputs: a file that is not a
// config and one that does not exist.
func parseCases(root, scratch string) ([]parseCase, error) {
	var cases []parseCase
	for _, pat := range []string{"*.conf", "*.zip", "*.png"} {
		m, err := filepath.Glob(filepath.Join(root, "config", "testdata", pat))
		if err != nil {
			return nil, err
		}
		sort.Strings(m)
		for _, f := range m {
			rel, _ := filepath.Rel(root, f)
			cases = append(cases, parseCase{Name: filepath.Base(f), Path: filepath.ToSlash(rel)})
		}
	}
	if len(cases) == 0 {
		return nil, errors.New("no fixtures in config/testdata")
	}
	bad := filepath.Join(scratch, "bad.conf")
	if err := os.MkdirAll(scratch, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(bad, []byte("[Interface]\nPrivateKey = not-a-key\nAddress = 10.0.0.2/33\n"), 0o644); err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(root, bad)
	if err != nil {
		return nil, err
	}
	cases = append(cases,
		parseCase{Name: "bad.conf (invalid)", Path: filepath.ToSlash(rel), WantFail: true},
		parseCase{Name: "missing file", Path: "config/testdata/does-not-exist.conf", WantFail: true})
	return cases, nil
}

// parseRun is what one binary did with one case.
type parseRun struct {
	Stdout, Stderr []byte
	Code           int
}

// compareParse says how a Windows run differs from the Linux one: stdout
// must be byte-identical and the exit code the same. Output that differs
// only by CRLF line ends is still a difference, named as such.
func compareParse(linux, windows parseRun) []string {
	var diffs []string
	if linux.Code != windows.Code {
		diffs = append(diffs, fmt.Sprintf("exit code %d on Linux, %d on Windows", linux.Code, windows.Code))
	}
	if !bytes.Equal(linux.Stdout, windows.Stdout) {
		switch {
		case bytes.Equal(linux.Stdout, bytes.ReplaceAll(windows.Stdout, []byte("\r\n"), []byte("\n"))):
			diffs = append(diffs, "stdout has CRLF line ends on Windows, LF on Linux")
		case len(windows.Stdout) == 0:
			diffs = append(diffs, fmt.Sprintf("no stdout on Windows (Linux printed %d bytes)", len(linux.Stdout)))
		default:
			diffs = append(diffs, "stdout differs: "+firstDifference(linux.Stdout, windows.Stdout))
		}
	}
	return diffs
}

// firstDifference shows the first line where a and b differ.
func firstDifference(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d: Linux %q, Windows %q", i+1, x, y)
		}
	}
	return "same lines"
}

func runOne(ctx context.Context, cmd *exec.Cmd) (parseRun, error) {
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	ownGroup(cmd)
	err := cmd.Run()
	r := parseRun{Stdout: out.Bytes(), Stderr: errb.Bytes()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return r, ctx.Err()
	case errors.As(err, &exit):
		r.Code = exit.ExitCode()
	case err != nil:
		return r, err
	}
	return r, nil
}

// runParse compares every Windows exe with the Linux binary on every case.
func runParse(ctx context.Context, o options, w *wine, exes map[string]string, sum *summary) {
	linux := filepath.Join(o.cache, "bin", "wgdesk-linux")
	cases, err := parseCases(o.root, filepath.Join(o.cache, "parse"))
	if err != nil {
		sum.fail("parse: %v", err)
		return
	}
	names := make([]string, 0, len(exes))
	for n := range exes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		same := 0
		for _, c := range cases {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			lcmd := exec.CommandContext(cctx, linux, "parse", "--json", c.Path)
			lcmd.Dir = o.root
			lrun, lerr := runOne(cctx, lcmd)
			wcmd := w.command(cctx, exes[name], "parse", "--json", c.Path)
			wcmd.Dir = o.root
			wrun, werr := runOne(cctx, wcmd)
			cancel()
			if lerr != nil || werr != nil {
				sum.fail("parse: %s on %s: Linux: %v, Windows: %v", name, c.Name, lerr, werr)
				continue
			}
			if c.WantFail && lrun.Code == 0 {
				sum.fail("parse: %s: the Linux binary accepted a bad input", c.Name)
				continue
			}
			if diffs := compareParse(lrun, wrun); len(diffs) > 0 {
				sum.fail("parse: %s on %s: %s (Windows stderr: %q)", name, c.Name, strings.Join(diffs, "; "), strings.TrimSpace(string(wrun.Stderr)))
				continue
			}
			same++
		}
		sum.note("parse --json: %s matches Linux on %d of %d cases (stdout bytes and exit code)", name, same, len(cases))
	}
}
