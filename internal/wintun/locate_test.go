package wintun

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestLocate(t *testing.T) {
	exeDir := filepath.Join("Program Files", "wgdesk")
	sys := filepath.Join("Windows", "System32")
	local := filepath.Join(exeDir, "wintun.dll")
	system := filepath.Join(sys, "wintun.dll")
	for _, tc := range []struct {
		name    string
		present []string
		want    string
	}{
		{"next to the exe", []string{local}, local},
		{"exe folder wins over System32", []string{system, local}, local},
		{"System32", []string{system}, system},
	} {
		var asked []string
		got, err := Locate(exeDir, sys, func(p string) bool {
			asked = append(asked, p)
			for _, q := range tc.present {
				if p == q {
					return true
				}
			}
			return false
		})
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q (asked %q)", tc.name, got, err, tc.want, asked)
		}
	}
}

func TestLocateMissing(t *testing.T) {
	exeDir := filepath.Join("Program Files", "wgdesk")
	_, err := Locate(exeDir, filepath.Join("Windows", "System32"), func(string) bool { return false })
	if !errors.Is(err, ErrDLLMissing) {
		t.Fatalf("got %v, want ErrDLLMissing", err)
	}
	for _, want := range []string{
		filepath.Join(exeDir, "wintun.dll"),
		filepath.Join("Windows", "System32"),
		"put wintun.dll from wintun-0.14.1.zip next to wgdesk.exe, or reinstall wgdesk",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	// Without a System32 folder only the exe's folder is searched.
	_, err = Locate(exeDir, "", func(p string) bool { return p == filepath.Join("wintun.dll") })
	if err == nil || strings.Contains(err.Error(), " nor in ") {
		t.Errorf("got %v", err)
	}
}
