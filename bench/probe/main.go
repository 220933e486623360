// Command probe times a tunnel command for `make bench`: it starts the
// command, sends an ICMP echo request to a target every millisecond from
// the same moment, and reports when the command returned and when the
// first echo reply came back through the tunnel.
//
//	probe [-target 10.77.0.1] [-timeout 20s] [-log FILE] -- COMMAND ARGS...
//
// It prints one line, `return_ms=12.3 first_ping_ms=45.6` (first_ping_ms
// only with -target), and exits non-zero when the command fails or no
// reply comes within the timeout. It needs root (a raw ICMP socket) and
// runs inside the client's network namespace, which must have no route to
// the target except through the tunnel.
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "tray" { // a stand-in system tray (tray.go)
		os.Exit(trayMain(os.Args[2:]))
	}
	target := flag.String("target", "", "IPv4 address to ping through the tunnel (empty: only time the command)")
	timeout := flag.Duration("timeout", 20*time.Second, "give up after this long")
	logPath := flag.String("log", "", "file for the command's output (default: discard)")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: probe [-target ADDR] [-timeout D] [-log FILE] -- COMMAND ARGS...")
		os.Exit(2)
	}
	res, err := measure(*target, *timeout, *logPath, flag.Args())
	if res != "" {
		fmt.Println(res)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
}

// measure runs argv and, with a target, pings it until the first reply.
func measure(target string, timeout time.Duration, logPath string, argv []string) (string, error) {
	var dst *net.IPAddr
	var conn net.PacketConn
	if target != "" {
		ip := net.ParseIP(target).To4()
		if ip == nil {
			return "", fmt.Errorf("target %q is not an IPv4 address", target)
		}
		dst = &net.IPAddr{IP: ip}
		var err error
		if conn, err = net.ListenPacket("ip4:icmp", "0.0.0.0"); err != nil {
			return "", fmt.Errorf("open icmp socket: %w", err)
		}
		defer conn.Close()
	}

	cmd := exec.Command(argv[0], argv[1:]...)
	// The command's output goes to a file, never to a pipe: wg-quick starts
	// a daemon that inherits it, and a pipe would keep Wait from returning.
	if logPath != "" {
		f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return "", fmt.Errorf("open log: %w", err)
		}
		defer f.Close()
		cmd.Stdout, cmd.Stderr = f, f
	}

	replied := make(chan time.Time, 1)
	id := uint16(os.Getpid())
	if conn != nil {
		go readReplies(conn, dst.IP, id, replied)
	}

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start %s: %w", argv[0], err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	var (
		returned, firstReply time.Duration
		cmdErr               error
		cmdDone              bool
		pingDone             = conn == nil
		seq                  uint16
	)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for !cmdDone || !pingDone {
		select {
		case cmdErr = <-exited:
			returned, cmdDone = time.Since(start), true
		case at := <-replied:
			firstReply, pingDone = at.Sub(start), true
		case <-tick.C:
			if !pingDone {
				seq++
				// Errors are expected until the tunnel has a route.
				conn.WriteTo(echoRequest(id, seq), dst)
			}
		case <-deadline.C:
			if !cmdDone {
				cmd.Process.Kill()
				return "", fmt.Errorf("%s did not return within %s", argv[0], timeout)
			}
			return fmt.Sprintf("return_ms=%.1f", ms(returned)), fmt.Errorf("no echo reply from %s within %s", target, timeout)
		}
	}
	res := fmt.Sprintf("return_ms=%.1f", ms(returned))
	if conn != nil {
		res += fmt.Sprintf(" first_ping_ms=%.1f", ms(firstReply))
	}
	if cmdErr != nil {
		return res, fmt.Errorf("%s: %w", argv[0], cmdErr)
	}
	return res, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// readReplies reports the arrival time of the first echo reply from src
// carrying our identifier.
func readReplies(conn net.PacketConn, src net.IP, id uint16, replied chan<- time.Time) {
	buf := make([]byte, 1500)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		at := time.Now()
		ip, ok := from.(*net.IPAddr)
		// Linux hands ip4 sockets the ICMP message without the IP header.
		if !ok || !ip.IP.Equal(src) || n < 8 || buf[0] != 0 || binary.BigEndian.Uint16(buf[4:6]) != id {
			continue
		}
		replied <- at
		return
	}
}

// echoRequest builds an ICMP echo request (RFC 792) with a checksum.
func echoRequest(id, seq uint16) []byte {
	msg := make([]byte, 16)
	msg[0] = 8 // echo request; code 0
	binary.BigEndian.PutUint16(msg[4:], id)
	binary.BigEndian.PutUint16(msg[6:], seq)
	copy(msg[8:], "wgdbench")
	binary.BigEndian.PutUint16(msg[2:], checksum(msg))
	return msg
}

// checksum is the Internet checksum (RFC 1071).
func checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
