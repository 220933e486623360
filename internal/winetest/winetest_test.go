//go:build linux

package main

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseSkipList(t *testing.T) {
	in := `# comment

tunnel/api TestA   wine: Wine 8 has no AF_UNIX
. TestGofmt wine: no Windows Go toolchain in the prefix
bench/probe * wine: cannot start
`
	got, err := parseSkipList(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []skipEntry{
		{Package: "tunnel/api", Test: "TestA", Reason: "wine: Wine 8 has no AF_UNIX", Line: 3},
		{Package: ".", Test: "TestGofmt", Reason: "wine: no Windows Go toolchain in the prefix", Line: 4},
		{Package: "bench/probe", Test: "*", Reason: "wine: cannot start", Line: 5},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if p := namesPattern(skipsFor(got, "tunnel/api")); p != "^(TestA)$" {
		t.Errorf("pattern %q", p)
	}
	bad := map[string]string{
		"no reason":        "cli TestX\n",
		"subtest":          "cli TestX/sub because\n",
		"not a test":       "cli helper because\n",
		"twice":            "cli TestX a\ncli TestX b\n",
		"package and test": "cli * cannot start\ncli TestX b\n",
	}
	for name, in := range bad {
		if _, err := parseSkipList(strings.NewReader(in)); err == nil {
			t.Errorf("%s: accepted %q", name, in)
		}
	}
}

// The committed list must parse, so CI never meets a broken one first.
func TestCommittedSkipList(t *testing.T) {
	f, err := os.Open("wine-skips.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries, err := parseSkipList(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Reason, "wine: ") && !strings.HasPrefix(e.Reason, "windows: ") {
			t.Errorf("line %d: the reason must say whether Wine alone (wine:) or Windows too (windows:) makes %s fail", e.Line, e.Test)
		}
	}
}

const events = `{"Action":"start","Package":"p"}
{"Action":"run","Package":"p","Test":"TestPass"}
{"Action":"output","Package":"p","Test":"TestPass","Output":"=== RUN   TestPass\n"}
{"Action":"pass","Package":"p","Test":"TestPass"}
{"Action":"run","Package":"p","Test":"TestFail"}
{"Action":"run","Package":"p","Test":"TestFail/sub"}
{"Action":"output","Package":"p","Test":"TestFail/sub","Output":"    x_test.go:9: boom\n"}
{"Action":"fail","Package":"p","Test":"TestFail/sub"}
{"Action":"fail","Package":"p","Test":"TestFail"}
{"Action":"run","Package":"p","Test":"TestSkip"}
{"Action":"output","Package":"p","Test":"TestSkip","Output":"    x_test.go:12: needs root\n"}
{"Action":"skip","Package":"p","Test":"TestSkip"}
{"Action":"run","Package":"p","Test":"TestHang"}
{"Action":"output","Package":"p","Output":"panic: test timed out after 5m0s\n"}
{"Action":"fail","Package":"p"}
`

func TestReadEvents(t *testing.T) {
	r, err := readEvents(strings.NewReader(events))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"TestPass": "pass", "TestFail": "fail", "TestSkip": "skip", "TestHang": "fail"}
	if !reflect.DeepEqual(r.Tests, want) {
		t.Errorf("tests %v, want %v", r.Tests, want)
	}
	if r.Package != "fail" {
		t.Errorf("package %q", r.Package)
	}
	if !strings.Contains(r.Reasons["TestFail"], "boom") || !strings.Contains(r.Reasons["TestSkip"], "needs root") || !strings.Contains(r.Reasons["TestHang"], "never finished") {
		t.Errorf("reasons %q", r.Reasons)
	}
	if _, err := readEvents(strings.NewReader("not json\n")); err == nil {
		t.Error("accepted a line that is not JSON")
	}
}

