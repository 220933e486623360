package cli

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/internal/hints"
	"github.com/wgdesk/wgdesk/tunnel/api"
	"github.com/wgdesk/wgdesk/tunnel/api/apitest"

	goldenfile "github.com/wgdesk/wgdesk/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Fixed keys, so that golden output is stable. They guard nothing.
const (
	testPriv    = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
	testPSK     = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="
	testPeerPub = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
)

func testConfigText(addr string) string {
	return fmt.Sprintf(`[Interface]
PrivateKey = %s
Address = %s
DNS = 10.66.0.1

[Peer]
PublicKey = %s
PresharedKey = %s
Endpoint = vpn.example.com:13231:13231
AllowedIPs = 10.66.0.0/24, 192.168.88.0/24
PersistentKeepalive = 25
`, testPriv, addr, testPeerPub, testPSK)
}

type env struct {
	t      *testing.T
	svc    *apitest.Service
	socket string
	dir    string
	all    bytes.Buffer // every byte any verb printed, for the key check
}

// newEnv serves the API on a temp socket, backed by a fake service.
func newEnv(t *testing.T) *env {
	t.Helper()
	dir, err := os.MkdirTemp("", "wgdesk-cli-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	e := &env{t: t, svc: apitest.New(), socket: filepath.Join(dir, "wgdesk.sock"), dir: dir}
	ln, err := api.Listen(e.socket)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- api.Serve(ctx, ln, e.svc, api.Options{
			Access:     &api.Access{PeerCred: func(net.Conn) (api.Cred, error) { return api.Cred{}, nil }},
			ConfigJSON: redactedConfigJSON,
			RecentLog:  func() []string { return []string{"12:00:00 service: first", "12:00:01 tunnel: second"} },
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return e
}

// run runs a verb against the env's socket.
func (e *env) run(verb string, args ...string) (code int, stdout, stderr string) {
	e.t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), verb, append([]string{"--socket", e.socket}, args...), &out, &errb)
	e.all.Write(out.Bytes())
	e.all.Write(errb.Bytes())
	return code, out.String(), errb.String()
}

// must runs a verb that has to succeed and returns its stdout.
func (e *env) must(verb string, args ...string) string {
	e.t.Helper()
	code, out, errOut := e.run(verb, args...)
	if code != 0 {
		e.t.Fatalf("wgdesk %s %v: exit %d\nstdout: %s\nstderr: %s", verb, args, code, out, errOut)
	}
	return out
}

func (e *env) writeFile(name, content string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	goldenfile.Check(t, path, got, *update)
}

func TestVerbsAgainstService(t *testing.T) {
	e := newEnv(t)
	restore := now
	now = func() time.Time { return apitest.Since.Add(time.Minute + 12*time.Second) }
	t.Cleanup(func() { now = restore })

	conf := e.writeFile("office.conf", testConfigText("10.66.0.2/32"))
	golden(t, "import.txt", e.must("import", conf))
	e.must("import", "--name", "home", e.writeFile("other.conf", testConfigText("10.77.0.2/32")))

	// The same name again: reported per entry, exit 1.
	code, out, errOut := e.run("import", conf)
	if code != 1 || out != "" || !strings.HasPrefix(errOut, "skipped "+conf+": ") || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("import of an existing name: exit %d\n%s%s", code, out, errOut)
	}

	golden(t, "list-inactive.txt", e.must("list"))
	if got := e.must("up", "office"); got != "office is active on wg-office\n" {
		t.Fatalf("up: %q", got)
	}
	golden(t, "list-active.txt", e.must("list"))
	e.must("set", "home", "autostart=on") // shown in status and status --json
	golden(t, "status.txt", e.must("status"))
	golden(t, "status-office.json", e.must("status", "office", "--json"))
	golden(t, "status-all.json", e.must("status", "--json"))

	var st StatusJSON
	if err := json.Unmarshal([]byte(e.must("status", "--json", "office")), &st); err != nil {
		t.Fatal(err)
	}
	if st.State != "active" || len(st.Peers) != 1 || st.Peers[0].LastHandshake != "2025-03-01T12:01:00Z" || st.Peers[0].RxBytes != 1000 {
		t.Fatalf("status --json office: %+v", st)
	}

	code, _, errOut = e.run("delete", "office")
	if code != 1 || !strings.Contains(errOut, "active") || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("delete of an active tunnel: exit %d, %q", code, errOut)
	}
	if got := e.must("down", "office"); got != "office is inactive\n" {
		t.Fatalf("down: %q", got)
	}
	if got := e.must("delete", "office"); got != "deleted office\n" {
		t.Fatalf("delete: %q", got)
	}
	code, _, errOut = e.run("status", "office")
	if code != 1 || !strings.Contains(errOut, "no such tunnel") || !strings.Contains(errOut, "wgdesk list") {
		t.Fatalf("status of a deleted tunnel: exit %d, %q", code, errOut)
	}

	// The API shows the config in the parse verb's shape, without secrets.
	t2, err := api.Dial(e.socket).Get(context.Background(), "home")
	if err != nil {
		t.Fatal(err)
	}
	var cj ConfigJSON
	if err := json.Unmarshal(t2.Config, &cj); err != nil {
		t.Fatal(err)
	}
	if len(cj.Peers) != 1 || cj.Peers[0].PublicKey != testPeerPub || cj.Interface.PublicKey != mustPub(t, testPriv) {
		t.Fatalf("config in the API: %s", t2.Config)
	}
	e.all.Write(t2.Config)

	// Nothing but export ever prints a secret.
	for _, s := range []string{testPriv, testPSK, hexKey(t, testPriv), hexKey(t, testPSK)} {
		if strings.Contains(e.all.String(), s) {
			t.Fatalf("a verb printed a secret key:\n%s", e.all.String())
		}
	}
	if !strings.Contains(e.all.String(), testPeerPub) {
		t.Fatal("no output showed the peer's public key; the key check proves nothing")
	}
}

