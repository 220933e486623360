package netlab

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// FullSnapshot is Snapshot plus the nftables tables of the client
// namespace: everything a tunnel may change, the kill switch included.
func (l *Lab) FullSnapshot() string {
	l.t.Helper()
	return l.Snapshot() + "$ nft list tables\n" + l.InNS(l.Client, "nft", "list", "tables")
}

// OpenFDs counts the open descriptors of process pid.
func OpenFDs(pid int) (int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, fmt.Errorf("read descriptors of %d: %w", pid, err)
	}
	return len(ents), nil
}

// MountTmpfs mounts a tmpfs of size bytes on dir (made if missing), owned
// by root with mode 0700; t.Cleanup unmounts it.
func (l *Lab) MountTmpfs(dir string, size int) {
	t := l.t
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	Run(t, "mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "wgdesk-netlab", dir)
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
}

// RemountTmpfs remounts a MountTmpfs read-only (ro true) or read-write.
func (l *Lab) RemountTmpfs(dir string, ro bool) {
	l.t.Helper()
	mode := "rw"
	if ro {
		mode = "ro"
	}
	Run(l.t, "mount", "-o", "remount,"+mode, dir)
}

// FillDir writes a file into dir until the file system has no room left,
// and returns its path (remove it to make room again).
func FillDir(dir string) (string, error) {
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		return path, err
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if strings.Contains(err.Error(), "no space") {
				return path, nil
			}
			return path, err
		}
	}
}

// RemoveUplink deletes the veth pair that stands for the internet, as an
// unplugged cable or a lost Wi-Fi removes an interface; RestoreUplink
// makes it again with the same names, MAC address, addresses and
// default route, as a replugged one would come back.
func (l *Lab) RemoveUplink() (restore func()) {
	t := l.t
	t.Helper()
	vc, vs := l.ClientUplink(), "vs"+l.ID
	// The same MAC address (so the same IPv6 link-local address) and
	// interface indexes, so that a snapshot after the return matches
	// one from before.
	sys := func(what string) string {
		return strings.TrimSpace(l.InNS(l.Client, "cat", "/sys/class/net/"+vc+"/"+what))
	}
	mac, index, peerIndex := sys("address"), sys("ifindex"), sys("iflink")
	l.InNS(l.Client, "ip", "link", "del", vc)
	return func() {
		t.Helper()
		Run(t, "ip", "link", "add", vc, "index", index, "address", mac, "netns", l.Client,
			"type", "veth", "peer", "name", vs, "index", peerIndex, "netns", l.Server)
		l.InNS(l.Client, "ip", "addr", "add", UplinkClient+"/24", "dev", vc)
		l.InNS(l.Client, "ip", "link", "set", vc, "up")
		l.InNS(l.Client, "ip", "route", "add", "default", "via", UplinkServer)
		l.InNS(l.Server, "ip", "addr", "add", UplinkServer+"/24", "dev", vs)
		l.InNS(l.Server, "ip", "link", "set", vs, "up")
	}
}
