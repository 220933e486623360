// Package wintun pins the Wintun release that wgdesk ships on Windows and
// takes its DLL out of the release zip.
//
// wireguard-go creates its Windows adapter through wintun.dll, which it
// loads from the executable's folder or System32 (golang.zx2c4.com/wintun,
// dll_windows.go). wgdesk therefore puts the DLL next to wgdesk.exe. The
// DLL comes from one pinned release whose zip is checked against a
// SHA-256 before a single byte of it is parsed, so a changed or corrupted
// download never reaches a package. The package is pure Go: the release
// build runs it on Linux.
package wintun

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// DLLName is the file name wireguard-go loads.
const DLLName = "wintun.dll"

// Release names one Wintun release zip and the SHA-256 it must have.
type Release struct {
	Version string // "0.14.1"
	URL     string // where the zip is downloaded from
	SHA256  string // lowercase hex of the zip's SHA-256
}

// Pinned is the release wgdesk ships: wintun 0.14.1, whose DLLs are
// Authenticode-signed by WireGuard LLC.
var Pinned = Release{
	Version: "0.14.1",
	URL:     "https://www.wintun.net/builds/wintun-0.14.1.zip",
	SHA256:  "07c256185d6ee3652e09fa55c0b673e2624b565e02c4b9091c79ca7d2f24ef51",
}

// Arches are the architectures a release zip carries, as named in its
// wintun/bin/<arch>/ folders.
var Arches = []string{"amd64", "arm64", "x86", "arm"}

// Limits on what is read: the 0.14.1 zip is about 400 KB and its largest
// DLL about 430 KB, so these leave room without trusting a header.
const (
	maxZipBytes = 32 << 20
	maxDLLBytes = 16 << 20
)

// ArchOf names a Go architecture (runtime.GOARCH) as the release zip's
// folders do: 386 is x86; amd64, arm64 and arm keep their names. Others
// have no Wintun and return "".
func ArchOf(goarch string) string {
	if goarch == "386" {
		return "x86"
	}
	if knownArch(goarch) && goarch != "x86" {
		return goarch
	}
	return ""
}

// ZipName is the zip's file name, "wintun-0.14.1.zip".
func (r Release) ZipName() string { return "wintun-" + r.Version + ".zip" }

// DLLPath is where the DLL for arch sits inside the zip.
func DLLPath(arch string) string { return "wintun/bin/" + arch + "/" + DLLName }

// Verify checks data against the release's SHA-256. The error names both
// hashes and says to download the pinned release.
func (r Release) Verify(data []byte) error {
	sum := sha256.Sum256(data)
	got := hex.EncodeToString(sum[:])
	if got != strings.ToLower(r.SHA256) {
		return fmt.Errorf("the zip has SHA-256 %s, but wintun %s is pinned at %s: download the pinned release %s from %s",
			got, r.Version, r.SHA256, r.ZipName(), r.URL)
	}
	return nil
}

// DLL returns the bytes of wintun/bin/<arch>/wintun.dll from a release
// zip held in data, after checking the zip's SHA-256.
func (r Release) DLL(data []byte, arch string) ([]byte, error) {
	if !knownArch(arch) {
		return nil, fmt.Errorf("unknown architecture %q: use one of %s", arch, strings.Join(Arches, ", "))
	}
	if err := r.Verify(data); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w: download the pinned release again from %s", r.ZipName(), err, r.URL)
	}
	name := DLLPath(arch)
	for _, f := range zr.File {
		if f.Name != name {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("open %s in %s: %w", name, r.ZipName(), err)
		}
		defer rc.Close()
		dll, err := io.ReadAll(io.LimitReader(rc, maxDLLBytes+1))
		if err != nil {
			return nil, fmt.Errorf("read %s in %s: %w", name, r.ZipName(), err)
		}
		if len(dll) > maxDLLBytes {
			return nil, fmt.Errorf("%s in %s is larger than %d bytes", name, r.ZipName(), maxDLLBytes)
		}
		if !bytes.HasPrefix(dll, []byte("MZ")) {
			return nil, fmt.Errorf("%s in %s is not a Windows DLL (no MZ header)", name, r.ZipName())
		}
		return dll, nil
	}
	return nil, fmt.Errorf("%s has no %s: it is not a Wintun release zip; download %s from %s",
		r.ZipName(), name, r.ZipName(), r.URL)
}

// ExtractFile reads the release zip at zipPath, checks its SHA-256 and
// writes the DLL for arch to outDir/wintun.dll (created if needed)
// atomically: a reader of outDir sees the old file or the whole new one.
// It returns the path written.
func (r Release) ExtractFile(zipPath, arch, outDir string) (string, error) {
	data, err := r.readZip(zipPath)
	if err != nil {
		return "", err
	}
	dll, err := r.DLL(data, arch)
	if err != nil {
		return "", fmt.Errorf("%s: %w", zipPath, err)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", outDir, err)
	}
	out := filepath.Join(outDir, DLLName)
	if err := writeAtomic(out, dll); err != nil {
		return "", fmt.Errorf("write %s: %w", out, err)
	}
	return out, nil
}

// Download fetches the release zip into a new temporary file in dir ("" is
// the system's) and returns its path; the caller removes it. The zip is
// not checked here: ExtractFile checks it before reading it. On failure
// the error ends with how to provide the zip by hand.
func (r Release) Download(ctx context.Context, client *http.Client, dir string) (path string, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w: download %s from https://www.wintun.net and pass WINTUN_ZIP=path", err, r.ZipName())
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL, nil)
	if err != nil {
		return "", fmt.Errorf("download %s: %w", r.URL, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("download %s: %w", r.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("download %s: %s", r.URL, resp.Status)
	}
	f, err := os.CreateTemp(dir, "wintun-*.zip")
	if err != nil {
		return "", fmt.Errorf("download %s: %w", r.URL, err)
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, maxZipBytes+1))
	if err == nil && n > maxZipBytes {
		err = fmt.Errorf("larger than %d bytes", maxZipBytes)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("download %s: %w", r.URL, err)
	}
	return f.Name(), nil
}

func knownArch(arch string) bool {
	for _, a := range Arches {
		if a == arch {
			return true
		}
	}
	return false
}

// readZip reads the whole zip into memory, so that the bytes hashed are
// the bytes parsed.
func (r Release) readZip(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: download %s from https://www.wintun.net and pass WINTUN_ZIP=path", err, r.ZipName())
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxZipBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxZipBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes: it is not a Wintun release zip; download %s from %s",
			path, maxZipBytes, r.ZipName(), r.URL)
	}
	return data, nil
}

// writeAtomic writes data to a temporary file beside path, syncs it and
// renames it over path.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
