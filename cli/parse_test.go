package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/config"
)

func init() {
	// Another test file of this package may define -update; share it.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata/")
	}
}

func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// parseInputs are the files `wgdesk parse` is tested on: the fixtures of
// testdata/parse and the zip and QR screenshot of config/testdata.
func parseInputs(t *testing.T) map[string][]byte {
	t.Helper()
	inputs := map[string][]byte{}
	for _, pattern := range []string{"testdata/parse/*.conf", "../config/testdata/tunnels.zip", "../config/testdata/routeros-qr-screenshot.png"} {
		files, err := filepath.Glob(pattern)
		if err != nil || len(files) == 0 {
			t.Fatalf("no fixture %s: %v", pattern, err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			inputs[filepath.Base(f)] = data
		}
	}
	return inputs
}

// inParseDir runs the test in a temporary directory holding the inputs, so
// that output shows short relative paths.
func inParseDir(t *testing.T) map[string][]byte {
	t.Helper()
	inputs := parseInputs(t)
	goldenDir, err := filepath.Abs("testdata/parse")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, data := range inputs {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	t.Setenv("WGDESK_GOLDEN_DIR", goldenDir)
	return inputs
}

func runParse(t *testing.T, stdin []byte, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	old := parseStdin
	parseStdin = bytes.NewReader(stdin)
	t.Cleanup(func() { parseStdin = old })
	var out, errb bytes.Buffer
	code = Parse(args, &out, &errb)
	return code, out.String(), errb.String()
}

var parseCases = []struct {
	name  string
	args  []string
	stdin string // file name whose content is fed to standard input
}{
	{name: "home", args: []string{"home.conf"}},
	{name: "home-json", args: []string{"--json", "home.conf"}},
	{name: "office-json", args: []string{"office.conf", "--json"}},
	{name: "doubled-port", args: []string{"routeros-doubled-port.conf"}},
	{name: "doubled-port-json", args: []string{"--json", "routeros-doubled-port.conf"}},
	{name: "broken", args: []string{"broken.conf"}},
	{name: "zip", args: []string{"tunnels.zip"}},
	{name: "zip-json", args: []string{"--json", "tunnels.zip"}},
	{name: "qr", args: []string{"routeros-qr-screenshot.png"}},
	{name: "several-json", args: []string{"--json", "home.conf", "routeros-qr-screenshot.png"}},
	{name: "stdin", args: []string{"-"}, stdin: "office.conf"},
	{name: "missing", args: []string{"home.conf", "missing.conf"}},
	{name: "no-args", args: nil},
	{name: "bad-flag", args: []string{"--yaml", "home.conf"}},
}

// goldenNotFound is how the golden files word a missing file: Linux's
// ENOENT text.
const goldenNotFound = "no such file or directory"

// notFoundText is how this OS words a missing file, as os.Open reports it
// ("The system cannot find the file specified." on Windows).
func notFoundText(t *testing.T) string {
	t.Helper()
	_, err := os.Open(filepath.Join(t.TempDir(), "missing.conf"))
	var pe *os.PathError
	if !errors.As(err, &pe) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("open a missing file: %v, want a *PathError for a missing file", err)
	}
	return pe.Err.Error()
}

func TestParseGolden(t *testing.T) {
	inputs := inParseDir(t)
	goldenDir := os.Getenv("WGDESK_GOLDEN_DIR")
	// The parse verb prints the OS's own words for a missing file; the
	// golden files hold Linux's, which take their place before comparing.
	notFound := ": " + notFoundText(t) + "\n"
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runParse(t, inputs[tc.stdin], tc.args...)
			stderr = strings.ReplaceAll(stderr, notFound, ": "+goldenNotFound+"\n")
			got := fmt.Sprintf("$ wgdesk parse %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(tc.args, " "), code, stdout, stderr)
			golden := filepath.Join(goldenDir, tc.name+".golden")
			if updateGolden() {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./cli -run TestParseGolden -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

// The exit codes and the shapes the golden files pin, checked by meaning
// too, so a careless -update cannot bless a regression.
func TestParseContract(t *testing.T) {
	inParseDir(t)
	if code, _, _ := runParse(t, nil, "home.conf", "office.conf"); code != 0 {
		t.Errorf("valid files: exit %d", code)
	}
	if code, _, _ := runParse(t, nil); code != 2 {
		t.Errorf("no args: exit %d", code)
	}
	code, _, stderr := runParse(t, nil, "tunnels.zip")
	if code != 1 || !regexp.MustCompile(`(?m)^tunnels.zip:broken.conf: line 6: .+: .+$`).MatchString(stderr) {
		t.Errorf("zip with a broken entry: exit %d, stderr:\n%s", code, stderr)
	}
	if strings.Contains(stderr, "__MACOSX") || strings.Contains(stderr, "DS_Store") {
		t.Errorf("macOS junk reported:\n%s", stderr)
	}
	code, _, stderr = runParse(t, nil, "broken.conf")
	if code != 1 || !strings.HasPrefix(stderr, "broken.conf: line 8: ") {
		t.Errorf("broken: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runParse(t, nil, "routeros-doubled-port.conf")
	if code != 0 || !strings.HasPrefix(stderr, "routeros-doubled-port.conf: warning: line 9: ") {
		t.Errorf("doubled port: exit %d, stderr %q", code, stderr)
	}

	// One input, one config: one object without name and source.
	_, stdout, _ := runParse(t, nil, "--json", "home.conf")
	var one map[string]any
	if err := json.Unmarshal([]byte(stdout), &one); err != nil {
		t.Fatalf("--json of one file is no JSON object: %v\n%s", err, stdout)
	}
	if _, ok := one["name"]; ok {
		t.Errorf("single object has a name")
	}
	peer := one["peers"].([]any)[0].(map[string]any)
	if peer["endpoint"] != "vpn.example.com:13231" || peer["has_preshared_key"] != true || peer["persistent_keepalive"] != float64(25) {
		t.Errorf("peer %v", peer)
	}
	if pub := one["interface"].(map[string]any)["public_key"]; pub != "bha3BAi55eerbcO3Hn+Ujb/L+cRrEpjVlfGvGNddb0s=" {
		t.Errorf("interface public key %v", pub)
	}
	// Several: an array with name and source.
	_, stdout, _ = runParse(t, nil, "--json", "office.conf", "home.conf")
	var many []ConfigJSON
	if err := json.Unmarshal([]byte(stdout), &many); err != nil {
		t.Fatalf("--json of two files is no JSON array: %v\n%s", err, stdout)
	}
	if len(many) != 2 || many[0].Name != "office" || many[1].Source != "home.conf" {
		t.Errorf("array %+v", many)
	}
	if ep := many[0].Peers[0].Endpoint; ep != "[2001:db8::1]:51820" {
		t.Errorf("IPv6 endpoint %q", ep)
	}
}

var secretLine = regexp.MustCompile(`(?im)^\s*(?:PrivateKey|PresharedKey)\s*=\s*(\S+)`)

// No output of `wgdesk parse`, in any mode, for any fixture, holds a
// private or preshared key: neither as written, nor in base64 or hex of the
// parsed key.
func TestParseNeverPrintsSecrets(t *testing.T) {
	inputs := inParseDir(t)
	var secrets []string
	addKey := func(k config.Key) {
		if !k.IsZero() {
			secrets = append(secrets, base64.StdEncoding.EncodeToString(k[:]), hex.EncodeToString(k[:]))
		}
	}
	for name := range inputs {
		items, err := config.ImportFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range items {
			if im.Config == nil {
				continue
			}
			addKey(im.Config.Interface.PrivateKey)
			for _, p := range im.Config.Peers {
				addKey(p.PresharedKey)
			}
		}
		// Also every value written on such a line, valid or not.
		for _, m := range secretLine.FindAllSubmatch(inputs[name], -1) {
			secrets = append(secrets, string(m[1]))
		}
	}
	if len(secrets) < 10 {
		t.Fatalf("found only %d secrets in the fixtures; the test would prove little", len(secrets))
	}
	var all []string
	for name := range inputs {
		all = append(all, name)
		for _, args := range [][]string{{name}, {"--json", name}} {
			_, stdout, stderr := runParse(t, nil, args...)
			assertNoSecrets(t, args, stdout+stderr, secrets)
		}
	}
	for _, args := range [][]string{all, append([]string{"--json"}, all...)} {
		_, stdout, stderr := runParse(t, nil, args...)
		assertNoSecrets(t, args, stdout+stderr, secrets)
	}
}

func assertNoSecrets(t *testing.T, args []string, out string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("wgdesk parse %s printed a secret key", strings.Join(args, " "))
		}
	}
}

func TestNewConfigJSONRedacted(t *testing.T) {
	data, err := os.ReadFile("testdata/parse/home.conf")
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := config.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	j := NewConfigJSON(c.Redact(), nil)
	// Redact keeps what may be shown of the secrets.
	if want := c.Interface.PrivateKey.PublicKey().String(); j.Interface.PublicKey != want {
		t.Errorf("redacted config shows public key %q, want %q", j.Interface.PublicKey, want)
	}
	if !j.Peers[0].HasPresharedKey {
		t.Errorf("redacted config lost that the peer has a preshared key")
	}
	if full := NewConfigJSON(c, nil); !full.Peers[0].HasPresharedKey || full.Interface.PublicKey == "" {
		t.Errorf("full config: %+v", full)
	}
	empty := NewConfigJSON(&config.Config{}, nil)
	b, err := json.Marshal(empty)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"interface":{},"peers":[]}` {
		t.Errorf("empty config JSON %s", b)
	}
}
