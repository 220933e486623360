//go:build !linux && !darwin

package api

import "net"

// peerCredOS fails closed where there is no uid and gid to learn: nobody is
// allowed. Windows decides by the pipe client's token instead (Access's
// token rule, peertoken_windows.go).
func peerCredOS(net.Conn) (Cred, error) { return Cred{}, ErrNoPeerCred }
