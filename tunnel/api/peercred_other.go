//go:build !linux && !darwin

package api

import "net"

// peerCredOS fails closed where there is no credential source yet (Windows
// named pipes come later): nobody is allowed.
func peerCredOS(net.Conn) (Cred, error) { return Cred{}, ErrNoPeerCred }
