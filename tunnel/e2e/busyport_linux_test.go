package e2e

import (
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/wgdesk/wgdesk/internal/netlab"
)

// listenUDPIn opens a UDP socket on addr inside the network namespace ns,
// as another program of that machine would hold a port. The socket stays
// in ns; this goroutine's thread goes back to the test's namespace.
func listenUDPIn(t *testing.T, ns, addr string) net.PacketConn {
	t.Helper()
	runtime.LockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatal(err)
	}
	defer self.Close()
	target, err := os.Open(filepath.Join("/run/netns", ns))
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatal(err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("enter %s: %v", ns, err)
	}
	pc, lerr := net.ListenPacket("udp4", addr) // the socket is made on this thread
	if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
		// The thread stays locked and ends with this goroutine, so that
		// no other goroutine runs in ns.
		t.Fatalf("leave %s: %v", ns, err)
	}
	runtime.UnlockOSThread()
	if lerr != nil {
		t.Fatalf("hold %s in %s: %v", addr, ns, lerr)
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

// A ListenPort another program holds fails `wgdesk up` with a sentence
// naming the port; the tunnel is failed, not active on a random port.
// Once the port is free the same tunnel comes up on it.
func TestE2EListenPortInUse(t *testing.T) {
	l := netlab.New(t, netlab.Options{})
	holder := listenUDPIn(t, l.Client, "127.0.0.1:40000")
	svc := l.StartService()
	text := strings.Replace(l.ClientConfig("10.66.0.0/24"), "[Interface]\n", "[Interface]\nListenPort = 40000\n", 1)
	path := filepath.Join(l.Dir, "office.conf")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	l.Wgdesk("import", "--name", "office", path)

	_, errOut, err := l.WgdeskResult("up", "office")
	if err == nil {
		t.Fatalf("up succeeded while another program holds UDP 40000; sockets:\n%s", l.InNS(l.Client, "ss", "-Huanp"))
	}
	if !strings.Contains(errOut, "UDP port 40000 is in use by another program; choose another ListenPort or remove it") {
		t.Fatalf("up failed without naming the port:\n%s", errOut)
	}
	if st := l.Status("office"); st.State != "failed" {
		t.Fatalf("state after the refused up: %q", st.State)
	}

	holder.Close()
	l.Wgdesk("up", "office")
	if got := l.InNS(l.Client, "ss", "-Hunl", "sport", "=", ":40000"); !strings.Contains(got, ":40000") {
		t.Fatalf("the tunnel does not listen on UDP 40000:\n%s", l.InNS(l.Client, "ss", "-Huanp"))
	}
	l.Wgdesk("down", "office")
	svc.Stop(t)
}
