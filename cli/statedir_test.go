package cli

import (
	"errors"
	"testing"

	"github.com/wgdesk/wgdesk/tunnel/api"
)

// The errors the service returns for a read-only or full state directory
// (the texts come from the e2e fault tests and their Windows equivalents)
// become sentences naming the directory; other errors pass unchanged.
func TestStateDirProblem(t *testing.T) {
	for _, c := range []struct{ msg, want string }{
		{
			"up home: addresses-routes-dns: configure home: journal home: create journal directory: mkdir /var/lib/wgdesk/platform: read-only file system",
			"The state directory /var/lib/wgdesk is read-only: wgdesk cannot record what it changes, so it did not bring home up. Remount it read-write, then try again.",
		},
		{
			"up office: addresses-routes-dns: configure office: journal office: write journal: write /tmp/x/state/platform/.office.json.tmp123: no space left on device",
			"The state directory /tmp/x/state is full: wgdesk cannot record what it changes, so it did not bring office up. Free some space on it, then try again.",
		},
		{
			"store more: write /var/lib/wgdesk/tunnels/.more.conf.tmp9: no space left on device",
			"The state directory /var/lib/wgdesk is full: wgdesk cannot record what it changes, so it made no change. Free some space on it, then try again.",
		},
		{
			"secure state directory: chmod /var/lib/wgdesk: read-only file system",
			"The state directory /var/lib/wgdesk is read-only: wgdesk cannot record what it changes, so it made no change. Remount it read-write, then try again.",
		},
		{
			`up home: addresses-routes-dns: journal home: write journal: open C:\ProgramData\wgdesk\platform\.home.json.tmp1: There is not enough space on the disk.`,
			`The state directory C:\ProgramData\wgdesk is full: wgdesk cannot record what it changes, so it did not bring home up. Free some space on it, then try again.`,
		},
		{ // macOS: the state directory's name has a space
			"up home: addresses-routes-dns: configure home: journal home: write journal: open /Library/Application Support/wgdesk/platform/.home.json.tmp5: read-only file system",
			"The state directory /Library/Application Support/wgdesk is read-only: wgdesk cannot record what it changes, so it did not bring home up. Remount it read-write, then try again.",
		},
		{
			"secure state directory: chmod /Library/Application Support/wgdesk: no space left on device",
			"The state directory /Library/Application Support/wgdesk is full: wgdesk cannot record what it changes, so it made no change. Free some space on it, then try again.",
		},
		{
			"write journal: The media is write protected.",
			"The state directory is read-only: wgdesk cannot record what it changes, so it made no change. Make it writable, then try again.",
		},
	} {
		got := describe(&api.Error{Code: api.CodeInternal, Message: c.msg})
		if got != c.want {
			t.Errorf("describe(%q)\n got %q\nwant %q", c.msg, got, c.want)
		}
	}
	for _, msg := range []string{
		"tunnel home not found",
		"up home: resolve: lookup vpn.example: no such host",
		"up home: addresses-routes-dns: configure home: set dns for home: open /etc/resolv.conf: read-only file system",
	} {
		if _, ok := stateDirProblem(msg); ok {
			t.Errorf("%q taken for a state directory problem", msg)
		}
	}
	if got := describe(errors.New("tunnel home not found")); got != "tunnel home not found" {
		t.Errorf("describe of another error: %q", got)
	}
}
