package netlab

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Capture is Debian's tcpdump recording every frame on the client's
// uplink into a pcap file, for tests that must prove what did or did not
// leave the client outside the tunnel.
//
// A capture proves it was recording: StartCapture returns only once a
// canary (a UDP datagram the server sends to the client's CanaryPort,
// where a socket of the capture takes it, so the client sends nothing
// back) is in the file, and Stop sends another and waits for it before
// it stops tcpdump. Everything the client sent between the two is in
// the file.
type Capture struct {
	t      testing.TB
	l      *Lab
	Path   string // the pcap file, in the lab's directory
	cmd    *exec.Cmd
	out    *Buffer
	done   chan error
	sink   net.PacketConn // the client's socket on CanaryPort
	canary net.Conn       // the server's socket that sends the canaries
	seq    int
	pkts   []Packet
}

var captures atomic.Int32 // numbers the pcap files of a test process

// StartCapture starts recording the client's uplink; t.Cleanup stops
// tcpdump and removes the file if the test does not call Stop.
func (l *Lab) StartCapture() *Capture {
	t := l.t
	t.Helper()
	c := &Capture{t: t, l: l, out: &Buffer{}, done: make(chan error, 1),
		Path: filepath.Join(l.Dir, fmt.Sprintf("uplink-%d.pcap", captures.Add(1)))}
	t.Cleanup(func() { os.Remove(c.Path) })
	canaryTo := net.JoinHostPort(UplinkClient, strconv.Itoa(CanaryPort))
	if err := InNetNS(l.Client, func() (err error) {
		c.sink, err = net.ListenPacket("udp", canaryTo)
		return err
	}); err != nil {
		t.Fatalf("canary sink: %v", err)
	}
	t.Cleanup(func() { c.sink.Close() })
	if err := InNetNS(l.Server, func() (err error) {
		c.canary, err = net.Dial("udp", canaryTo)
		return err
	}); err != nil {
		t.Fatalf("canary sender: %v", err)
	}
	t.Cleanup(func() { c.canary.Close() })

	// -U and --immediate-mode: each frame reaches the file as it is
	// seen; -p: the client's own traffic is all we want; -Z root: write
	// the file as root, as Debian's tcpdump may otherwise drop to a user
	// that cannot write the lab's directory.
	c.cmd = exec.Command("ip", "netns", "exec", l.Client, "tcpdump",
		"-i", l.ClientUplink(), "-w", c.Path, "-U", "--immediate-mode", "-n", "-p", "-Z", "root")
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start tcpdump: %v", err)
	}
	go func() { c.done <- c.cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case err := <-c.done:
			c.done <- err
		default:
			c.cmd.Process.Kill()
			c.wait()
		}
	})
	c.waitForCanary()
	return c
}

func (c *Capture) wait() error {
	err := <-c.done
	c.done <- err
	return err
}

// waitForCanary sends canaries until one is in the file.
func (c *Capture) waitForCanary() {
	c.t.Helper()
	c.seq++
	msg := []byte(fmt.Sprintf("netlab canary %s %d", c.l.ID, c.seq))
	limit := time.Now().Add(10 * time.Second)
	for {
		c.canary.Write(msg)
		time.Sleep(50 * time.Millisecond)
		c.read()
		for _, p := range c.pkts {
			if bytes.Equal(p.Payload, msg) {
				return
			}
		}
		select {
		case err := <-c.done:
			c.done <- err
			c.t.Fatalf("tcpdump ended: %v\n%s", err, c.out.String())
		default:
		}
		if time.Now().After(limit) {
			c.t.Fatalf("canary %d not in the capture after 10s\ntcpdump: %s", c.seq, c.out.String())
		}
	}
}

// read parses what the file holds so far.
func (c *Capture) read() {
	c.t.Helper()
	f, err := os.Open(c.Path)
	if err != nil {
		if os.IsNotExist(err) {
			return
		}
		c.t.Fatal(err)
	}
	defer f.Close()
	if c.pkts, err = ReadPcap(f); err != nil {
		c.t.Fatalf("read %s: %v", c.Path, err)
	}
}

// Stop waits until a last canary is recorded, stops tcpdump and returns
// the frames it recorded, without the canaries.
func (c *Capture) Stop() []Packet {
	c.t.Helper()
	c.waitForCanary()
	c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		c.t.Fatalf("tcpdump did not stop within 10s of SIGINT\n%s", c.out.String())
	case err := <-c.done:
		c.done <- err
	}
	c.sink.Close()
	c.canary.Close()
	c.read()
	var pkts []Packet
	prefix := []byte("netlab canary " + c.l.ID + " ")
	for _, p := range c.pkts {
		if p.Kind == "udp" && p.Dst.Port() == CanaryPort && bytes.HasPrefix(p.Payload, prefix) {
			continue
		}
		pkts = append(pkts, p)
	}
	return pkts
}
