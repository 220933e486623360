package config

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type zipEntry struct {
	name, body string
}

func buildZip(t testing.TB, entries []zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		// A fixed time keeps the committed fixture byte-identical when
		// regenerated.
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate,
			Modified: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// simpleText is a minimal valid client config with fixed, derived keys.
func simpleText(seed, address, endpoint string) string {
	return "[Interface]\n" +
		"PrivateKey = " + fixtureKey(seed+" client").String() + "\n" +
		"Address = " + address + "\n" +
		"\n" +
		"[Peer]\n" +
		"PublicKey = " + fixtureKey(seed+" server").PublicKey().String() + "\n" +
		"AllowedIPs = 10.0.0.0/8\n" +
		"Endpoint = " + endpoint + "\n"
}

// brokenText has a bad PublicKey on line 6.
const brokenText = "[Interface]\n" +
	"PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n" +
	"Address = 10.9.0.2/32\n" +
	"\n" +
	"[Peer]\n" +
	"PublicKey = not-a-key\n" +
	"AllowedIPs = 0.0.0.0/0\n"

func fixtureZipEntries() []zipEntry {
	return []zipEntry{
		{"home.conf", simpleText("home", "192.168.100.2/32", "vpn.example.com:13231")},
		{"configs/office.conf", simpleText("office", "10.10.0.5/32", "[2001:db8::1]:51820")},
		{"broken.conf", brokenText},
		{"README.txt", "These are my tunnels.\n"},
		{"configs/", ""},
		{"__MACOSX/._home.conf", "\x00\x05\x16\x07 apple double junk"},
		{".DS_Store", "junk"},
	}
}

const zipFixture = "testdata/tunnels.zip"

func TestImportZip(t *testing.T) {
	data := buildZip(t, fixtureZipEntries())
	if updateFixtures() {
		if err := os.WriteFile(zipFixture, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, load := range map[string]func() ([]Imported, error){
		"bytes": func() ([]Imported, error) { return ImportBytes("tunnels.zip", data) },
		"fixture": func() ([]Imported, error) {
			items, err := ImportFile(zipFixture)
			for i := range items {
				items[i].Source = strings.Replace(items[i].Source, zipFixture, "tunnels.zip", 1)
			}
			return items, err
		},
	} {
		t.Run(name, func(t *testing.T) {
			items, err := load()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, im := range items {
				s := im.Source + " name=" + im.Name
				if im.Err != nil {
					s += " err=" + im.Err.Error()
				} else if im.Config == nil {
					s += " NO CONFIG"
				}
				got = append(got, s)
			}
			want := []string{
				"tunnels.zip:home.conf name=home",
				"tunnels.zip:configs/office.conf name=office",
				"tunnels.zip:broken.conf name=broken err=line 6: ",
				"tunnels.zip:README.txt name=README err=skipped: not a .conf file",
			}
			if len(got) != len(want) {
				t.Fatalf("got %d entries, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
			}
			for i := range want {
				if !strings.HasPrefix(got[i], want[i]) {
					t.Errorf("entry %d:\n got %s\nwant %s...", i, got[i], want[i])
				}
			}
			if !errors.Is(items[3].Err, ErrSkipped) {
				t.Errorf("README.txt: %v does not wrap ErrSkipped", items[3].Err)
			}
			var pe *ParseError
			if !errors.As(items[2].Err, &pe) || pe.Line != 6 {
				t.Errorf("broken.conf: %v is not a ParseError on line 6", items[2].Err)
			}
			if ep := items[1].Config.Peers[0].Endpoint.String(); ep != "[2001:db8::1]:51820" {
				t.Errorf("office endpoint %s", ep)
			}
		})
	}
}

func TestImportZipLimits(t *testing.T) {
	good := simpleText("a", "10.0.0.2/32", "vpn.example.com:51820")
	big := good + strings.Repeat("# padding comment line\n", MaxTextSize/20)
	items, err := ImportBytes("big.zip", buildZip(t, []zipEntry{{"big.conf", big}, {"ok.conf", good}}))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || !errors.Is(items[0].Err, ErrTooLarge) || items[1].Err != nil {
		t.Fatalf("want big.conf refused as too large and ok.conf imported, got %+v", items)
	}

	// Names are de-duplicated; entries in folders keep their base name.
	items, err = ImportBytes("dup.zip", buildZip(t, []zipEntry{
		{"a/wg0.conf", good}, {"b/wg0.conf", good}, {"c/WG0.conf", good}, {"wg0.conf", good}}))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, im := range items {
		names = append(names, im.Name)
	}
	if got := strings.Join(names, " "); got != "wg0 wg0-2 WG0 wg0-3" {
		t.Errorf("names %q", got)
	}

	// Too many entries: the archive is refused as a whole.
	var many []zipEntry
	for i := 0; i <= MaxZipEntries; i++ {
		many = append(many, zipEntry{fmt.Sprintf("n%d.conf", i), "x"})
	}
	if _, err := ImportBytes("many.zip", buildZip(t, many)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("%d entries: got %v, want ErrTooLarge", len(many), err)
	}

	// The total uncompressed size is bounded by what is read.
	var bulky []zipEntry
	for i := 0; i < MaxZipTotal/(MaxTextSize-1)+2; i++ {
		bulky = append(bulky, zipEntry{fmt.Sprintf("b%d.conf", i), strings.Repeat("#", MaxTextSize-1)})
	}
	items, err = ImportBytes("bulky.zip", buildZip(t, bulky))
	if err != nil {
		t.Fatal(err)
	}
	if last := items[len(items)-1]; !errors.Is(last.Err, ErrTooLarge) {
		t.Errorf("entry past the total limit: %v", last.Err)
	}

	// A corrupt archive cannot be read at all.
	zipData := buildZip(t, []zipEntry{{"ok.conf", good}})
	if _, err := ImportBytes("cut.zip", zipData[:len(zipData)-30]); err == nil {
		t.Errorf("truncated zip: no error")
	}
}

// A zip entry whose header lies about its size is still cut at the limit.
func TestImportZipLyingHeader(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "liar.conf", Method: zip.Store,
		CompressedSize64: MaxTextSize + 100, UncompressedSize64: 10})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(bytes.Repeat([]byte("#"), MaxTextSize+100))
	zw.Close()
	items, err := ImportBytes("liar.zip", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Err == nil {
		t.Fatalf("entry with a lying header imported: %+v", items)
	}
}

func TestImportDetectsByContent(t *testing.T) {
	dir := t.TempDir()
	text := simpleText("c", "10.0.0.2/32", "vpn.example.com:51820")
	code, err := EncodeQR(text, 4)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"zip-named.conf": buildZip(t, []zipEntry{{"inner.conf", text}}),
		"image.txt":      mustPNG(t, code),
		"text.png":       []byte(text),
		"My Tunnel (2)":  []byte(text),
	}
	want := map[string]string{
		"zip-named.conf": "zip-named.conf:inner.conf inner",
		"image.txt":      "image.txt image",
		"text.png":       "text.png text",
		"My Tunnel (2)":  "My Tunnel (2) My_Tunnel__2_",
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		items, err := ImportFile(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(items) != 1 || items[0].Err != nil {
			t.Fatalf("%s: %+v", name, items)
		}
		got := strings.TrimPrefix(items[0].Source, dir+string(filepath.Separator)) + " " + items[0].Name
		if got != want[name] {
			t.Errorf("%s: got %q, want %q", name, got, want[name])
		}
	}
}

func TestImportFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ImportFile(filepath.Join(dir, "missing.conf")); err == nil {
		t.Error("missing file: no error")
	}
	if _, err := ImportFile(dir); err == nil {
		t.Error("directory: no error")
	}
	big := filepath.Join(dir, "big.conf")
	if err := os.WriteFile(big, bytes.Repeat([]byte("#"), MaxTextSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ImportFile(big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("text over 1 MiB: got %v, want ErrTooLarge", err)
	}
	if _, err := ImportBytes("huge.png", pngHeader(10000, 10000)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("100 megapixel image: got %v, want ErrTooLarge", err)
	}
}

func TestImportImage(t *testing.T) {
	hello, err := EncodeQR("hello world", 4)
	if err != nil {
		t.Fatal(err)
	}
	items, err := ImportBytes("hello.png", mustPNG(t, hello))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || !errors.Is(items[0].Err, ErrQRNotWireGuard) || items[0].Config != nil {
		t.Fatalf("hello world code: %+v", items)
	}
	blank := image.NewGray(image.Rect(0, 0, 300, 200))
	for i := range blank.Pix {
		blank.Pix[i] = 0xff
	}
	items, _ = ImportBytes("blank.png", mustPNG(t, blank))
	if len(items) != 1 || !errors.Is(items[0].Err, ErrNoQR) {
		t.Fatalf("blank image: %+v", items)
	}
}

func TestImportText(t *testing.T) {
	text := simpleText("p", "10.0.0.2/32", "vpn.example.com:13231:13231")
	im := ImportText("\ufeff" + strings.ReplaceAll(text, "\n", "\r\n"))
	if im.Err != nil {
		t.Fatal(im.Err)
	}
	if im.Name != "tunnel" || im.Source != PastedTextSource {
		t.Errorf("name %q source %q", im.Name, im.Source)
	}
	if ep := im.Config.Peers[0].Endpoint.String(); ep != "vpn.example.com:13231" {
		t.Errorf("endpoint %s", ep)
	}
	if len(im.Warnings) == 0 {
		t.Errorf("doubled port repaired without a warning")
	}
	if im := ImportText("<html>nope</html>"); im.Err == nil || im.Config != nil {
		t.Errorf("html imported: %+v", im)
	}
	if im := ImportText(strings.Repeat("#", MaxTextSize+1)); !errors.Is(im.Err, ErrTooLarge) {
		t.Errorf("huge paste: %v", im.Err)
	}
}

func TestTunnelName(t *testing.T) {
	for in, want := range map[string]string{
		"wg0.conf":                                          "wg0",
		"/home/me/Downloads/office.CONF":                    "office",
		`C:\Users\me\home.conf`:                             "home",
		"tunnels.zip:sub/mikrotik.conf":                     "mikrotik",
		"Screenshot 2024-05-01 at 12.png":                   "Screenshot_2024-05-01_at_12",
		"a-very-long-name-that-goes-on-and-on-forever.conf": "a-very-long-name-that-goes-on-an",
		"Büro.conf":                                         "B_ro",
		".conf":                                             "tunnel",
		"___.conf":                                          "tunnel",
		"stdin":                                             "stdin",
		"wg=+_.-0.9":                                        "wg=+_.-0.9",
	} {
		if got := TunnelName(in); got != want {
			t.Errorf("TunnelName(%q) = %q, want %q", in, got, want)
		}
	}
	used := map[string]bool{}
	long := strings.Repeat("x", 32)
	for _, want := range []string{long, long[:30] + "-2", long[:30] + "-3"} {
		if got := uniqueName(long, used); got != want {
			t.Errorf("uniqueName: %q, want %q", got, want)
		}
	}
}

func BenchmarkParse1000(b *testing.B) {
	texts := make([][]byte, 1000)
	for i := range texts {
		texts[i] = []byte(routerOSClientText(fixtureKey(fmt.Sprint("c", i)), fixtureKey(fmt.Sprint("s", i)).PublicKey(), fixtureKey(fmt.Sprint("p", i))))
	}
	b.ResetTimer()
	for b.Loop() {
		for _, text := range texts {
			if _, _, err := Parse(text); err != nil {
				b.Fatal(err)
			}
		}
	}
}
