//go:build cgo

package app

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/wgdesk/wgdesk/cli"
	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/tunnel/api"
	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
)

// harness runs a UI on the Fyne test app against the apitest fake
// service, served by the real API server on a temporary socket and
// reached through the real api.Client.
//
// The UI's dispatch function queues work for the test goroutine instead
// of running it at once, so that, as on a real main thread, only one
// goroutine ever touches the widgets.
type harness struct {
	t      *testing.T
	svc    *apitest.Service
	socket string
	queue  chan func()
	ui     *UI
	stop   func() // stops the service; nil while it is not running
}

// waitTimeout only guards against a hung test; nothing is timed.
const waitTimeout = 20 * time.Second

func newHarness(t *testing.T, serve bool, opts Options) *harness {
	t.Helper()
	dir, err := os.MkdirTemp("", "wgdesk-app-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	h := &harness{t: t, svc: apitest.New(), socket: filepath.Join(dir, "wgdesk.sock"), queue: make(chan func(), 1024)}
	if serve {
		h.serve()
	}
	a := test.NewTempApp(t)
	opts.Socket = h.socket
	opts.Do = func(f func()) { h.queue <- f }
	if opts.RetryMin == 0 {
		opts.RetryMin = time.Hour // retries happen when a test taps "Retry now"
	}
	opts.Logf = t.Logf
	h.ui = New(a, api.Dial(h.socket), opts)
	h.ui.Start()
	t.Cleanup(func() {
		h.ui.cancel()
		for {
			select {
			case f := <-h.queue:
				f()
			case <-h.ui.done:
				if h.stop != nil {
					h.stop()
				}
				return
			}
		}
	})
	return h
}

// serve starts the API server for the fake service on h.socket.
func (h *harness) serve() {
	h.t.Helper()
	ln, err := api.Listen(h.socket)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- api.Serve(ctx, ln, h.svc, api.Options{
			Access:     &api.Access{PeerCred: func(net.Conn) (api.Cred, error) { return api.Cred{}, nil }},
			ConfigJSON: func(c *config.Config) any { return cli.NewConfigJSON(c, nil) },
			RecentLog: func() []string {
				return []string{
					"2026-11-25 12:00:00 service: wgdesk listening",
					"2026-11-25 12:00:05 tunnel: tunnel office is up on wg-office",
					"2026-11-25 12:00:09 tunnel: tunnel Office: device: Received handshake response",
				}
			},
		})
	}()
	h.stop = func() {
		h.stop = nil
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("serve: %v", err)
		}
	}
}

// waitFor runs the UI's queued work until cond holds.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for !cond() {
		select {
		case f := <-h.queue:
			f()
		case <-deadline.C:
			h.t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// texts lists the text of every label, button and form entry under o.
func texts(o fyne.CanvasObject) []string {
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch v := o.(type) {
		case *widget.Label:
			out = append(out, v.Text)
		case *widget.Button:
			out = append(out, v.Text)
		case *widget.Card:
			out = append(out, v.Title)
			walk(v.Content)
		case *widget.Form:
			for _, it := range v.Items {
				out = append(out, it.Text)
				walk(it.Widget)
			}
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(v).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

// hasText reports whether some text under o contains s.
func hasText(o fyne.CanvasObject, s string) bool {
	for _, t := range texts(o) {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}

// findButton finds the button labelled text under o.
func findButton(o fyne.CanvasObject, text string) *widget.Button {
	var found *widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if found != nil || o == nil || !o.Visible() {
			return
		}
		switch v := o.(type) {
		case *widget.Button:
			if v.Text == text {
				found = v
			}
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(v).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return found
}

// topOverlay is the dialog on top of the main window, or nil.
func (h *harness) topOverlay() fyne.CanvasObject {
	return h.ui.win.Canvas().Overlays().Top()
}

// rowNames lists the tunnel rows shown, in order.
func (h *harness) rowNames() []string {
	var names []string
	for _, o := range h.ui.list.Objects {
		if r, ok := o.(*tunnelRow); ok {
			names = append(names, r.name)
		}
	}
	return names
}

func (h *harness) shows(name string) bool {
	for _, n := range h.rowNames() {
		if n == name {
			return true
		}
	}
	return false
}

// testConfig is a config with fresh keys, a DNS server, an MTU and two
// peers.
func testConfig(t *testing.T) *config.Config {
	t.Helper()
	key := func() config.Key {
		k, err := config.NewPrivateKey()
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	text := "[Interface]\nPrivateKey = " + key().String() + "\nAddress = 10.9.0.2/32\nDNS = 10.9.0.1\nMTU = 1380\nListenPort = 51999\n" +
		"[Peer]\nPublicKey = " + key().PublicKey().String() + "\nAllowedIPs = 10.9.0.0/24\nEndpoint = 127.0.0.1:51820\n" +
		"[Peer]\nPublicKey = " + key().PublicKey().String() + "\nAllowedIPs = 10.8.0.0/16\nEndpoint = [::1]:51821\n"
	c, _, err := config.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
