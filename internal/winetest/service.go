//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// serviceFixture is the config the service step imports (one without
// PreUp/PostUp scripts, which the service refuses before it looks for
// Wintun), and the name it is stored under.
const (
	serviceFixture = "config/testdata/parse-routeros.conf"
	serviceTunnel  = "parse-routeros"
)

// loopbackConf is a split tunnel with an IP endpoint on loopback and no
// scripts: up fails only for want of the Wintun adapter. (The keys are the
// examples from wg(8).)
const loopbackConf = `[Interface]
PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=
Address = 10.99.0.2/32

[Peer]
PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=
AllowedIPs = 10.99.0.0/24
Endpoint = 127.0.0.1:51820
`

// crashed matches output of a Go program that panicked or died.
var crashed = regexp.MustCompile(`(?m)^(panic:|fatal error:|goroutine \d+ \[)`)

// upVerdict checks what `up` said under Wine, where no Wintun driver can
// load: it must fail, with the human sentence about wintun.dll, not crash.
func upVerdict(code int, output string) error {
	switch {
	case crashed.MatchString(output):
		return fmt.Errorf("up crashed: %s", oneLine(output))
	case code == 0:
		return fmt.Errorf("up succeeded under Wine, where no Wintun adapter can exist: %s", oneLine(output))
	case !strings.Contains(strings.ToLower(output), "wintun"):
		return fmt.Errorf("up failed without naming Wintun: %s", oneLine(output))
	}
	return nil
}

// runService starts `wgdesk.exe service` in the prefix (the user is an
// elevated administrator there) and drives it over the named pipe with the
// CLI: list, import, list, status --json, up (which must fail with the
// Wintun sentence), list again, then Ctrl-C.
func runService(ctx context.Context, o options, w *wine, exe string, sum *summary) {
	start := time.Now()
	stateDir := filepath.Join(w.prefix, "drive_c", "ProgramData", "wgdesk")
	if err := os.RemoveAll(stateDir); err != nil {
		sum.fail("service: clear %s: %v", stateDir, err)
		return
	}
	logPath := filepath.Join(o.cache, "service.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		sum.fail("service: %v", err)
		return
	}
	defer logFile.Close()
	svc := w.command(ctx, exe, "service", "--verbose")
	svc.Dir = o.root
	svc.Stdout, svc.Stderr = logFile, logFile
	ownGroup(svc)
	if err := svc.Start(); err != nil {
		sum.fail("service: start: %v", err)
		return
	}
	svcDone := make(chan struct{})
	go func() { svc.Wait(); close(svcDone) }()
	stopped := false
	defer func() {
		if !stopped {
			stopGroup(svc, svcDone, 5*time.Second)
		}
	}()

	cli := func(args ...string) (parseRun, error) {
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		cmd := w.command(cctx, exe, args...)
		cmd.Dir = o.root
		return runOne(cctx, cmd)
	}
	serviceLog := func() string {
		b, _ := os.ReadFile(logPath)
		return oneLine(lastLines(strings.Split(string(b), "\n"), 8))
	}

	// The service answers once its pipe exists.
	var first parseRun
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(time.Second) {
		select {
		case <-svcDone:
			sum.fail("service: ended at start (%s): %s", svc.ProcessState, serviceLog())
			stopped = true
			return
		default:
		}
		first, err = cli("list")
		if err == nil && first.Code == 0 {
			break
		}
		if time.Now().After(deadline) {
			sum.fail("service: list never succeeded within 60s: %q %q; service log: %s", first.Stdout, first.Stderr, serviceLog())
			return
		}
	}
	if strings.Contains(string(first.Stdout), serviceTunnel) {
		sum.fail("service: a fresh state directory lists %s already", serviceTunnel)
	}
	imp, err := cli("import", serviceFixture)
	if err != nil || imp.Code != 0 {
		sum.fail("service: import %s: exit %d, %v: %s %s", serviceFixture, imp.Code, err, imp.Stdout, imp.Stderr)
		return
	}
	list, err := cli("list")
	if err != nil || list.Code != 0 || !regexp.MustCompile(`(?m)^`+serviceTunnel+` +inactive +`).Match(list.Stdout) {
		sum.fail("service: list after import: exit %d, %v: %q %q", list.Code, err, list.Stdout, list.Stderr)
		return
	}
	status, err := cli("status", "--json")
	if err != nil || status.Code != 0 {
		sum.fail("service: status --json after import: exit %d, %v: %s", status.Code, err, status.Stderr)
		return
	}
	var tunnels []struct {
		Name  string `json:"name"`
		State string `json:"state"`
	}
	if err := json.Unmarshal(status.Stdout, &tunnels); err != nil {
		sum.fail("service: status --json: %v: %q", err, status.Stdout)
		return
	}
	if len(tunnels) != 1 || tunnels[0].Name != serviceTunnel || tunnels[0].State != "inactive" {
		sum.fail("service: after importing %s, status --json says %s", serviceFixture, oneLine(string(status.Stdout)))
		return
	}
	// A split tunnel to loopback, so that up gets as far as the adapter.
	upConf := filepath.Join(o.cache, "winetest-up.conf")
	if err := os.WriteFile(upConf, []byte(loopbackConf), 0o600); err != nil {
		sum.fail("service: %v", err)
		return
	}
	rel, _ := filepath.Rel(o.root, upConf)
	if imp, err := cli("import", filepath.ToSlash(rel)); err != nil || imp.Code != 0 {
		sum.fail("service: import %s: exit %d, %v: %s %s", upConf, imp.Code, err, imp.Stdout, imp.Stderr)
		return
	}
	up, err := cli("up", "winetest-up")
	if err != nil {
		sum.fail("service: up: %v", err)
		return
	}
	if err := upVerdict(up.Code, string(up.Stdout)+string(up.Stderr)); err != nil {
		sum.fail("service: %v; service log: %s", err, serviceLog())
		return
	}
	if after, err := cli("list"); err != nil || after.Code != 0 {
		sum.fail("service: list after the failed up: exit %d, %v: %s; service log: %s", after.Code, err, after.Stderr, serviceLog())
		return
	}

	// Ctrl-C (Wine turns SIGINT into a console control event), then the
	// service must end by itself.
	svc.Process.Signal(os.Interrupt)
	select {
	case <-svcDone:
		stopped = true
	case <-time.After(20 * time.Second):
		sum.note("service: did not end within 20s of SIGINT under Wine; killed")
	}
	if b, _ := os.ReadFile(logPath); crashed.Match(b) {
		sum.fail("service: the service's log shows a crash: %s", serviceLog())
		return
	}
	sum.note("service: wgdesk.exe service answered list, import, status --json over the pipe; up failed with %q (%s)",
		firstLine(string(up.Stderr)+string(up.Stdout)), time.Since(start).Round(time.Second))
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