func TestJudge(t *testing.T) {
	main := runResult{Tests: map[string]string{"TestA": "pass", "TestB": "fail", "TestS": "skip"}, Reasons: map[string]string{"TestB": "boom"}, Package: "fail"}
	listed := []skipEntry{
		{Test: "TestStill", Line: 1}, {Test: "TestFixed", Line: 2}, {Test: "TestGone", Line: 3}, {Test: "TestSelfSkip", Line: 4},
	}
	recheck := runResult{Tests: map[string]string{"TestStill": "fail", "TestFixed": "pass", "TestSelfSkip": "skip"}, Package: "fail"}
	v := judge("p", listed, main, recheck)
	if !reflect.DeepEqual(v.Passed, []string{"TestA"}) || !reflect.DeepEqual(v.SelfSkipped, []string{"TestS"}) {
		t.Errorf("passed %v, self-skipped %v", v.Passed, v.SelfSkipped)
	}
	if !reflect.DeepEqual(v.Failed, []string{"TestB: boom"}) {
		t.Errorf("failed %v", v.Failed)
	}
	if len(v.Stale) != 3 || !strings.Contains(v.Stale[0], "TestFixed (line 2): passes") ||
		!strings.Contains(v.Stale[1], "TestGone (line 3): no such test") || !strings.Contains(v.Stale[2], "TestSelfSkip") {
		t.Errorf("stale %q", v.Stale)
	}
	if len(v.Problems) != 0 || v.ok() {
		t.Errorf("problems %q, ok %v", v.Problems, v.ok())
	}

	// A binary that fails with no test failing (a crash at start) is a
	// problem, not a pass.
	crash := runResult{Tests: map[string]string{}, Output: []string{"Exception: bcryptprimitives.dll not found"}}
	v = judge("p", nil, crash, runResult{})
	if len(v.Problems) != 1 || !strings.Contains(v.Problems[0], "bcryptprimitives") || v.ok() {
		t.Errorf("crash: %+v", v)
	}
	clean := runResult{Tests: map[string]string{"TestA": "pass"}, Package: "pass"}
	if v := judge("p", nil, clean, runResult{}); !v.ok() {
		t.Errorf("a clean run is not ok: %+v", v)
	}
	// A recheck that never ran proves nothing about the listed tests:
	// a problem, not stale entries.
	v = judge("p", listed[:1], clean, crash)
	if len(v.Problems) != 1 || len(v.Stale) != 0 || v.ok() {
		t.Errorf("crashed recheck: %+v", v)
	}
}

func TestCompareParse(t *testing.T) {
	linux := parseRun{Stdout: []byte("{\n  \"a\": 1\n}\n"), Code: 0}
	if d := compareParse(linux, linux); len(d) != 0 {
		t.Errorf("same runs differ: %v", d)
	}
	crlf := parseRun{Stdout: []byte("{\r\n  \"a\": 1\r\n}\r\n")}
	if d := compareParse(linux, crlf); len(d) != 1 || !strings.Contains(d[0], "CRLF") {
		t.Errorf("CRLF: %v", d)
	}
	if d := compareParse(linux, parseRun{Code: 1}); len(d) != 2 || !strings.Contains(d[1], "no stdout") {
		t.Errorf("lost stdout and other exit code: %v", d)
	}
	other := parseRun{Stdout: []byte("{\n  \"a\": 2\n}\n")}
	if d := compareParse(linux, other); len(d) != 1 || !strings.Contains(d[0], `line 2`) {
		t.Errorf("other output: %v", d)
	}
}

func TestScreenVerdict(t *testing.T) {
	linux, ok := screenVerdict("wgdesk\nThe service is not running.\nStart it with sudo systemctl start wgdesk\nsocket /run/wgdesk/wgdesk.sock")
	if !ok || strings.Join(linux, ",") != "sudo,systemctl,/run/" {
		t.Errorf("linux hint: %v, %v", linux, ok)
	}
	linux, ok = screenVerdict("wgdesk\nThe service is not running. Run as administrator: wgdesk service install")
	if !ok || len(linux) != 0 {
		t.Errorf("windows hint: %v, %v", linux, ok)
	}
	if _, ok := screenVerdict("  \n\x0c"); ok {
		t.Error("a blank screen passed")
	}
	// Words that merely contain a forbidden one are not hints.
	if linux, _ := screenVerdict("sudoku; usermodel"); len(linux) != 0 {
		t.Errorf("false positives %v", linux)
	}
}

func TestUpVerdict(t *testing.T) {
	human := "wgdesk up: tunnels cannot start: wintun.dll is missing: not at C:\\x\\wintun.dll; put wintun.dll next to wgdesk.exe\n"
	if err := upVerdict(1, human); err != nil {
		t.Errorf("human error refused: %v", err)
	}
	if err := upVerdict(0, "home is up"); err == nil {
		t.Error("a successful up passed")
	}
	if err := upVerdict(1, "wgdesk up: create tun: Error loading wintun DLL\npanic: runtime error\ngoroutine 1 [running]:\n"); err == nil {
		t.Error("a crash passed")
	}
	if err := upVerdict(1, "wgdesk up: something else"); err == nil {
		t.Error("an error without Wintun passed")
	}
}

// The overlay must still apply to this Go's source: a Go upgrade that
// moves the anchor shows up here, on Linux, before CI meets it under Wine.
func TestDeleteatOverlay(t *testing.T) {
	dir := t.TempDir()
	overlay, err := deleteatOverlay(dir)
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(overlay)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `internal/syscall/windows/at_windows.go"`) {
		t.Errorf("overlay %s does not replace at_windows.go", js)
	}
	patched, err := os.ReadFile(dir + "/at_windows.go.patched")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(patched), "NTStatus(0xC0000002)") != 1 {
		t.Error("the patched file does not fall back on STATUS_NOT_IMPLEMENTED exactly once")
	}
}
