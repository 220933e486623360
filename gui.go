//go:build cgo

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/wgdesk/wgdesk/app"
	"github.com/wgdesk/wgdesk/cli"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// runGUI starts the desktop app; args are [--socket PATH]. Started as root
// where no service answers (a fresh machine, `make run`), it runs the
// service in this process for as long as the window lives, and takes every
// tunnel down when the app quits.
func runGUI(args []string, stdout, stderr io.Writer) int {
	if os.Geteuid() != 0 {
		return app.Main(args, stdout, stderr)
	}
	socket := socketArg(args)
	if !serviceDown(socket) {
		return app.Main(args, stdout, stderr)
	}
	fmt.Fprintf(stderr, "wgdesk: no service on %s and running as root: running the tunnels in this process until the app quits\n", socket)
	ctx, cancel := context.WithCancel(context.Background())
	done, err := cli.EmbeddedService(ctx, socket, "", stderr)
	if err != nil {
		cancel()
		fmt.Fprintf(stderr, "wgdesk: %v\n", err)
		return app.Main(args, stdout, stderr) // the app shows why it cannot connect
	}
	code := app.Main(args, stdout, stderr)
	cancel()
	if c := <-done; c != 0 && code == 0 {
		code = c
	}
	return code
}

// serviceDown reports whether nothing answers on the socket.
func serviceDown(socket string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c := api.Dial(socket)
	defer c.Close()
	_, err := c.Version(ctx)
	return errors.Is(err, api.ErrServiceDown)
}

// socketArg finds --socket PATH or --socket=PATH in the app's arguments.
func socketArg(args []string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--socket="); ok {
			return v
		}
		if v, ok := strings.CutPrefix(a, "-socket="); ok {
			return v
		}
		if (a == "--socket" || a == "-socket") && i+1 < len(args) {
			return args[i+1]
		}
	}
	return api.DefaultSocket
}
