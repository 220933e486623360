package platform

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
)

// New returns the macOS implementation: ifconfig(8) and route(8) for the
// utun interface's addresses, MTU and routes, networksetup(8) for DNS (see
// macnet.go), pfctl(8) for the kill switch (pfctl.go). It implements
// Watcher with a routing socket, and Firewaller.
func New(opts Options) (Network, error) {
	n := newMacNetwork(opts, macExec{})
	n.openRoutes = openMacRouteSocket
	return n, nil
}

// macTools are the only commands the macOS back end runs, by absolute path
// so that the service, running as root, never searches PATH.
var macTools = map[string]string{
	"ifconfig":     "/sbin/ifconfig",
	"route":        "/sbin/route",
	"networksetup": "/usr/sbin/networksetup",
	"netstat":      "/usr/sbin/netstat", // connected subnets (connected_mac.go)
	"pfctl":        "/sbin/pfctl",       // the kill switch (pfctl.go)
}

// macExec runs the tools with os/exec, in the C locale so that their
// messages are the English ones the parsers expect.
type macExec struct{}

func (macExec) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	path, ok := macTools[name]
	if !ok {
		return nil, fmt.Errorf("run %s: not a known tool", name)
	}
	var stdout, stderr bytes.Buffer
	c := exec.CommandContext(ctx, path, args...)
	c.Env = append(os.Environ(), "LC_ALL=C")
	c.Stdout = &stdout
	c.Stderr = &stderr
	if err := c.Run(); err != nil {
		return stdout.Bytes(), macCommandError(name, args, err, append(stdout.Bytes(), stderr.Bytes()...))
	}
	return stdout.Bytes(), nil
}

// pfctl implements macPFRunner: pfctl prints its enable token and most of
// its messages on standard error, so both streams are returned, in one
// buffer in the order written.
func (macExec) pfctl(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	var out bytes.Buffer
	c := exec.CommandContext(ctx, macTools["pfctl"], args...)
	c.Env = append(os.Environ(), "LC_ALL=C")
	if stdin != nil {
		c.Stdin = bytes.NewReader(stdin)
	}
	c.Stdout = &out
	c.Stderr = &out
	if err := c.Run(); err != nil {
		return out.Bytes(), macCommandError("pfctl", args, err, out.Bytes())
	}
	return out.Bytes(), nil
}
