package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/internal/wintun"
)

func fakeRelease(t *testing.T) (wintun.Release, []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create(wintun.DLLPath("amd64"))
	w.Write([]byte("MZ amd64"))
	zw.Close()
	data := buf.Bytes()
	s := sha256.Sum256(data)
	rel := wintun.Pinned
	rel.SHA256 = hex.EncodeToString(s[:])
	return rel, data
}

func TestRunFromZip(t *testing.T) {
	rel, data := fakeRelease(t)
	zipPath := filepath.Join(t.TempDir(), "w.zip")
	os.WriteFile(zipPath, data, 0o644)
	out := filepath.Join(t.TempDir(), "out")
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"-zip", zipPath, "-arch", "amd64", "-out", out}, rel, &stdout); err != nil {
		t.Fatal(err)
	}
	if dll, _ := os.ReadFile(filepath.Join(out, "wintun.dll")); string(dll) != "MZ amd64" {
		t.Fatalf("wintun.dll is %q", dll)
	}
	// The same zip against the real pin is refused.
	err := run(context.Background(), []string{"-zip", zipPath, "-out", t.TempDir()}, wintun.Pinned, &stdout)
	if err == nil || !strings.Contains(err.Error(), wintun.Pinned.SHA256) {
		t.Fatalf("pinned: got %v", err)
	}
}

func TestRunDownloads(t *testing.T) {
	rel, data := fakeRelease(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(data) }))
	defer srv.Close()
	rel.URL = srv.URL + "/wintun-0.14.1.zip"
	out := t.TempDir()
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"-zip", "", "-out", out}, rel, &stdout); err != nil {
		t.Fatal(err)
	}
	if dll, _ := os.ReadFile(filepath.Join(out, "wintun.dll")); string(dll) != "MZ amd64" {
		t.Fatalf("wintun.dll is %q", dll)
	}
}

func TestRunDownloadFails(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	rel := wintun.Pinned
	rel.URL = srv.URL + "/wintun-0.14.1.zip"
	err := run(context.Background(), []string{"-out", t.TempDir()}, rel, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "download wintun-0.14.1.zip from https://www.wintun.net and pass WINTUN_ZIP=path") {
		t.Fatalf("got %v", err)
	}
}

func TestRunNeedsOut(t *testing.T) {
	if err := run(context.Background(), []string{"-zip", "x.zip"}, wintun.Pinned, &bytes.Buffer{}); err == nil ||
		!strings.Contains(err.Error(), "-out") {
		t.Fatalf("got %v", err)
	}
}
