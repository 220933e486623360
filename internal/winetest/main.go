//go:build linux

// Command winetest runs wgdesk's Windows build under Wine (Debian's wine64
// 8.0) on Linux, as CI does with `make test-wine`:
//
//   - tests: every package's Windows test binary (GOOS=windows go test -c)
//     under Wine, with the Wine-only failures named in a skip list
//     (wine-skips.txt) and passed as -test.skip; a failure not on the list
//     fails the run, and so does an entry whose test passes under Wine or
//     no longer exists, so the list stays honest;
//   - parse: `wgdesk.exe parse --json` on every fixture in config/testdata
//     must print what the Linux binary prints, byte for byte, and exit
//     with the same code;
//   - gui: the GUI exe on an Xvfb display, screenshot kept, OCR'd, and no
//     Linux-only hint (sudo, systemctl, ...) may be on screen;
//   - service: `wgdesk.exe service` in the prefix, driven by list and
//     import over the named pipe; up must fail with the Wintun sentence.
//
// Everything runs in a private Wine prefix under the cache directory with
// a stand-in bcryptprimitives.dll (standin/bcryptprimitives.c): Go 1.24
// and later need its ProcessPrng, which Wine 8 lacks. See README.md here.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "winetest: "+format+"\n", args...)
}

type options struct {
	root, cache, skips, standin, wineBin, guiExe, screenshots string
	steps                                                     map[string]bool
}

func main() {
	var o options
	var steps string
	flag.StringVar(&o.root, "root", ".", "the module's root directory")
	flag.StringVar(&o.cache, "cache", ".ci/cache/wine", "where the Wine prefix, stand-in DLL and binaries are kept")
	flag.StringVar(&o.skips, "skips", "internal/winetest/wine-skips.txt", "the list of Wine-only test failures")
	flag.StringVar(&o.standin, "standin", "internal/winetest/standin/bcryptprimitives.c", "the stand-in bcryptprimitives.dll's source")
	flag.StringVar(&o.wineBin, "wine", "/usr/lib/wine/wine64", "Wine's 64-bit loader")
	flag.StringVar(&o.guiExe, "gui-exe", "", "the GUI exe (make windows-gui) for the gui and parse steps")
	flag.StringVar(&o.screenshots, "screenshot-dir", ".ci/artifacts", "where the GUI's screenshot is kept")
	flag.StringVar(&steps, "steps", "tests,parse,gui,service", "which checks to run, comma-separated")
	flag.Parse()
	o.steps = map[string]bool{}
	for _, s := range strings.Split(steps, ",") {
		switch s = strings.TrimSpace(s); s {
		case "tests", "parse", "gui", "service":
			o.steps[s] = true
		case "":
		default:
			logf("unknown step %q", s)
			os.Exit(2)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, o))
}

// run does the steps and prints the summary; its result is the exit code.
func run(ctx context.Context, o options) int {
	start := time.Now()
	root, err := filepath.Abs(o.root)
	if err != nil {
		logf("%v", err)
		return 1
	}
	o.root = root
	for _, p := range []*string{&o.cache, &o.skips, &o.standin, &o.screenshots, &o.guiExe} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(o.root, *p)
		}
	}
	unlock, err := lockCache(o.cache)
	if err != nil {
		logf("%v", err)
		return 1
	}
	defer unlock()
	w, err := preparePrefix(ctx, o.cache, o.wineBin, o.standin)
	if err != nil {
		logf("%v", err)
		return 1
	}
	defer w.stop()
	var sum summary
	if o.steps["tests"] {
		sum.tests = true
		if err := runTests(ctx, o, w, &sum); err != nil {
			sum.fail("tests: %v", err)
		}
		w.stop()
	}
	var cliExe string
	if o.steps["parse"] || o.steps["service"] {
		if cliExe, err = buildCLI(ctx, o.root, filepath.Join(o.cache, "bin")); err != nil {
			sum.fail("build: %v", err)
		}
	}
	if o.steps["parse"] && cliExe != "" {
		exes := map[string]string{"wgdesk.exe (console, no cgo)": cliExe}
		if o.guiExe != "" {
			exes["GUI exe "+filepath.Base(o.guiExe)] = o.guiExe
		}
		runParse(ctx, o, w, exes, &sum)
		w.stop()
	}
	if o.steps["gui"] {
		if o.guiExe == "" {
			sum.fail("gui: no GUI exe given (-gui-exe; make windows-gui builds it)")
		} else {
			runGUI(ctx, o, w, &sum)
		}
		w.stop()
	}
	if o.steps["service"] && cliExe != "" {
		runService(ctx, o, w, cliExe, &sum)
		w.stop()
	}
	sum.print(os.Stdout, time.Since(start))
	if len(sum.failures) > 0 {
		return 1
	}
	return 0
}

// buildCLI builds the Windows exe without cgo (service and command line)
// and the Linux binary the parse step compares it with.
func buildCLI(ctx context.Context, root, dir string) (string, error) {
	exe := filepath.Join(dir, "wgdesk.exe")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", exe, ".")
	cmd.Dir = root
	cmd.Env = windowsEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build for Windows: %v: %s", err, out)
	}
	cmd = exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", filepath.Join(dir, "wgdesk-linux"), ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build for Linux: %v: %s", err, out)
	}
	return exe, nil
}

// runTests runs every package's Windows tests under Wine.
func runTests(ctx context.Context, o options, w *wine, sum *summary) error {
	f, err := os.Open(o.skips)
	if err != nil {
		return err
	}
	entries, err := parseSkipList(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", o.skips, err)
	}
	modOut, err := exec.CommandContext(ctx, "go", "list", "-m").Output()
	if err != nil {
		return fmt.Errorf("go list -m: %w", err)
	}
	pkgs, err := testPackages(ctx, strings.TrimSpace(string(modOut)))
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, p := range pkgs {
		known[p] = true
	}
	for _, e := range entries {
		if !known[e.Package] {
			sum.fail("tests: %s line %d: package %s has no Windows tests any more (stale entry)", filepath.Base(o.skips), e.Line, e.Package)
		}
	}
	overlay, err := deleteatOverlay(filepath.Join(o.cache, "overlay"))
	if err != nil {
		return err
	}
	outDir := filepath.Join(o.cache, "tests")
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	for built := range buildTests(ctx, o.root, outDir, overlay, pkgs) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		pkg := built.pkg
		t0 := time.Now()
		v := runPackageTests(ctx, w, o.root, built, skipsFor(entries, pkg))
		logf("tests: %s: %d passed, %d skipped by the list, %d failed (ran %s)", pkg, len(v.Passed), len(v.Listed), len(v.Failed), time.Since(t0).Round(time.Second))
		sum.packages = append(sum.packages, v)
		for _, f := range v.Failed {
			sum.fail("tests: %s: %s fails under Wine and is not in %s", pkg, f, filepath.Base(o.skips))
		}
		for _, s := range v.Stale {
			sum.fail("tests: %s: stale entry in %s: %s", pkg, filepath.Base(o.skips), s)
		}
		for _, p := range v.Problems {
			sum.fail("tests: %s: %s", pkg, p)
		}
	}
	return nil
}
