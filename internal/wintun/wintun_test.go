package wintun

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
)

// fakeZip builds a zip with the release's layout: wintun/bin/<arch>/wintun.dll
// for each arch given, each DLL "MZ" followed by the arch's name.
func fakeZip(t *testing.T, arches ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"wintun/LICENSE.txt", "wintun/include/wintun.h"} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("not a dll"))
	}
	for _, a := range arches {
		w, err := zw.Create(DLLPath(a))
		if err != nil {
			t.Fatal(err)
		}
		w.Write(fakeDLL(a))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func fakeDLL(arch string) []byte { return []byte("MZ fake wintun for " + arch) }

func sum(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// release returns the pinned release with its hash replaced by data's.
func release(data []byte) Release {
	r := Pinned
	r.SHA256 = sum(data)
	return r
}

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "wintun-0.14.1.zip")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPinned(t *testing.T) {
	if Pinned.ZipName() != "wintun-0.14.1.zip" || Pinned.URL != "https://www.wintun.net/builds/wintun-0.14.1.zip" ||
		Pinned.SHA256 != "07c256185d6ee3652e09fa55c0b673e2624b565e02c4b9091c79ca7d2f24ef51" {
		t.Fatalf("pin changed: %+v", Pinned)
	}
}

func TestExtractEveryArch(t *testing.T) {
	data := fakeZip(t, Arches...)
	zipPath := writeTemp(t, data)
	for _, arch := range Arches {
		out := filepath.Join(t.TempDir(), "dist", "windows")
		got, err := release(data).ExtractFile(zipPath, arch, out)
		if err != nil {
			t.Fatalf("%s: %v", arch, err)
		}
		if got != filepath.Join(out, "wintun.dll") {
			t.Errorf("%s: wrote %s", arch, got)
		}
		dll, err := os.ReadFile(got)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(dll, fakeDLL(arch)) {
			t.Errorf("%s: wrote %q", arch, dll)
		}
		left, _ := os.ReadDir(out)
		if len(left) != 1 {
			t.Errorf("%s: %d files in %s, want only wintun.dll", arch, len(left), out)
		}
	}
}

func TestExtractReplacesOldDLL(t *testing.T) {
	data := fakeZip(t, "amd64")
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, "wintun.dll"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := release(data).ExtractFile(writeTemp(t, data), "amd64", out); err != nil {
		t.Fatal(err)
	}
	if dll, _ := os.ReadFile(filepath.Join(out, "wintun.dll")); !bytes.Equal(dll, fakeDLL("amd64")) {
		t.Fatalf("wintun.dll is %q", dll)
	}
}

func TestPinnedHashRefusesOtherZip(t *testing.T) {
	data := fakeZip(t, Arches...)
	out := t.TempDir()
	_, err := Pinned.ExtractFile(writeTemp(t, data), "amd64", out)
	if err == nil {
		t.Fatal("a zip that is not the pinned release was accepted")
	}
	for _, want := range []string{sum(data), Pinned.SHA256, "download the pinned release", Pinned.URL} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if _, serr := os.Stat(filepath.Join(out, "wintun.dll")); serr == nil {
		t.Error("wintun.dll written from an unverified zip")
	}
}

func TestUnknownArch(t *testing.T) {
	data := fakeZip(t, Arches...)
	_, err := release(data).ExtractFile(writeTemp(t, data), "mips", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), `unknown architecture "mips"`) ||
		!strings.Contains(err.Error(), "amd64, arm64, x86, arm") {
		t.Fatalf("got %v", err)
	}
}

func TestArchMissingFromZip(t *testing.T) {
	data := fakeZip(t, "amd64", "x86")
	_, err := release(data).ExtractFile(writeTemp(t, data), "arm64", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "has no wintun/bin/arm64/wintun.dll") {
		t.Fatalf("got %v", err)
	}
}

func TestNoDLLsAtAll(t *testing.T) {
	data := fakeZip(t)
	_, err := release(data).ExtractFile(writeTemp(t, data), "amd64", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "has no wintun/bin/amd64/wintun.dll") {
		t.Fatalf("got %v", err)
	}
}

func TestNotADLL(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create(DLLPath("amd64"))
	w.Write([]byte("#!/bin/sh\n"))
	zw.Close()
	data := buf.Bytes()
	_, err := release(data).ExtractFile(writeTemp(t, data), "amd64", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "not a Windows DLL") {
		t.Fatalf("got %v", err)
	}
}

func TestTruncatedZip(t *testing.T) {
	data := fakeZip(t, Arches...)
	cut := data[:len(data)/2]
	// Against the pin, the hash check refuses it before any parsing.
	if _, err := Pinned.ExtractFile(writeTemp(t, cut), "amd64", t.TempDir()); err == nil ||
		!strings.Contains(err.Error(), sum(cut)) {
		t.Fatalf("pinned: got %v", err)
	}
	// Even when the hash matches (a pin taken of a broken file), the zip
	// reader's error surfaces with the fix.
	_, err := release(cut).ExtractFile(writeTemp(t, cut), "amd64", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "read wintun-0.14.1.zip") ||
		!strings.Contains(err.Error(), "download the pinned release again") {
		t.Fatalf("matching hash: got %v", err)
	}
}

func TestMissingZipFile(t *testing.T) {
	_, err := Pinned.ExtractFile(filepath.Join(t.TempDir(), "nope.zip"), "amd64", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "nope.zip") ||
		!strings.Contains(err.Error(), "pass WINTUN_ZIP=path") {
		t.Fatalf("got %v", err)
	}
}

func TestDownload(t *testing.T) {
	data := fakeZip(t, Arches...)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/builds/wintun-0.14.1.zip" {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	defer srv.Close()
	dir := t.TempDir()

	rel := release(data)
	rel.URL = srv.URL + "/builds/wintun-0.14.1.zip"
	p, err := rel.Download(context.Background(), srv.Client(), dir)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	if !bytes.Equal(got, data) {
		t.Fatal("downloaded bytes differ")
	}
	if filepath.Dir(p) != dir {
		t.Errorf("downloaded to %s, want a file in %s", p, dir)
	}

	missing := rel
	missing.URL = srv.URL + "/builds/other.zip"
	_, err = missing.Download(context.Background(), srv.Client(), dir)
	if err == nil || !strings.Contains(err.Error(), "404") ||
		!strings.HasSuffix(err.Error(), "download wintun-0.14.1.zip from https://www.wintun.net and pass WINTUN_ZIP=path") {
		t.Fatalf("404: got %v", err)
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 1 {
		t.Errorf("%d files in %s after a failed download, want 1", len(left), dir)
	}
}

func TestDownloadUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	rel := Pinned
	rel.URL = url + "/wintun-0.14.1.zip"
	_, err := rel.Download(context.Background(), http.DefaultClient, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "download wintun-0.14.1.zip from https://www.wintun.net and pass WINTUN_ZIP=path") {
		t.Fatalf("got %v", err)
	}
}

func TestArchOf(t *testing.T) {
	for goarch, want := range map[string]string{"amd64": "amd64", "arm64": "arm64", "386": "x86", "arm": "arm", "x86": "", "riscv64": "", "": ""} {
		if got := ArchOf(goarch); got != want {
			t.Errorf("ArchOf(%q) = %q, want %q", goarch, got, want)
		}
	}
}
