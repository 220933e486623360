//go:build !windows

package tunnel

import "syscall"

// unreachableErrs are what connect(2) of a UDP socket returns when no
// route fits (macOS, Linux).
var unreachableErrs = []error{syscall.ENETUNREACH, syscall.EHOSTUNREACH, syscall.EADDRNOTAVAIL, syscall.EAFNOSUPPORT}
