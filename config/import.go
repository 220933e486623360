package config

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
)

// Imported is one config found in an import source, or the reason an entry
// of that source was not imported.
type Imported struct {
	// Name is a suggested tunnel name: the file's base name without its
	// extension, reduced to [a-zA-Z0-9_=+.-]{1,32}, "tunnel" when nothing
	// is left. Within one zip archive names are made unique with -2, -3.
	Name string
	// Source names where the config came from: "wg0.conf",
	// "tunnels.zip:office.conf", "qr.png", "pasted text".
	Source   string
	Config   *Config // nil when Err != nil
	Warnings []Warning
	// Err says why this entry was not imported. It wraps ErrSkipped for
	// zip entries that are not .conf files, ErrNoQR or ErrQRNotWireGuard
	// for images, ErrTooLarge, or the parse error.
	Err error
}

// ErrSkipped is wrapped by the Err of zip entries that were not considered
// at all (not a .conf file). Callers usually report them without failing.
var ErrSkipped = errors.New("skipped")

// Limits for import sources. Text limits come from MaxTextSize (1 MiB per
// config, whether a file or a zip entry).
const (
	// MaxImportFileSize bounds any file read whole: a screenshot PNG or a
	// zip of configs is far smaller.
	MaxImportFileSize = 64 << 20
	// MaxZipEntries bounds the entries of one zip archive.
	MaxZipEntries = 256
	// MaxZipTotal bounds the uncompressed bytes read from one archive.
	MaxZipTotal = 16 << 20
)

// PastedTextSource is the Source of ImportText results.
const PastedTextSource = "pasted text"

// ImportFile reads path and imports what it holds, recognised by content
// (zip, PNG, JPEG or GIF magic numbers, else wg-quick text), not by its
// extension. It returns an error only when the file cannot be read or is
// too large; problems with the configs inside are in each Imported.Err.
func ImportFile(path string) ([]Imported, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", path, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("import %s: is a directory", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxImportFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", path, err)
	}
	if len(data) > MaxImportFileSize {
		return nil, fmt.Errorf("import %s: %w: over %d MiB", path, ErrTooLarge, MaxImportFileSize>>20)
	}
	return ImportBytes(path, data)
}

// ImportBytes imports data as ImportFile does; name is the file name it
// came with (a path is fine), used for Source and the suggested Name.
func ImportBytes(name string, data []byte) ([]Imported, error) {
	if len(data) > MaxImportFileSize {
		return nil, fmt.Errorf("import %s: %w: over %d MiB", name, ErrTooLarge, MaxImportFileSize>>20)
	}
	switch {
	case isZip(data):
		return importZip(name, data)
	case imageFormat(data) != "":
		im := importImage(name, data)
		if errors.Is(im.Err, ErrTooLarge) {
			return nil, fmt.Errorf("import %s: %w", name, im.Err)
		}
		return []Imported{im}, nil
	}
	if len(data) > MaxTextSize {
		return nil, fmt.Errorf("import %s: %w: text over %d KiB", name, ErrTooLarge, MaxTextSize>>10)
	}
	return []Imported{importText(name, TunnelName(name), data)}, nil
}

// ImportText imports pasted text. Its Name is "tunnel".
func ImportText(text string) Imported {
	if len(text) > MaxTextSize {
		return Imported{Name: defaultTunnelName, Source: PastedTextSource,
			Err: fmt.Errorf("%w: text over %d KiB", ErrTooLarge, MaxTextSize>>10)}
	}
	return importText(PastedTextSource, defaultTunnelName, []byte(text))
}

func importText(source, name string, data []byte) Imported {
	im := Imported{Name: name, Source: source}
	c, warnings, err := Parse(data)
	if err != nil {
		im.Err = err
		return im
	}
	im.Config, im.Warnings = c, warnings
	return im
}

func importImage(name string, data []byte) Imported {
	im := Imported{Name: TunnelName(name), Source: name}
	img, err := decodeImage(data)
	if err != nil {
		im.Err = err
		return im
	}
	text, err := readQR(img)
	if err != nil {
		im.Err = err
		return im
	}
	c, warnings, err := Parse([]byte(text))
	if err != nil {
		im.Err = fmt.Errorf("%w: %w", ErrQRNotWireGuard, err)
		return im
	}
	im.Config, im.Warnings = c, warnings
	return im
}

func isZip(data []byte) bool {
	// Local file header, or the end record of an empty archive.
	return bytes.HasPrefix(data, []byte("PK\x03\x04")) || bytes.HasPrefix(data, []byte("PK\x05\x06"))
}

