//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// windowsEnv builds and lists packages for 64-bit Windows without cgo.
func windowsEnv() []string {
	return append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
}

// testPackages lists the module's packages that have tests when built for
// Windows, module-relative ("." for the root).
func testPackages(ctx context.Context, module string) ([]string, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-f", "{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}", "./...")
	cmd.Env = windowsEnv()
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	var pkgs []string
	for _, p := range strings.Fields(string(out)) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p, module), "/")
		if rel == "" {
			rel = "."
		}
		pkgs = append(pkgs, rel)
	}
	return pkgs, nil
}

// deleteatOverlay writes a go build -overlay file that patches one line of
// the standard library for the test binaries: Wine 8 answers
// NtSetInformationFile(FileDispositionInformationEx) with
// STATUS_NOT_IMPLEMENTED, which Go's Deleteat does not take as "use the
// older FileDispositionInformation", so os.RemoveAll, and with it every
// t.TempDir cleanup, fails with "unlinkat ...: Invalid function". The
// patch adds that status to the ones Go already falls back on; Windows 10
// 1607 and later never return it, so the patched binaries behave as the
// unpatched ones there. When Go's source no longer has the anchor line,
// the harness stops and says so rather than build unpatched.
func deleteatOverlay(dir string) (string, error) {
	goroot := runtime.GOROOT()
	if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		goroot = strings.TrimSpace(string(out))
	}
	src := filepath.Join(goroot, "src", "internal", "syscall", "windows", "at_windows.go")
	old, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	const anchor = "\t\tSTATUS_NOT_SUPPORTED:     // the file system doesn't support FILE_DISPOSITION_INFORMATION_EX or one of the flags\n"
	if bytes.Count(old, []byte(anchor)) != 1 {
		return "", fmt.Errorf("%s has changed: the Wine overlay in internal/winetest/gotest.go needs updating", src)
	}
	patched := bytes.Replace(old, []byte(anchor), []byte("\t\tNTStatus(0xC0000002), // STATUS_NOT_IMPLEMENTED: Wine 8 (winetest overlay)\n"+anchor), 1)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	file := filepath.Join(dir, "at_windows.go.patched")
	if err := os.WriteFile(file, patched, 0o644); err != nil {
		return "", err
	}
	overlay := filepath.Join(dir, "overlay.json")
	js := fmt.Sprintf("{\"Replace\": {%q: %q}}\n", src, file)
	return overlay, os.WriteFile(overlay, []byte(js), 0o644)
}

// builtTest is a package's Windows test binary, or why it did not build.
type builtTest struct {
	pkg, exe string
	err      error
}

// buildTests builds the packages' test binaries one after the other and
// hands each over as soon as it is linked, so that the next one builds
// while Wine runs the last.
func buildTests(ctx context.Context, root, outDir, overlay string, pkgs []string) <-chan builtTest {
	ch := make(chan builtTest, 1)
	go func() {
		defer close(ch)
		for _, pkg := range pkgs {
			b := builtTest{pkg: pkg, exe: filepath.Join(outDir, strings.NewReplacer("/", "-", ".", "root").Replace(pkg)+".test.exe")}
			cmd := exec.CommandContext(ctx, "go", "test", "-c", "-overlay", overlay, "-o", b.exe, "./"+pkg)
			cmd.Dir = root
			cmd.Env = windowsEnv()
			if out, err := cmd.CombinedOutput(); err != nil {
				b.err = fmt.Errorf("does not build for Windows: %v: %s", err, strings.TrimSpace(string(out)))
			}
			select {
			case ch <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// runPackageTests runs one package's Windows test binary under Wine: the
// listed tests skipped by name, then the listed tests alone to see they
// still fail.
func runPackageTests(ctx context.Context, w *wine, root string, b builtTest, listed []skipEntry) pkgVerdict {
	pkg, exe := b.pkg, b.exe
	v := pkgVerdict{Package: pkg, Listed: listed}
	if b.err != nil {
		v.Problems = append(v.Problems, b.err.Error())
		return v
	}
	dir := filepath.Join(root, pkg)
	if len(listed) == 1 && listed[0].Test == wholePackage {
		// Listed as unable to start: it must still fail to.
		res, err := runTest2JSON(ctx, w, dir, pkg, exe, 2*time.Minute, "-test.v=test2json", "-test.run", "^$")
		if err == nil && res.Package == "pass" {
			v.Stale = append(v.Stale, fmt.Sprintf("%s (line %d): the test binary starts under Wine now", wholePackage, listed[0].Line))
		}
		return v
	}

	args := []string{"-test.v=test2json", "-test.count=1", "-test.timeout=5m"}
	if len(listed) > 0 {
		args = append(args, "-test.skip", namesPattern(listed))
	}
	main, err := runTest2JSON(ctx, w, dir, pkg, exe, 6*time.Minute, args...)
	if err != nil {
		v.Problems = append(v.Problems, err.Error())
		return v
	}
	var recheck runResult
	if len(listed) > 0 {
		recheck, err = runTest2JSON(ctx, w, dir, pkg, exe, 3*time.Minute, "-test.v=test2json", "-test.count=1", "-test.timeout=2m", "-test.run", namesPattern(listed))
		if err != nil {
			v.Problems = append(v.Problems, err.Error())
			return v
		}
	}
	return judge(pkg, listed, main, recheck)
}

// runTest2JSON runs a test binary under Wine through go tool test2json.
func runTest2JSON(ctx context.Context, w *wine, dir, pkg, exe string, limit time.Duration, args ...string) (runResult, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append([]string{"tool", "test2json", "-p", pkg, w.bin, exe}, args...)...)
	cmd.Dir = dir
	cmd.Env = w.env()
	ownGroup(cmd)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	res, perr := readEvents(bytes.NewReader(stdout.Bytes()))
	if perr != nil {
		return res, fmt.Errorf("read the test events of %s: %w", pkg, perr)
	}
	res.Output = append(res.Output, strings.Split(stderr.String(), "\n")...)
	if ctx.Err() != nil {
		return res, fmt.Errorf("%s under Wine did not end within %s", pkg, limit)
	}
	_ = err // test2json exits 1 when a test failed; the events say which
	return res, nil
}
