package osservice

import (
	"context"
	"errors"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"time"

	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api"
)

// New returns the launchd Manager (launchd.go) with the real commands,
// files and socket.
func New() (Manager, error) {
	return launchdManager{
		run:         runCommand,
		sleep:       time.Sleep,
		realPath:    filepath.EvalSymlinks,
		stat:        statOwner,
		chown:       os.Chown,
		groupExists: groupExists,
		dial:        dialSocket,
		socket:      api.DefaultSocket,
		stateDir:    tunnel.DefaultStateDir,
	}, nil
}

// dialSocket connects to the service's socket and hangs up: the service
// answers as soon as it accepts.
func dialSocket(socket string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return err
	}
	return c.Close()
}

// groupExists looks the group up through the C library (os/user calls it
// on macOS even without cgo), which asks Open Directory.
func groupExists(name string) (bool, error) {
	_, err := user.LookupGroup(name)
	var unknown user.UnknownGroupError
	if errors.As(err, &unknown) {
		return false, nil
	}
	return err == nil, err
}
