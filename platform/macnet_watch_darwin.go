package platform

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// The constants of macnet_watch.go must be those of the SDK; each line
// fails to compile when one differs (a constant index out of range).
var _ = [...]int{
	[1]int{}[macRTMVersion-unix.RTM_VERSION],
	[1]int{}[macRTMAdd-unix.RTM_ADD],
	[1]int{}[macRTMDelete-unix.RTM_DELETE],
	[1]int{}[macRTMChange-unix.RTM_CHANGE],
	[1]int{}[macRTMNewAddr-unix.RTM_NEWADDR],
	[1]int{}[macRTMDelAddr-unix.RTM_DELADDR],
	[1]int{}[macRTMIfInfo-unix.RTM_IFINFO],
	[1]int{}[macRTADst-unix.RTA_DST],
	[1]int{}[macRTFLLInfo-unix.RTF_LLINFO],
	[1]int{}[macRTFWasClone-unix.RTF_WASCLONED],
	[1]int{}[macAFInet-unix.AF_INET],
	[1]int{}[macAFInet6-unix.AF_INET6],
	[1]int{}[macSizeofRtMsghdr-unix.SizeofRtMsghdr],
	[1]int{}[macSizeofIfaMsghdr-unix.SizeofIfaMsghdr],
}

// openMacRouteSocket opens a routing socket (route(4)) that receives every
// routing message of the system. It is non-blocking and wrapped in an
// os.File, so that Close wakes a Read waiting in the runtime's poller.
func openMacRouteSocket() (io.ReadCloser, error) {
	fd, err := unix.Socket(unix.AF_ROUTE, unix.SOCK_RAW, unix.AF_UNSPEC)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("set non-blocking: %w", err)
	}
	return macRouteSocket{os.NewFile(uintptr(fd), "route")}, nil
}

// macRouteSocket turns ENOBUFS, the kernel's word for "messages were
// dropped", into errMacRouteOverflow.
type macRouteSocket struct{ *os.File }

func (s macRouteSocket) Read(b []byte) (int, error) {
	n, err := s.File.Read(b)
	if errors.Is(err, unix.ENOBUFS) {
		return n, errMacRouteOverflow
	}
	return n, err
}
