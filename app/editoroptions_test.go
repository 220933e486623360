//go:build cgo

package app

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/wgdesk/wgdesk/tunnel/api"
)

func TestOptionsErrorText(t *testing.T) {
	lan := api.OptionsJSON{KillSwitch: "auto", AllowLAN: true}
	refused := fmt.Errorf("set options: %w", &api.Error{Code: api.CodeUnsupported, Status: http.StatusNotImplemented,
		Message: "set options of home: allow lan is not available on this system yet"})
	tooOld := &api.Error{Code: api.CodeUnsupported, Status: http.StatusNotFound,
		Message: "the wgdesk service is too old for tunnel options (kill switch, allow lan); update it and restart it"}
	for _, c := range []struct {
		err  error
		want api.OptionsJSON
		text string
	}{
		{refused, lan, "This system cannot keep the local network reachable under the kill switch yet, so it stays blocked."},
		{tooOld, lan, "The wgdesk service is too old for tunnel options (kill switch, allow lan); update it and restart it."},
		{refused, api.OptionsJSON{KillSwitch: "off"}, "Set options: set options of home: allow lan is not available on this system yet."},
		{api.ErrServiceDown, lan, "The wgdesk service is not running."},
	} {
		if got := optionsErrorText(c.err, c.want); got != c.text {
			t.Errorf("optionsErrorText(%v, %+v) = %q, want %q", c.err, c.want, got, c.text)
		}
	}
}
