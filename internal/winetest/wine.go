//go:build linux

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// wine runs Windows programs in a private Wine prefix.
type wine struct {
	bin    string // the wine64 loader
	server string // wineserver, to wait for and stop the prefix's processes
	prefix string
}

// env is the environment every Wine process of the harness gets: its own
// prefix, no debug chatter, no prompts to install Mono or Gecko, and no
// display unless the caller adds one.
func (w *wine) env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "WINEPREFIX", "WINEDEBUG", "WINEDLLOVERRIDES", "WINEARCH", "DISPLAY", "WAYLAND_DISPLAY":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "WINEPREFIX="+w.prefix, "WINEARCH=win64", "WINEDEBUG=-all", "WINEDLLOVERRIDES=mscoree,mshtml=")
	return append(env, extra...)
}

// command is a Windows program run under Wine in the prefix.
func (w *wine) command(ctx context.Context, exe string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, w.bin, append([]string{exe}, args...)...)
	cmd.Env = w.env()
	return cmd
}

// stop ends every process of the prefix and waits for the wineserver.
func (w *wine) stop() {
	cmd := exec.Command(w.server, "-k")
	cmd.Env = w.env()
	cmd.Run()
	cmd = exec.Command(w.server, "-w")
	cmd.Env = w.env()
	cmd.Run()
}

// prefixStamp names what a prefix was made from: Wine's version and the
// stand-in's source. A prefix with another stamp is made again.
func prefixStamp(wineVersion string, standinSource []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "winetest prefix v1\n%s\n", wineVersion)
	h.Write(standinSource)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// preparePrefix makes the prefix under cache (or reuses the one made from
// the same Wine and stand-in) and puts the stand-in bcryptprimitives.dll
// into its system32. Go 1.24+ exes abort under Wine 8 without it.
func preparePrefix(ctx context.Context, cache, wineBin, standinSrc string) (*wine, error) {
	w := &wine{bin: wineBin, server: filepath.Join(filepath.Dir(wineBin), "wineserver"), prefix: filepath.Join(cache, "prefix")}
	if _, err := os.Stat(w.server); err != nil {
		if p, err := exec.LookPath("wineserver"); err == nil {
			w.server = p
		}
	}
	src, err := os.ReadFile(standinSrc)
	if err != nil {
		return nil, err
	}
	version, err := exec.CommandContext(ctx, wineBin, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --version: %w", wineBin, err)
	}
	stamp := prefixStamp(strings.TrimSpace(string(version)), src)
	stampFile := filepath.Join(w.prefix, ".winetest-stamp")
	dll := filepath.Join(cache, "bcryptprimitives.dll")
	if got, _ := os.ReadFile(stampFile); string(got) == stamp {
		logf("prefix: reusing %s (%s)", w.prefix, strings.TrimSpace(string(version)))
		return w, nil
	}
	if err := os.RemoveAll(w.prefix); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, err
	}
	start := time.Now()
	build := exec.CommandContext(ctx, "x86_64-w64-mingw32-gcc", "-O2", "-shared", "-s", "-o", dll, standinSrc, "-ladvapi32")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build the stand-in %s: %w\n%s", dll, err, out)
	}
	boot := w.command(ctx, "wineboot", "--init")
	if out, err := boot.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("wineboot --init in %s: %w\n%s", w.prefix, err, out)
	}
	w.stop()
	sys32 := filepath.Join(w.prefix, "drive_c", "windows", "system32")
	data, err := os.ReadFile(dll)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(sys32, "bcryptprimitives.dll"), data, 0o644); err != nil {
		return nil, fmt.Errorf("install the stand-in: %w", err)
	}
	if err := os.WriteFile(stampFile, []byte(stamp), 0o644); err != nil {
		return nil, err
	}
	logf("prefix: made %s in %s (%s)", w.prefix, time.Since(start).Round(time.Second), strings.TrimSpace(string(version)))
	return w, nil
}
