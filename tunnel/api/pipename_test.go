package api

import (
	"strings"
	"testing"
)

func TestPipePath(t *testing.T) {
	tests := []struct{ socket, want string }{
		{defaultPipe, `\\.\pipe\wgdesk`},
		{`\\.\pipe\wgdesk-test`, `\\.\pipe\wgdesk-test`},
		{`\\.\PIPE\Other`, `\\.\pipe\Other`},
		{`//./pipe/fwd`, `\\.\pipe\fwd`},
	}
	for _, tt := range tests {
		if got := pipePath(tt.socket); got != tt.want {
			t.Errorf("pipePath(%q) = %q, want %q", tt.socket, got, tt.want)
		}
	}

	// Anything else becomes a local pipe named after the file and a hash.
	derived := map[string]string{}
	for _, s := range []string{`C:\temp\test.sock`, `C:\other\test.sock`, "/run/wgdesk/wgdesk.sock", `\\host\pipe\wgdesk`, `\\.\pipe\`, "plain", ""} {
		got := pipePath(s)
		rest, ok := strings.CutPrefix(got, `\\.\pipe\wgdesk-`)
		if !ok || strings.Contains(rest, `\`) {
			t.Errorf("pipePath(%q) = %q, want a local pipe \\\\.\\pipe\\wgdesk-...", s, got)
		}
		if prev, dup := derived[got]; dup {
			t.Errorf("%q and %q both map to %q", prev, s, got)
		}
		derived[got] = s
	}
	if got := pipePath(`C:\temp\test.sock`); !strings.HasPrefix(got, `\\.\pipe\wgdesk-test-`) || len(got) != len(`\\.\pipe\wgdesk-test-`)+8 {
		t.Errorf("a file path maps to %q, want \\\\.\\pipe\\wgdesk-test-<8 hex>", got)
	}
	if got := pipePath(`\\host\pipe\x`); strings.Contains(strings.ToLower(got), "host") {
		t.Errorf("a remote pipe maps to %q, which still names the host", got)
	}
	// One pipe for every spelling of one path: Windows ignores case and
	// takes either slash.
	if a, b := pipePath(`C:\Temp\Test.sock`), pipePath("c:/temp/test.sock"); !strings.EqualFold(a, b) {
		t.Errorf("two spellings of one path map to %q and %q", a, b)
	}
	long := pipePath(`C:\` + strings.Repeat("x", 300) + ".sock")
	if len(long) > 256 {
		t.Errorf("a long path maps to a %d-character pipe name, more than Windows allows", len(long))
	}
}
