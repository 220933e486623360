package tunnel

import "golang.org/x/sys/windows"

// unreachableErrs are what Winsock's connect of a UDP socket returns when
// no route fits: its own codes, which syscall.ENETUNREACH (an invented
// Errno on Windows) does not match.
var unreachableErrs = []error{windows.WSAENETUNREACH, windows.WSAEHOSTUNREACH, windows.WSAEADDRNOTAVAIL, windows.WSAEAFNOSUPPORT}
