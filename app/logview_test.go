//go:build cgo

package app

import (
	"reflect"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

func TestFilterLog(t *testing.T) {
	lines := []string{"a: office up", "b: home up", "c: Office handshake"}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", lines},
		{"  ", lines},
		{"office", []string{"a: office up", "c: Office handshake"}},
		{"OFFICE handshake", []string{"c: Office handshake"}},
		{"nowhere", nil},
	} {
		if got := filterLog(lines, c.query); !reflect.DeepEqual(got, c.want) {
			t.Errorf("filterLog(%q) = %q, want %q", c.query, got, c.want)
		}
	}
}

func TestLogView(t *testing.T) {
	h := newHarness(t, true, Options{})
	h.waitFor("the snapshot", func() bool { return h.ui.connected })
	h.ui.showLog()
	v := h.ui.logView
	if v == nil {
		t.Fatal("no log window")
	}
	h.waitFor("the log lines", func() bool { return len(v.lines) == 3 })
	if !strings.Contains(v.text.Text, "service: wgdesk listening") || v.status.Text != "3 of 3 lines shown" {
		t.Fatalf("log view shows %q / %q", v.text.Text, v.status.Text)
	}
	v.filter.SetText("office up")
	if v.text.Text != "2026-11-25 12:00:05 tunnel: tunnel office is up on wg-office" || v.status.Text != "1 of 3 lines shown" {
		t.Fatalf("filtered log shows %q / %q", v.text.Text, v.status.Text)
	}
	if !v.text.Selectable {
		t.Error("the log text cannot be selected")
	}
	// Copy puts exactly the shown lines on the clipboard.
	copyBtn := findButton(v.win.Content(), "Copy")
	if copyBtn == nil {
		t.Fatal("no Copy button")
	}
	test.Tap(copyBtn)
	copied := h.ui.app.Clipboard().Content()
	if copied != v.text.Text {
		t.Fatalf("Copy put %q on the clipboard, want %q", copied, v.text.Text)
	}
	// A second open shows the same window.
	h.ui.showLog()
	if h.ui.logView != v {
		t.Fatal("a second Log opened another window")
	}
	v.win.Close()
	if h.ui.logView != nil {
		t.Fatal("closing the log window did not forget it")
	}
}
