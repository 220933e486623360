//go:build !windows

package api

import (
	"context"
	"net"
)

// serviceAddr is the socket path a --socket value names: itself.
func serviceAddr(socket string) string { return socket }

func dialService(ctx context.Context, path string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "unix", path)
}
