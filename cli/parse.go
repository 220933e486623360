package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/wgdesk/wgdesk/config"
)

// parseStdin is where `wgdesk parse -` reads; tests swap it.
var parseStdin io.Reader = os.Stdin

const parseUsage = `Usage: wgdesk parse [--json] PATH...

Checks wg-quick configs without storing anything. PATH is a .conf file, a
.zip of .conf files, a QR code image (PNG, JPEG, GIF) or - for standard
input. Exit status 0 when every config is valid, 1 otherwise.

  --json   print the parsed configs as JSON (public keys only)
`

// Parse implements `wgdesk parse`. args excludes the verb. Returns the
// process exit code: 0 when every input (every zip entry) is valid, 1
// otherwise, 2 for usage errors. Errors and warnings go to stderr as
// "PATH: line N: what: fix"; private and preshared keys are never printed.
func Parse(args []string, stdout, stderr io.Writer) int {
	asJSON := false
	var paths []string
	flagsDone := false
	for _, a := range args {
		switch {
		case flagsDone || a == "-" || !strings.HasPrefix(a, "-"):
			paths = append(paths, a)
		case a == "--":
			flagsDone = true
		case a == "--json" || a == "-json":
			asJSON = true
		case a == "-h" || a == "--help" || a == "-help":
			fmt.Fprint(stdout, parseUsage)
			return 0
		default:
			fmt.Fprintf(stderr, "wgdesk parse: unknown flag %s\n\n%s", a, parseUsage)
			return 2
		}
	}
	if len(paths) == 0 {
		fmt.Fprintf(stderr, "wgdesk parse: no file given\n\n%s", parseUsage)
		return 2
	}

	failed := false
	var valid []config.Imported
	for _, p := range paths {
		items, err := importPath(p)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %s\n", displayName(p), err)
			failed = true
			continue
		}
		found := 0
		for _, im := range items {
			for _, w := range im.Warnings {
				fmt.Fprintf(stderr, "%s: warning: %s\n", im.Source, w)
			}
			switch {
			case im.Err == nil:
				valid = append(valid, im)
				found++
			case errors.Is(im.Err, config.ErrSkipped):
				fmt.Fprintf(stderr, "%s: %s\n", im.Source, im.Err)
			default:
				fmt.Fprintf(stderr, "%s: %s\n", im.Source, im.Err)
				failed = true
				found++
			}
		}
		if found == 0 {
			fmt.Fprintf(stderr, "%s: no .conf file found in the archive\n", displayName(p))
			failed = true
		}
	}

	if asJSON {
		if err := writeParseJSON(stdout, valid, len(paths) == 1 && len(valid) == 1 && !failed); err != nil {
			fmt.Fprintf(stderr, "wgdesk parse: %v\n", err)
			return 1
		}
	} else {
		for _, im := range valid {
			writeSummary(stdout, im)
		}
	}
	if failed {
		return 1
	}
	return 0
}

// importPath reads one PATH argument ("-" is standard input).
func importPath(p string) ([]config.Imported, error) {
	if p != "-" {
		items, err := config.ImportFile(p)
		if err != nil {
			return nil, cleanImportError(p, err)
		}
		return items, nil
	}
	data, err := io.ReadAll(io.LimitReader(parseStdin, config.MaxImportFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read standard input: %w", err)
	}
	if len(data) > config.MaxImportFileSize {
		return nil, fmt.Errorf("%w: over %d MiB", config.ErrTooLarge, config.MaxImportFileSize>>20)
	}
	items, err := config.ImportBytes(displayName(p), data)
	if err != nil {
		return nil, cleanImportError(displayName(p), err)
	}
	return items, nil
}

// cleanImportError drops what the "PATH: " prefix already says.
func cleanImportError(p string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	if s, ok := strings.CutPrefix(err.Error(), "import "+p+": "); ok {
		return errors.New(s)
	}
	return err
}

func displayName(p string) string {
	if p == "-" {
		return "stdin"
	}
	return p
}

func writeParseJSON(w io.Writer, valid []config.Imported, single bool) error {
	var v any
	if single {
		v = NewConfigJSON(valid[0].Config, valid[0].Warnings)
	} else {
		list := make([]ConfigJSON, 0, len(valid))
		for _, im := range valid {
			j := NewConfigJSON(im.Config, im.Warnings)
			j.Name, j.Source = im.Name, im.Source
			list = append(list, j)
		}
		v = list
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeSummary prints a few lines a person checks at a glance.
func writeSummary(w io.Writer, im config.Imported) {
	c := im.Config
	fmt.Fprintf(w, "%s: valid, tunnel name %q\n", im.Source, im.Name)
	if len(c.Interface.Addresses) > 0 {
		fmt.Fprintf(w, "  address    %s\n", strings.Join(strs(c.Interface.Addresses), ", "))
	}
	if dns := append(strs(c.Interface.DNS), c.Interface.DNSSearch...); len(dns) > 0 {
		fmt.Fprintf(w, "  dns        %s\n", strings.Join(dns, ", "))
	}
	fmt.Fprintf(w, "  peers      %d\n", len(c.Peers))
	for _, p := range c.Peers {
		ep := p.Endpoint.String()
		if ep == "" {
			ep = "(no endpoint)"
		}
		fmt.Fprintf(w, "  endpoint   %s  allowed %s\n", ep, strings.Join(strs(p.AllowedIPs), ", "))
	}
}