func hexKey(t *testing.T, b64 string) string {
	k, err := config.ParseKey(b64)
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(k[:])
}

func TestImportZip(t *testing.T) {
	e := newEnv(t)
	code, out, errOut := e.run("import", "../config/testdata/tunnels.zip")
	if code != 1 {
		t.Fatalf("a zip with a broken entry: exit %d, want 1\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "imported home\n") || !strings.Contains(out, "imported office\n") {
		t.Fatalf("good entries not imported:\n%s", out)
	}
	if !strings.Contains(errOut, "tunnels.zip:broken.conf: line 6: ") {
		t.Fatalf("the broken entry is not reported with its line:\n%s", errOut)
	}
	if !strings.Contains(errOut, "tunnels.zip:README.txt: skipped") {
		t.Fatalf("README.txt is not reported:\n%s", errOut)
	}
	if len(e.svc.List()) != 2 {
		t.Fatalf("service holds %d tunnels, want 2", len(e.svc.List()))
	}
	// --name cannot name two tunnels at once.
	code, _, errOut = e.run("import", "--name", "x", "../config/testdata/tunnels.zip")
	if code != 1 || !strings.Contains(errOut, "--name") {
		t.Fatalf("--name with a zip of two: exit %d, %q", code, errOut)
	}
}

func TestExport(t *testing.T) {
	e := newEnv(t)
	e.must("import", "--name", "office", e.writeFile("a.conf", testConfigText("10.66.0.2/32")))
	text := e.must("export", "office")
	cfg, _, err := config.Parse([]byte(text))
	if err != nil {
		t.Fatalf("exported text does not parse: %v\n%s", err, text)
	}
	if cfg.Interface.PrivateKey.String() != testPriv || cfg.Peers[0].PresharedKey.String() != testPSK {
		t.Fatal("the export lost the keys")
	}
	png := filepath.Join(e.dir, "office.png")
	os.WriteFile(png, []byte("old"), 0o644) // an existing file with a wide mode
	code, out, errOut := e.run("export", "office", "--qr", png)
	if code != 0 || out != "" || !strings.Contains(errOut, "keep it safe") {
		t.Fatalf("export --qr: exit %d\n%s%s", code, out, errOut)
	}
	fi, err := os.Stat(png)
	if err != nil {
		t.Fatal(err)
	}
	// Mode bits exist on Unix only: Windows reports rw-rw-rw- for every
	// writable file, and who may read it is the DACL it inherits from its
	// folder (config.WriteSecretFile's doc).
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("QR file mode %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(png)
	qrText, err := config.DecodeQRFile(data)
	if err != nil {
		t.Fatalf("the QR file does not decode: %v", err)
	}
	if !strings.Contains(qrText, testPriv) {
		t.Fatalf("the QR code lacks the private key:\n%s", qrText)
	}
}

func TestServiceDownAndUsage(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.sock")
	for _, verb := range []string{"list", "status", "up", "down", "delete", "export"} {
		args := []string{"--socket", missing}
		if verb != "list" && verb != "status" {
			args = append(args, "office")
		}
		var out, errb bytes.Buffer
		code := run(context.Background(), verb, args, &out, &errb)
		if code != 1 || out.Len() != 0 || strings.Count(errb.String(), "\n") != 1 ||
			!strings.Contains(errb.String(), "not running") || !strings.Contains(errb.String(), hints.Current().Start) {
			t.Errorf("%s with no service: exit %d, stderr %q", verb, code, errb.String())
		}
	}
	// WGDESK_SOCKET is the default. The error names what the client
	// dialled: the socket, or on Windows the pipe derived from it.
	t.Setenv(SocketEnv, missing)
	var errb bytes.Buffer
	if code := run(context.Background(), "list", nil, &bytes.Buffer{}, &errb); code != 1 || !strings.Contains(errb.String(), api.Dial(missing).Socket()) {
		t.Errorf("list with %s set: exit %d, %q, want it to name %s", SocketEnv, code, errb.String(), api.Dial(missing).Socket())
	}
	for _, args := range [][]string{{"up"}, {"up", "a", "b"}, {"status", "a", "b"}, {"list", "x"}, {"export"}, {"import"}, {"list", "--bogus"}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args[0], args[1:], &out, &errb); code != 2 || !strings.Contains(errb.String(), "Usage: wgdesk "+args[0]) {
			t.Errorf("%v: exit %d, stderr %q", args, code, errb.String())
		}
	}
}

func TestHumanUnits(t *testing.T) {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		12 * time.Second:              "12s ago",
		3*time.Minute + 4*time.Second: "3m 4s ago",
		2*time.Hour + 5*time.Minute:   "2h 5m ago",
		50 * time.Hour:                "2d 2h ago",
	} {
		if got := handshakeAgo(base, base.Add(d)); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
	if got := handshakeAgo(time.Time{}, base); got != "never" {
		t.Errorf("zero handshake: %q", got)
	}
	for n, want := range map[uint64]string{0: "0 B", 1023: "1023 B", 1024: "1.00 KiB", 1536: "1.50 KiB", 5 << 20: "5.00 MiB", 3 << 30: "3.00 GiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
}

// mustPub is the public key of a base64 private key.
func mustPub(t *testing.T, priv string) string {
	t.Helper()
	k, err := config.ParseKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return k.PublicKey().String()
}

// Pasted text arrives on standard input as `wgdesk import --name N -`.
func TestImportFromStandardInput(t *testing.T) {
	e := newEnv(t)
	old := parseStdin
	parseStdin = strings.NewReader(testConfigText("10.88.0.2/32"))
	t.Cleanup(func() { parseStdin = old })
	if got := e.must("import", "--name", "pasted", "-"); !strings.Contains(got, "pasted") {
		t.Fatalf("import from stdin: %q", got)
	}
	if got := e.must("list"); !strings.Contains(got, "pasted") {
		t.Fatalf("the pasted tunnel is not listed:\n%s", got)
	}
	parseStdin = strings.NewReader("this is not a config\n")
	if code, _, errOut := e.run("import", "-"); code == 0 || !strings.Contains(errOut, "line 1") {
		t.Fatalf("import of junk from stdin: exit %d, %q", code, errOut)
	}
}

func TestLogVerb(t *testing.T) {
	e := newEnv(t)
	if got := e.must("log"); got != "12:00:00 service: first\n12:00:01 tunnel: second\n" {
		t.Fatalf("log: %q", got)
	}
	if code, _, _ := e.run("log", "extra"); code != exitUsage {
		t.Fatalf("log with an argument: exit %d", code)
	}
}
