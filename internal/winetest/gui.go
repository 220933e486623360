//go:build linux

package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// linuxOnly matches text that must never reach a Windows screen: Linux
// commands and paths from the hints.
var linuxOnly = regexp.MustCompile(`(?i)\b(sudo|systemctl|usermod|groupadd|journalctl)\b|/run/`)

// expectedOnScreen is text the main window always shows; without it the
// screenshot is blank or the window is not ours.
var expectedOnScreen = regexp.MustCompile(`(?i)wgdesk|service`)

// screenVerdict checks OCR'd screen text: the Linux-only words found, and
// whether anything of the app was read at all.
func screenVerdict(text string) (linux []string, recognised bool) {
	seen := map[string]bool{}
	for _, m := range linuxOnly.FindAllString(text, -1) {
		if k := strings.ToLower(m); !seen[k] {
			seen[k] = true
			linux = append(linux, m)
		}
	}
	return linux, expectedOnScreen.MatchString(text)
}

// startXvfb starts a virtual display and returns its name, e.g. ":3".
func startXvfb(ctx context.Context) (*exec.Cmd, <-chan struct{}, string, error) {
	r, wfd, err := os.Pipe()
	if err != nil {
		return nil, nil, "", err
	}
	defer r.Close()
	cmd := exec.CommandContext(ctx, "Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-noreset", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{wfd}
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		wfd.Close()
		return nil, nil, "", fmt.Errorf("start Xvfb: %w", err)
	}
	wfd.Close()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case n := <-line:
		if n == "" {
			stopGroup(cmd, done, time.Second)
			return nil, nil, "", fmt.Errorf("Xvfb did not say which display it opened")
		}
		return cmd, done, ":" + n, nil
	case <-time.After(20 * time.Second):
		stopGroup(cmd, done, time.Second)
		return nil, nil, "", fmt.Errorf("Xvfb did not start within 20s")
	}
}

// windowShown reports whether a top-level window whose name contains
// title is on the display.
func windowShown(ctx context.Context, display, title string) bool {
	cmd := exec.CommandContext(ctx, "xwininfo", "-root", "-tree", "-display", display)
	out, err := cmd.Output()
	return err == nil && strings.Contains(strings.ToLower(string(out)), strings.ToLower(`"`+title))
}

// screenshot saves the display as a PNG and returns its OCR'd text.
func screenshot(ctx context.Context, display, png string) (string, error) {
	if out, err := exec.CommandContext(ctx, "import", "-display", display, "-window", "root", png).CombinedOutput(); err != nil {
		return "", fmt.Errorf("import: %v: %s", err, out)
	}
	// Twice the size in grey reads far better than the screen's small
	// type (at 1x "wgdesk" often comes out as "wadesk").
	big := strings.TrimSuffix(png, ".png") + "-ocr.png"
	defer os.Remove(big)
	if out, err := exec.CommandContext(ctx, "convert", png, "-colorspace", "Gray", "-resize", "200%", big).CombinedOutput(); err != nil {
		return "", fmt.Errorf("convert: %v: %s", err, out)
	}
	out, err := exec.CommandContext(ctx, "tesseract", big, "stdout").Output()
	if err != nil {
		return "", fmt.Errorf("tesseract %s: %w", big, err)
	}
	return string(out), nil
}

// runGUI starts the GUI exe under Wine on Xvfb with no service running,
// waits for its window, keeps a screenshot and checks its text.
func runGUI(ctx context.Context, o options, w *wine, sum *summary) {
	start := time.Now()
	xvfb, xdone, display, err := startXvfb(ctx)
	if err != nil {
		sum.fail("gui: %v", err)
		return
	}
	defer stopGroup(xvfb, xdone, 2*time.Second)

	if err := os.MkdirAll(o.screenshots, 0o755); err != nil {
		sum.fail("gui: %v", err)
		return
	}
	logPath := filepath.Join(o.cache, "gui.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		sum.fail("gui: %v", err)
		return
	}
	defer logFile.Close()
	app := exec.CommandContext(ctx, w.bin, o.guiExe)
	app.Dir = o.root
	app.Env = w.env("DISPLAY=" + display)
	app.Stdout, app.Stderr = logFile, logFile
	ownGroup(app)
	if err := app.Start(); err != nil {
		sum.fail("gui: start %s: %v", o.guiExe, err)
		return
	}
	appDone := make(chan struct{})
	go func() { app.Wait(); close(appDone) }()
	defer stopGroup(app, appDone, 3*time.Second)

	shown := false
	for deadline := time.Now().Add(120 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		select {
		case <-appDone:
			sum.fail("gui: the app ended before its window appeared (%s); log %s", app.ProcessState, logPath)
			return
		default:
		}
		if windowShown(ctx, display, "wgdesk") {
			shown = true
			break
		}
	}
	if !shown {
		sum.fail("gui: no window named wgdesk within 120s; log %s", logPath)
		return
	}
	// The window exists before the toolkit has drawn into it: take
	// screenshots until the OCR reads the app's text, bounded.
	png := filepath.Join(o.screenshots, "windows-main-window.png")
	var text string
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(2 * time.Second) {
		text, err = screenshot(ctx, display, png)
		if err != nil {
			sum.fail("gui: %v", err)
			return
		}
		if _, ok := screenVerdict(text); ok || time.Now().After(deadline) {
			break
		}
	}
	os.WriteFile(strings.TrimSuffix(png, ".png")+".txt", []byte(text), 0o644)
	linux, recognised := screenVerdict(text)
	if !recognised {
		sum.fail("gui: the screenshot %s shows none of the app's text (OCR: %q)", png, oneLine(text))
		return
	}
	if len(linux) > 0 {
		sum.fail("gui: Linux-only text on the Windows screen: %s (screenshot %s, OCR: %q)", strings.Join(linux, ", "), png, oneLine(text))
		return
	}
	sum.note("gui: window shown and drawn in %s, no Linux-only text; screenshot %s", time.Since(start).Round(time.Second), png)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
