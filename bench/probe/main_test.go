package main

import (
	"os"
	"regexp"
	"runtime"
	"strconv"
	"testing"
	"time"
)

func TestChecksum(t *testing.T) {
	// The RFC 1071 example: words 0001 f203 f4f5 f6f7 sum to ddf2 (one's
	// complement 220d).
	if got := checksum([]byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}); got != 0x220d {
		t.Fatalf("checksum = %#04x, want 0x220d", got)
	}
	// A message that carries its checksum sums to zero.
	if got := checksum(echoRequest(0x1234, 7)); got != 0 {
		t.Fatalf("checksum over a finished echo request = %#04x, want 0", got)
	}
	// Odd length pads with a zero byte.
	if got, want := checksum([]byte{0xab}), checksum([]byte{0xab, 0x00}); got != want {
		t.Fatalf("odd length: %#04x, want %#04x", got, want)
	}
}

func TestEchoRequestLayout(t *testing.T) {
	m := echoRequest(0xbeef, 0x0102)
	if m[0] != 8 || m[1] != 0 {
		t.Fatalf("type/code = %d/%d, want 8/0", m[0], m[1])
	}
	if m[4] != 0xbe || m[5] != 0xef || m[6] != 0x01 || m[7] != 0x02 {
		t.Fatalf("id/seq bytes = % x", m[4:8])
	}
}

// exitEnv makes this test binary a command for measure to start on every
// OS: started with it set, the binary exits at once with its value as the
// exit code (TestMain).
const exitEnv = "WGDESK_PROBE_TEST_EXIT"

func TestMain(m *testing.M) {
	if v, ok := os.LookupEnv(exitEnv); ok {
		code, err := strconv.Atoi(v)
		if err != nil {
			code = 3
		}
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// exitCommand is the argv of a command that exits with code: this test
// binary, which inherits exitEnv from the test.
func exitCommand(t *testing.T, code int) []string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(exitEnv, strconv.Itoa(code))
	return []string{exe, "-test.run=^$"} // runs no test should the variable be lost
}

func TestMeasureCommandOnly(t *testing.T) {
	res, err := measure("", 5*time.Second, "", exitCommand(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^return_ms=[0-9.]+$`).MatchString(res) {
		t.Fatalf("result %q", res)
	}
	if _, err := measure("", 5*time.Second, "", exitCommand(t, 1)); err == nil {
		t.Fatal("a failing command must be an error")
	}
}

// TestMeasurePingsLoopback runs the whole path against 127.0.0.1, the only
// address a test may ping.
func TestMeasurePingsLoopback(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("needs root on Linux for a raw ICMP socket")
	}
	res, err := measure("127.0.0.1", 5*time.Second, "", exitCommand(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^return_ms=[0-9.]+ first_ping_ms=[0-9.]+$`).MatchString(res) {
		t.Fatalf("result %q", res)
	}
}
