package api

import (
	"errors"
	"net"
)

// ErrAlreadyRunning is returned by Listen when a service answers on the
// socket already.
var ErrAlreadyRunning = errors.New("another wgdesk service is running")

// socketListener remembers who may connect, for Serve to log.
type socketListener struct {
	net.Listener
	note       string
	restricted bool // only root can connect
}

func logSocketAccess(ln net.Listener, log Logger) {
	sl, ok := ln.(*socketListener)
	switch {
	case !ok:
	case sl.restricted:
		log.Error("%s", sl.note)
	default:
		log.Verbose("%s", sl.note)
	}
}
