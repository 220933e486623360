package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/wgdesk/wgdesk/tunnel/api"
)

// Exit codes of the verbs that talk to the service.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// SocketEnv names the environment variable that overrides the default
// socket path.
const SocketEnv = "WGDESK_SOCKET"

// defaultSocket is --socket's default: $WGDESK_SOCKET, else the service's.
func defaultSocket() string {
	if s := os.Getenv(SocketEnv); s != "" {
		return s
	}
	return api.DefaultSocket
}

// command is one verb's flags and output.
type command struct {
	verb           string
	fs             *flag.FlagSet
	socket         string
	stdout, stderr io.Writer
}

func newCommand(verb, usage string, stdout, stderr io.Writer) *command {
	c := &command{verb: verb, fs: flag.NewFlagSet("wgdesk "+verb, flag.ContinueOnError), stdout: stdout, stderr: stderr}
	c.fs.SetOutput(stderr)
	c.fs.StringVar(&c.socket, "socket", defaultSocket(), "the service's socket (env "+SocketEnv+")")
	c.fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: wgdesk %s %s\n", verb, usage)
		c.fs.PrintDefaults()
	}
	return c
}

// parse reads flags placed before, between or after the positional
// arguments (`wgdesk export office --qr x.png`), up to a "--".
func (c *command) parse(args []string, minPos, maxPos int) ([]string, bool) {
	var pos []string
	for {
		if err := c.fs.Parse(args); err != nil {
			return nil, false
		}
		rest := c.fs.Args()
		if len(rest) == 0 {
			break
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) < minPos || len(pos) > maxPos {
		c.fs.Usage()
		return nil, false
	}
	return pos, true
}

func (c *command) client() *api.Client { return api.Dial(c.socket) }

// fail prints one line saying why the verb failed and returns the exit code.
func (c *command) fail(err error) int {
	fmt.Fprintf(c.stderr, "wgdesk %s: %s\n", c.verb, oneLine(describe(err)))
	return exitFail
}

// describe turns an error from the API into a sentence for a terminal.
func describe(err error) string {
	if s, ok := stateDirProblem(err.Error()); ok {
		return s
	}
	var e *api.Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	switch e.Code {
	case api.CodeNotFound:
		return e.Message + " (see `wgdesk list`)"
	case api.CodeActive:
		return e.Message + " (take it down first with `wgdesk down`)"
	case api.CodeExists:
		return e.Message + " (choose another with --name, or delete the old one)"
	}
	return e.Message
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// signalContext ends when the user presses Ctrl-C.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}