// importZip reports each .conf entry of a zip archive on its own. The
// archive may be hostile: entry count, per-entry and total uncompressed
// size are bounded by what is actually read, not by the headers.
func importZip(name string, data []byte) ([]Imported, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		// ErrInsecurePath (GODEBUG=zipinsecurepath=0) is harmless here:
		// we never write entries to disk.
		return nil, fmt.Errorf("import %s: read zip archive: %w", name, err)
	}
	if len(zr.File) > MaxZipEntries {
		return nil, fmt.Errorf("import %s: %w: %d entries in the zip archive, the limit is %d",
			name, ErrTooLarge, len(zr.File), MaxZipEntries)
	}
	var (
		out   []Imported
		total int64
		used  = map[string]bool{}
	)
	for _, f := range zr.File {
		entry := cleanEntryName(f.Name)
		if f.FileInfo().IsDir() || strings.HasSuffix(f.Name, "/") || isJunkEntry(f.Name) {
			continue
		}
		im := Imported{Source: name + ":" + entry}
		base := path.Base(strings.ReplaceAll(f.Name, `\`, "/"))
		if !strings.EqualFold(path.Ext(base), ".conf") {
			im.Name = TunnelName(base)
			im.Err = fmt.Errorf("%w: not a .conf file", ErrSkipped)
			out = append(out, im)
			continue
		}
		im.Name = uniqueName(TunnelName(base), used)
		if total >= MaxZipTotal {
			im.Err = fmt.Errorf("%w: the zip archive holds more than %d MiB of text", ErrTooLarge, MaxZipTotal>>20)
			out = append(out, im)
			continue
		}
		text, err := readZipEntry(f, min(MaxTextSize, MaxZipTotal-total))
		total += int64(len(text))
		if err != nil {
			im.Err = err
			out = append(out, im)
			continue
		}
		c, warnings, err := Parse(text)
		if err != nil {
			im.Err = err
		} else {
			im.Config, im.Warnings = c, warnings
		}
		out = append(out, im)
	}
	return out, nil
}

// readZipEntry reads at most limit bytes of f, whatever its header claims.
func readZipEntry(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("open zip entry: %w", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read zip entry: %w", err)
	}
	if int64(len(data)) > limit {
		return data[:limit], fmt.Errorf("%w: entry over %d KiB uncompressed", ErrTooLarge, limit>>10)
	}
	return data, nil
}

// isJunkEntry reports the metadata macOS Finder adds to archives
// (__MACOSX/ resource forks, ._ AppleDouble files, .DS_Store).
func isJunkEntry(name string) bool {
	name = strings.ReplaceAll(name, `\`, "/")
	if strings.HasPrefix(name, "__MACOSX/") || strings.Contains(name, "/__MACOSX/") {
		return true
	}
	base := path.Base(name)
	return strings.HasPrefix(base, "._") || base == ".DS_Store"
}

// cleanEntryName makes a zip entry name safe to show: no control
// characters, forward slashes, bounded length.
func cleanEntryName(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return '?'
		}
		return r
	}, name)
	if r := []rune(name); len(r) > 128 {
		name = string(r[:128]) + "…"
	}
	return name
}

const (
	defaultTunnelName = "tunnel"
	maxTunnelName     = 32
)

// TunnelName suggests a tunnel name from a file name or path: the base
// name without its extension (.conf, .txt, .png, .jpg, .jpeg, .gif, .zip),
// every character outside [a-zA-Z0-9_=+.-] replaced by '_', cut to 32
// characters. It returns "tunnel" when nothing usable is left.
func TunnelName(file string) string {
	base := filepath.Base(strings.ReplaceAll(file, `\`, "/"))
	if i := strings.LastIndexByte(base, ':'); i >= 0 {
		base = base[i+1:] // "tunnels.zip:office.conf"
	}
	switch strings.ToLower(path.Ext(base)) {
	case ".conf", ".txt", ".png", ".jpg", ".jpeg", ".gif", ".zip":
		base = strings.TrimSuffix(base, path.Ext(base))
	}
	var b strings.Builder
	for _, r := range base {
		if b.Len() == maxTunnelName {
			break
		}
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_=+.-", r)) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	name := b.String()
	if strings.Trim(name, "_.") == "" {
		return defaultTunnelName
	}
	return name
}

// uniqueName returns name, or name-2, name-3, ... when already used,
// keeping within 32 characters, and marks the result used.
func uniqueName(name string, used map[string]bool) string {
	candidate := name
	for n := 2; used[candidate]; n++ {
		suffix := "-" + strconv.Itoa(n)
		candidate = name[:min(len(name), maxTunnelName-len(suffix))] + suffix
	}
	used[candidate] = true
	return candidate
}
