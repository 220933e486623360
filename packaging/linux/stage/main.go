//go:build linux

// Command stage makes the generated files of the Linux packages, which
// are not kept in git: the manual pages wgdesk(1) and wgdesk-service(8),
// rendered from the help that the packaged binary prints (so they cannot
// drift from it), and the hicolor icons at every standard size up to the
// source's, scaled from assets/wgdesk.png. Run from the repository root
// by `make package`:
//
//	go run ./packaging/linux/stage -bin bin/wgdesk-service -version 0.1.0 -out dist/linux/stage
package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"

	"golang.org/x/image/draw"

	"github.com/wgdesk/wgdesk/internal/manpage"
)

// iconSizes are the hicolor theme's fixed-size directories, in pixels.
var iconSizes = []int{16, 22, 24, 32, 48, 64, 128, 256, 512} // packaging/linux/nfpm.yaml lists those it ships

func main() {
	bin := flag.String("bin", "bin/wgdesk-service", "the wgdesk binary whose help the manual pages show (it must run here)")
	icon := flag.String("icon", "assets/wgdesk.png", "the app icon to scale")
	version := flag.String("version", "dev", "the version the manual pages name")
	out := flag.String("out", "dist/linux/stage", "where to write man/ and icons/")
	flag.Parse()
	if err := stageManPages(*bin, *version, filepath.Join(*out, "man")); err != nil {
		fmt.Fprintln(os.Stderr, "stage:", err)
		os.Exit(1)
	}
	if err := stageIcons(*icon, filepath.Join(*out, "icons")); err != nil {
		fmt.Fprintln(os.Stderr, "stage:", err)
		os.Exit(1)
	}
}

// helpOf runs bin with args and returns what it printed. Help requested
// with -h comes on stderr with exit status 2, as the flag package does it.
func helpOf(bin string, args ...string) (string, error) {
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 2) {
		return "", fmt.Errorf("run %s %v: %w\n%s", bin, args, err, out.String())
	}
	if out.Len() == 0 {
		return "", fmt.Errorf("%s %v printed no help", bin, args)
	}
	return out.String(), nil
}

func stageManPages(bin, version, dir string) error {
	mainHelp, err := helpOf(bin, "help")
	if err != nil {
		return err
	}
	serviceHelp, err := helpOf(bin, "service", "-h")
	if err != nil {
		return err
	}
	pages := map[string]manpage.Page{
		"wgdesk.1":         AppPage(version, mainHelp),
		"wgdesk-service.8": ServicePage(version, serviceHelp),
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, p := range pages {
		if err := writeGzip(filepath.Join(dir, name+".gz"), []byte(manpage.Render(p))); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

// writeGzip writes data gzipped with no name or time in the header, so
// that the same page gives the same bytes.
func writeGzip(path string, data []byte) error {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(data); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func stageIcons(src, dir string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return fmt.Errorf("decode %s: %w", src, err)
	}
	srcSize := img.Bounds().Dx()
	for _, size := range iconSizes {
		// Scaling up would only blur: a size beyond the source's is left
		// out, and the desktop scales the largest one it finds.
		if size > srcSize {
			continue
		}
		dst := image.NewRGBA(image.Rect(0, 0, size, size))
		draw.CatmullRom.Scale(dst, dst.Bounds(), img, img.Bounds(), draw.Src, nil)
		var b bytes.Buffer
		if err := png.Encode(&b, dst); err != nil {
			return err
		}
		d := filepath.Join(dir, fmt.Sprintf("%dx%d", size, size), "apps")
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(d, "wgdesk.png"), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}
