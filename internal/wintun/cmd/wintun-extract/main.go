// Command wintun-extract puts the pinned Wintun release's wintun.dll for
// one architecture into a directory, for the Windows release build:
//
//	go run ./internal/wintun/cmd/wintun-extract -zip wintun-0.14.1.zip -arch amd64 -out dist/windows
//
// With -zip empty it downloads the pinned release first. Either way the
// zip's SHA-256 is checked against the pin before it is read, and the
// command exits non-zero with a sentence saying how to fix it otherwise.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/wgdesk/wgdesk/internal/wintun"
)

func main() {
	if err := run(context.Background(), os.Args[1:], wintun.Pinned, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "wintun-extract:", err)
		os.Exit(1)
	}
}

// run parses args and extracts the DLL of release rel; tests pass a
// release served from loopback.
func run(ctx context.Context, args []string, rel wintun.Release, stdout io.Writer) error {
	fs := flag.NewFlagSet("wintun-extract", flag.ContinueOnError)
	zipPath := fs.String("zip", "", "path of "+rel.ZipName()+"; empty downloads it from "+rel.URL)
	arch := fs.String("arch", "amd64", "architecture: amd64, arm64, x86 or arm")
	out := fs.String("out", "", "directory to write wintun.dll into")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *out == "" {
		return fmt.Errorf("-out is required: name the directory wintun.dll goes into")
	}
	path := *zipPath
	if path == "" {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		fmt.Fprintf(stdout, "downloading %s\n", rel.URL)
		p, err := rel.Download(ctx, http.DefaultClient, "")
		if err != nil {
			return err
		}
		defer os.Remove(p)
		path = p
	}
	dll, err := rel.ExtractFile(path, *arch, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (wintun %s, %s, SHA-256 of the zip checked)\n", dll, rel.Version, *arch)
	return nil
}
