//go:build cgo

package app

import (
	"bytes"
	"strings"
	"testing"
)

func TestMainArguments(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--bogus"}, 2, "flag provided but not defined"},
		{[]string{"--socket", "/tmp/x.sock", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"--socket", "/tmp/x.sock"}, 1, "no display"},
		{nil, 1, "no display"},
	} {
		var out, errb bytes.Buffer
		if code := Main(tc.args, &out, &errb); code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("Main(%q) = %d, stderr %q; want %d and %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
}
