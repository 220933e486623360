//go:build cgo

package main

import (
	"path/filepath"
	"testing"

	"github.com/wgdesk/wgdesk/tunnel/api"
)

func TestSocketArg(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, api.DefaultSocket},
		{[]string{"--socket", "/tmp/a.sock"}, "/tmp/a.sock"},
		{[]string{"--socket=/tmp/b.sock"}, "/tmp/b.sock"},
		{[]string{"-socket", "/tmp/c.sock"}, "/tmp/c.sock"},
		{[]string{"--socket"}, api.DefaultSocket},
	} {
		if got := socketArg(c.args); got != c.want {
			t.Errorf("socketArg(%q) = %q, want %q", c.args, got, c.want)
		}
	}
}

func TestServiceDownOnAMissingSocket(t *testing.T) {
	if !serviceDown(filepath.Join(t.TempDir(), "none.sock")) {
		t.Fatal("a missing socket does not count as a service that is down")
	}
}
