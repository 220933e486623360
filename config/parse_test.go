package config

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"
)

var update = flag.Bool("update", false, "rewrite the golden .want files in testdata")

// testKey derives a fixed, valid private key from a number, so tests need
// no real secrets and stay deterministic.
func testKey(n int) Key {
	k := Key(sha256.Sum256([]byte(fmt.Sprintf("wgdesk test key %d", n))))
	k.clamp()
	return k
}

func parseOK(t *testing.T, text string) (*Config, []Warning) {
	t.Helper()
	c, w, err := Parse([]byte(text))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, text)
	}
	return c, w
}

// assertRoundTrip checks that the written text reads back to the same
// config without warnings, and that writing is stable.
func assertRoundTrip(t *testing.T, c *Config) {
	t.Helper()
	out := c.Marshal()
	back, w, err := Parse(out)
	if err != nil {
		t.Fatalf("Parse(Marshal()) failed: %v\n%s", err, out)
	}
	if len(w) != 0 {
		t.Errorf("Parse(Marshal()) warned: %v", w)
	}
	if !reflect.DeepEqual(c, back) {
		t.Errorf("round trip changed the config\nbefore %+v\nafter  %+v\ntext:\n%s", c, back, out)
	}
	if again := back.Marshal(); !bytes.Equal(out, again) {
		t.Errorf("Marshal is not stable:\n%s\n----\n%s", out, again)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate of a parsed config: %v", err)
	}
}

// golden renders the warnings as comments followed by the written config.
func golden(c *Config, w []Warning) []byte {
	var b bytes.Buffer
	for _, x := range w {
		fmt.Fprintf(&b, "# warning: %s\n", x)
	}
	b.Write(c.Marshal())
	return b.Bytes()
}

func TestParseFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/parse-*.conf")
	if err != nil || len(files) < 5 {
		t.Fatalf("fixtures: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, w := parseOK(t, string(data))
			assertRoundTrip(t, c)
			got := golden(c, w)
			want := strings.TrimSuffix(f, ".conf") + ".want"
			if *update {
				if err := os.WriteFile(want, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			exp, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, exp) {
				t.Errorf("output differs from %s:\n%s\n---- want\n%s", want, got, exp)
			}
		})
	}
}

// Every *.conf in testdata that parses (other engineers add QR and import
// fixtures there too) must round-trip.
func TestRoundTripAllFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.conf")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if c, _, err := Parse(data); err == nil {
			t.Run(filepath.Base(f), func(t *testing.T) { assertRoundTrip(t, c) })
		}
	}
}

func TestParseFull(t *testing.T) {
	data, err := os.ReadFile("testdata/parse-full.conf")
	if err != nil {
		t.Fatal(err)
	}
	c, w := parseOK(t, string(data))
	if len(w) != 0 {
		t.Errorf("warnings: %v", w)
	}
	want := &Config{
		Interface: Interface{
			PrivateKey: testKey(1),
			ListenPort: 51820,
			FwMark:     0x1234,
			Addresses:  []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24"), netip.MustParsePrefix("fd00::2/64")},
			DNS:        []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fd00::1")},
			DNSSearch:  []string{"corp.example.com", "example.net"},
			MTU:        1420,
			Table:      "1234",
			PreUp:      []string{"echo pre-up %i"},
			PostUp:     []string{"iptables -A FORWARD -i %i -j ACCEPT; iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE"},
			PreDown:    []string{"echo pre-down"},
			PostDown:   []string{"iptables -D FORWARD -i %i -j ACCEPT; iptables -t nat -D POSTROUTING -o eth0 -j MASQUERADE"},
			SaveConfig: true,
		},
		Peers: []Peer{{
			PublicKey:           testKey(2).PublicKey(),
			PresharedKey:        testKey(3),
			AllowedIPs:          []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("fd00::/64")},
			Endpoint:            Endpoint{Host: "192.0.2.1", Port: 51820},
			PersistentKeepalive: 25,
		}},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
}

func TestParseAwkward(t *testing.T) {
	data, err := os.ReadFile("testdata/parse-awkward.conf")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := parseOK(t, string(data))
	in := c.Interface
	if in.PrivateKey != testKey(1) {
		t.Error("private key with trailing comment and spaces not read")
	}
	if got := fmt.Sprint(in.Addresses); got != "[10.0.0.2/32 fd00::2/128]" {
		t.Errorf("repeated Address lines: %s", got)
	}
	if got := fmt.Sprint(in.DNS); got != "[10.0.0.1]" {
		t.Errorf("DNS with inline comment: %s", got)
	}
	// Scripts keep '#' and ';' and everything up to the trailing spaces.
	if want := []string{`echo "up; still up" # kept: scripts keep their hash`}; !reflect.DeepEqual(in.PostUp, want) {
		t.Errorf("PostUp = %q, want %q", in.PostUp, want)
	}
	if want := []string{`logger 'tunnel %i down; bye'`}; !reflect.DeepEqual(in.PostDown, want) {
		t.Errorf("PostDown = %q, want %q", in.PostDown, want)
	}
	if len(c.Peers) != 1 {
		t.Fatalf("%d peers", len(c.Peers))
	}
	p := c.Peers[0]
	if p.PublicKey != testKey(2).PublicKey() {
		t.Error("PublicKey   =   key    not read")
	}
	if got := fmt.Sprint(p.AllowedIPs); got != "[0.0.0.0/0 ::/0]" {
		t.Errorf("AllowedIPs: %s", got)
	}
	if p.Endpoint != (Endpoint{Host: "vpn.example.com", Port: 51820}) {
		t.Errorf("Endpoint: %+v", p.Endpoint)
	}
	if p.PersistentKeepalive != 0 {
		t.Errorf("PersistentKeepalive off: %d", p.PersistentKeepalive)
	}
}

func TestParseThreePeers(t *testing.T) {
	data, err := os.ReadFile("testdata/parse-three-peers.conf")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := parseOK(t, string(data))
	if len(c.Peers) != 3 {
		t.Fatalf("%d peers, want 3", len(c.Peers))
	}
	wantEP := []Endpoint{{"198.51.100.7", 51820}, {"2001:db8::7", 51821}, {"lab.example.org", 443}}
	for i, p := range c.Peers {
		if p.Endpoint != wantEP[i] {
			t.Errorf("peer %d endpoint %+v, want %+v", i, p.Endpoint, wantEP[i])
		}
		if p.PublicKey != testKey(i+2).PublicKey() {
			t.Errorf("peer %d public key mixed up", i)
		}
		if (i == 0) != !p.PresharedKey.IsZero() {
			t.Errorf("peer %d preshared key set = %v", i, !p.PresharedKey.IsZero())
		}
	}
	if got := fmt.Sprint(c.Peers[1].AllowedIPs); got != "[10.20.0.0/24 fd20::/48]" {
		t.Errorf("repeated AllowedIPs: %s", got)
	}
	if c.Peers[2].PersistentKeepalive != 15 {
		t.Errorf("keepalive %d", c.Peers[2].PersistentKeepalive)
	}
}

func TestParseRouterOS(t *testing.T) {
	data, err := os.ReadFile("testdata/parse-routeros.conf")
	if err != nil {
		t.Fatal(err)
	}
	c, w := parseOK(t, string(data))
	if c.Peers[0].Endpoint != (Endpoint{"vpn.example.com", 13231}) {
		t.Errorf("endpoint %+v", c.Peers[0].Endpoint)
	}
	if got := fmt.Sprint(c.Interface.DNS); got != "[192.168.88.1]" {
		t.Errorf("DNS %s", got)
	}
	if len(w) != 2 || w[0].Line != 4 || w[0].Key != "DNS" || w[1].Line != 9 || w[1].Key != "Endpoint" {
		t.Fatalf("warnings %+v", w)
	}
	if !strings.Contains(w[1].Message, "vpn.example.com:13231") || strings.Contains(w[1].Message, "13231:13231") {
		t.Errorf("endpoint warning %q", w[1].Message)
	}
}

func TestParseEndpoints(t *testing.T) {
	tests := []struct {
		in      string
		want    Endpoint
		doubled bool
		bad     string // part of the error message; "" for success
	}{
		{"192.0.2.1:51820", Endpoint{"192.0.2.1", 51820}, false, ""},
		{"[2001:db8::1]:51820", Endpoint{"2001:db8::1", 51820}, false, ""},
		{"[2001:DB8:0::1]:51820", Endpoint{"2001:db8::1", 51820}, false, ""},
		{"[::ffff:192.0.2.1]:1", Endpoint{"192.0.2.1", 1}, false, ""},
		{"vpn.example.com:65535", Endpoint{"vpn.example.com", 65535}, false, ""},
		{"my_router.lan:1", Endpoint{"my_router.lan", 1}, false, ""},
		{"vpn.example.com:13231:13231", Endpoint{"vpn.example.com", 13231}, true, ""},
		{"1.2.3.4:13231:13231", Endpoint{"1.2.3.4", 13231}, true, ""},
		{"[2001:db8::1]:13231:13231", Endpoint{"2001:db8::1", 13231}, true, ""},
		{"vpn.example.com:13231:13232", Endpoint{}, false, "more than one port"},
		{"vpn.example.com:0:0", Endpoint{}, false, "more than one port"},
		{"vpn.example.com:x:x", Endpoint{}, false, "more than one port"},
		{"vpn.example.com", Endpoint{}, false, "without a port"},
		{"vpn.example.com:", Endpoint{}, false, "port"},
		{"vpn.example.com:0", Endpoint{}, false, "port"},
		{"vpn.example.com:65536", Endpoint{}, false, "port"},
		{"vpn.example.com:+5", Endpoint{}, false, "port"},
		{":51820", Endpoint{}, false, "without a host"},
		{"2001:db8::1:51820", Endpoint{}, false, "without brackets"},
		{"[2001:db8::1:51820", Endpoint{}, false, "no ]"},
		{"[192.0.2.1]:51820", Endpoint{}, false, "no IPv6 address"},
		{"[2001:db8::1]51820", Endpoint{}, false, "without a port"},
		{"bad host:51820", Endpoint{}, false, "host name"},
		{"vpn.exämple.com:51820", Endpoint{}, false, "host name"},
		{"-vpn.example.com:51820", Endpoint{}, false, "host name"},
		{"10.0.0.300:51820", Endpoint{}, false, "host name"},
	}
	for _, tt := range tests {
		ep, doubled, msg, hint := parseEndpoint(tt.in)
		if tt.bad == "" {
			if msg != "" || ep != tt.want || doubled != tt.doubled {
				t.Errorf("parseEndpoint(%q) = %+v, %v, %q; want %+v, %v", tt.in, ep, doubled, msg, tt.want, tt.doubled)
			}
			continue
		}
		if !strings.Contains(msg, tt.bad) || hint == "" {
			t.Errorf("parseEndpoint(%q) error %q / %q; want it to mention %q", tt.in, msg, hint, tt.bad)
		}
	}
}

func TestParseValues(t *testing.T) {
	base := "[Interface]\nPrivateKey = " + testKey(1).String() + "\n"
	peer := "[Peer]\nPublicKey = " + testKey(2).PublicKey().String() + "\n"
	tests := []struct {
		name  string
		text  string
		check func(c *Config) bool
	}{
		{"fwmark off", base + "FwMark = off\n", func(c *Config) bool { return c.Interface.FwMark == 0 }},
		{"fwmark hex", base + "FwMark = 0xCa\n", func(c *Config) bool { return c.Interface.FwMark == 0xca }},
		{"fwmark decimal", base + "FwMark = 4294967295\n", func(c *Config) bool { return c.Interface.FwMark == 1<<32-1 }},
		{"listen port max", base + "ListenPort = 65535\n", func(c *Config) bool { return c.Interface.ListenPort == 65535 }},
		{"listen port zero", base + "ListenPort = 0\n", func(c *Config) bool { return c.Interface.ListenPort == 0 }},
		{"address host bits kept", base + "Address = 10.0.0.2/24\n", func(c *Config) bool {
			return c.Interface.Addresses[0].String() == "10.0.0.2/24"
		}},
		{"bare addresses", base + "Address = 10.0.0.2, fd00::2\n", func(c *Config) bool {
			return fmt.Sprint(c.Interface.Addresses) == "[10.0.0.2/32 fd00::2/128]"
		}},
		{"dns order servers then search", base + "DNS = a.example, 1.1.1.1, b.example., 2606:4700::1111\n", func(c *Config) bool {
			return fmt.Sprint(c.Interface.DNS) == "[1.1.1.1 2606:4700::1111]" &&
				fmt.Sprint(c.Interface.DNSSearch) == "[a.example b.example.]"
		}},
		{"dns repeated", base + "DNS = 1.1.1.1\nDNS = 8.8.8.8\n", func(c *Config) bool { return len(c.Interface.DNS) == 2 }},
		{"mtu min", base + "MTU = 576\n", func(c *Config) bool { return c.Interface.MTU == 576 }},
		{"mtu ipv6 1280", base + "Address = fd00::2/64\nMTU = 1280\n", func(c *Config) bool { return c.Interface.MTU == 1280 }},
		{"table off", base + "Table = off\n", func(c *Config) bool { return c.Interface.Table == "off" }},
		{"table auto", base + "Table = auto\n", func(c *Config) bool { return c.Interface.Table == "auto" }},
		{"table name", base + "Table = my_table-2\n", func(c *Config) bool { return c.Interface.Table == "my_table-2" }},
		{"save config false", base + "SaveConfig = false\n", func(c *Config) bool { return !c.Interface.SaveConfig }},
		{"save config True", base + "SaveConfig = True\n", func(c *Config) bool { return c.Interface.SaveConfig }},
		{"scripts in order", base + "PostUp = a\nPostUp = b # c\nPreDown = d ; e\n", func(c *Config) bool {
			return reflect.DeepEqual(c.Interface.PostUp, []string{"a", "b # c"}) && reflect.DeepEqual(c.Interface.PreDown, []string{"d ; e"})
		}},
		{"script with quotes and backticks", base + "PostUp = `ip r` \"x\" '#'\nPreUp = \"\"\"a\n", func(c *Config) bool {
			return c.Interface.PostUp[0] == "`ip r` \"x\" '#'" && c.Interface.PreUp[0] == `"""a`
		}},
		{"script starting with backtick", base + "PostUp = `echo`\n", func(c *Config) bool { return c.Interface.PostUp[0] == "`echo`" }},
		{"script with equals", base + "PostUp = sysctl -w net.ipv4.ip_forward=1\n", func(c *Config) bool {
			return c.Interface.PostUp[0] == "sysctl -w net.ipv4.ip_forward=1"
		}},
		{"trailing backslash is no continuation", base + "PostUp = echo a \\\nPostUp = echo b\n", func(c *Config) bool {
			return reflect.DeepEqual(c.Interface.PostUp, []string{`echo a \`, "echo b"})
		}},
		{"identical repeated lines kept", base + "PostUp = x\nPostUp = x\n" + peer + "AllowedIPs = 10.0.0.0/8\nAllowedIPs = 10.0.0.0/8\n", func(c *Config) bool {
			return len(c.Interface.PostUp) == 2 && len(c.Peers[0].AllowedIPs) == 2
		}},
		{"semicolon line is no comment", base + "PostUp = ;true\n", func(c *Config) bool { return c.Interface.PostUp[0] == ";true" }},
		{"keepalive off", base + peer + "PersistentKeepalive = off\n", func(c *Config) bool { return c.Peers[0].PersistentKeepalive == 0 }},
		{"keepalive max", base + peer + "PersistentKeepalive = 65535\n", func(c *Config) bool { return c.Peers[0].PersistentKeepalive == 65535 }},
		{"allowed ips routeros", base + peer + "AllowedIPs = 0.0.0.0/0, ::/0\n", func(c *Config) bool {
			return fmt.Sprint(c.Peers[0].AllowedIPs) == "[0.0.0.0/0 ::/0]"
		}},
		{"allowed ips as written", base + peer + "AllowedIPs = 10.1.2.3/8, 192.168.1.1\n", func(c *Config) bool {
			return fmt.Sprint(c.Peers[0].AllowedIPs) == "[10.1.2.3/8 192.168.1.1/32]"
		}},
		{"peer without allowed ips", base + peer, func(c *Config) bool { return len(c.Peers[0].AllowedIPs) == 0 }},
		{"interface only", base, func(c *Config) bool { return len(c.Peers) == 0 }},
		{"peer before interface", peer + base, func(c *Config) bool { return len(c.Peers) == 1 }},
		{"comment lines with semicolon content", "# a; b\n" + base, func(c *Config) bool { return true }},
		{"quoted value kept", base + peer + "Endpoint = \"vpn.example.com:1\"\n", nil},
		{"key with spaces around", base + "  ListenPort\t=\t7  \n", func(c *Config) bool { return c.Interface.ListenPort == 7 }},
		{"section with spaces", "[ Interface ]\nPrivateKey = " + testKey(1).String() + "\n", func(c *Config) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := Parse([]byte(tt.text))
			if tt.check == nil {
				// ini.v1 strips surrounding quotes by default; we must not,
				// and wg-quick does not either, so a quoted value is bad.
				if err == nil {
					t.Fatalf("quoted value accepted: %+v", c)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !tt.check(c) {
				t.Errorf("unexpected result %+v", c)
			}
			assertRoundTrip(t, c)
		})
	}
}

// utf16Bytes encodes s as UTF-16 with a byte order mark.
func utf16Bytes(s string, littleEndian bool) []byte {
	units := utf16.Encode([]rune(s))
	out := make([]byte, 0, 2+2*len(units))
	if littleEndian {
		out = append(out, 0xFF, 0xFE)
	} else {
		out = append(out, 0xFE, 0xFF)
	}
	for _, u := range units {
		if littleEndian {
			out = append(out, byte(u), byte(u>>8))
		} else {
			out = append(out, byte(u>>8), byte(u))
		}
	}
	return out
}

func TestParseEncodings(t *testing.T) {
	data, err := os.ReadFile("testdata/parse-three-peers.conf")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data) + "# ünïcödé comment 🚀\n"
	want, _ := parseOK(t, text)
	crlf := strings.ReplaceAll(text, "\n", "\r\n")
	inputs := map[string][]byte{
		"utf-8 bom":       append([]byte{0xEF, 0xBB, 0xBF}, text...),
		"utf-16 le":       utf16Bytes(text, true),
		"utf-16 be":       utf16Bytes(text, false),
		"utf-16 le crlf":  utf16Bytes(crlf, true),
		"crlf":            []byte(crlf),
		"lone cr":         []byte(strings.ReplaceAll(text, "\n", "\r")),
		"utf-8 bom crlf":  append([]byte{0xEF, 0xBB, 0xBF}, crlf...),
		"no final ending": []byte(strings.TrimSuffix(text, "\n")),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			got, _, err := Parse(in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
	// Errors keep counting lines correctly in every encoding.
	bad := "[Interface]\r\nPrivateKey = " + testKey(1).String() + "\r\nListenPort = x\r\n"
	for name, in := range map[string][]byte{"crlf": []byte(bad), "utf-16 le": utf16Bytes(bad, true), "utf-16 be": utf16Bytes(bad, false)} {
		var pe *ParseError
		if _, _, err := Parse(in); !errors.As(err, &pe) || pe.Line != 3 {
			t.Errorf("%s: error %v, want line 3", name, err)
		}
	}
}

func TestDecodeTextErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		line int
	}{
		{"invalid utf-8", []byte("[Interface]\n# caf\xe9\n"), 2},
		{"invalid utf-8 after bom", []byte("\xEF\xBB\xBF\xff"), 1},
		{"nul byte", []byte("[Interface]\nPrivateKey\x00 = x\n"), 2},
		{"odd utf-16", []byte{0xFF, 0xFE, 'a', 0, 'b'}, 0},
		{"lone high surrogate", []byte{0xFF, 0xFE, '\n', 0, 0x00, 0xD8, 'a', 0}, 2},
		{"lone low surrogate", []byte{0xFE, 0xFF, 0xDC, 0x00}, 1},
		{"utf-16 nul", []byte{0xFF, 0xFE, 0, 0}, 1},
		{"too large", bytes.Repeat([]byte("#"), MaxTextSize+1), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeText(tt.in)
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrNotConfig) {
				t.Fatalf("DecodeText error %v, want a *ParseError wrapping ErrNotConfig", err)
			}
			if pe.Line != tt.line {
				t.Errorf("line %d, want %d (%v)", pe.Line, tt.line, err)
			}
			checkErrorForm(t, pe)
			_, _, perr := Parse(tt.in)
			if !errors.Is(perr, ErrNotConfig) {
				t.Errorf("Parse error %v does not wrap ErrNotConfig", perr)
			}
		})
	}
	// Exactly MaxTextSize is still read (and then refused as no config).
	_, _, err := Parse(bytes.Repeat([]byte("#"), MaxTextSize))
	if err == nil || strings.Contains(err.Error(), "limit") {
		t.Errorf("input of exactly MaxTextSize: %v", err)
	}
}

var errorForm = regexp.MustCompile(`^line [1-9][0-9]*: .+: [^\n]+$`)

func TestParseErrors(t *testing.T) {
	priv := "PrivateKey = " + testKey(1).String() + "\n"
	pub2 := "PublicKey = " + testKey(2).PublicKey().String() + "\n"
	pub3 := "PublicKey = " + testKey(3).PublicKey().String() + "\n"
	iface := "[Interface]\n" + priv
	tests := []struct {
		name      string
		text      string
		line      int
		key       string
		msg, hint string // substrings
		notConfig bool
	}{
		{"missing interface", "[Peer]\n" + pub2, 0, "", "no [Interface] section", "wg genkey", false},
		{"empty file", "", 0, "", "no [Interface]", "", true},
		{"only comments", "# nothing\n\n", 0, "", "no [Interface]", "", true},
		{"missing private key", "\n[Interface]\nListenPort = 1\n", 2, "PrivateKey", "missing PrivateKey", "wg genkey", false},
		{"short private key", "[Interface]\nPrivateKey = abc\n", 2, "PrivateKey", "3 characters", "44 characters of base64 as wg genkey", false},
		{"private key bad base64", "[Interface]\nPrivateKey = " + strings.Repeat("!", 43) + "=\n", 2, "PrivateKey", "not canonical base64", "wg genkey", false},
		{"private key non canonical bits", "[Interface]\nPrivateKey = " + strings.Repeat("A", 42) + "B=\n", 2, "PrivateKey", "base64", "44 characters", false},
		{"bad public key", iface + "[Peer]\nPublicKey = " + strings.Repeat("A", 45) + "\n", 4, "PublicKey", "45 characters", "wg pubkey", false},
		{"bad preshared key", iface + "[Peer]\n" + pub2 + "PresharedKey = xyz=\n", 5, "PresharedKey", "4 characters", "wg genpsk", false},
		{"peer without public key", iface + "[Peer]\n" + pub2 + "\n[Peer]\nAllowedIPs = 10.0.0.0/8\n", 6, "PublicKey", "missing PublicKey in [Peer] number 2", "add PublicKey", false},
		{"duplicate peers", iface + "[Peer]\n" + pub2 + "[Peer]\n" + pub3 + "[Peer]\n" + pub2, 8, "PublicKey", "also on line 4", "own public key", false},
		{"unknown section", iface + "[Peers]\n" + pub2, 3, "", "unknown section [Peers]", "did you mean [Peer]?", false},
		{"unknown section interfaces", "[Interfaces]\n" + priv, 1, "", "unknown section [Interfaces]", "did you mean [Interface]?", false},
		{"unknown section far", iface + "[Global]\n", 3, "", "unknown section [Global]", "only [Interface] and [Peer]", false},
		{"unclosed section", iface + "[Peer\n", 3, "", "closing ]", "[Peer]", false},
		{"unknown key near miss", iface + "[Peer]\n" + pub2 + "AllowedIP = 10.0.0.0/8\n", 5, "AllowedIP", "unknown key AllowedIP in [Peer]", "did you mean AllowedIPs?", false},
		{"unknown key typo", iface + "ListenPrt = 5\n", 3, "ListenPrt", "unknown key ListenPrt", "did you mean ListenPort?", false},
		{"unknown key far", iface + "Jc = 5\n", 3, "Jc", "unknown key Jc in [Interface]", "PrivateKey, ListenPort", false},
		{"key in wrong section", iface + "Endpoint = a.b:1\n", 3, "Endpoint", "key Endpoint belongs in [Peer]", "[Peer] header", false},
		{"key material as key name", iface + strings.Repeat("A", 43) + "=\n", 3, "", "unknown key in [Interface]", "delete the line", false},
		{"empty endpoint", iface + "[Peer]\n" + pub2 + "Endpoint = \n", 5, "Endpoint", "empty value for Endpoint", "delete the line", false},
		{"empty after comment", iface + "DNS = # none\n", 3, "DNS", "empty value for DNS", "", false},
		{"bad keepalive", iface + "[Peer]\n" + pub2 + "PersistentKeepalive = 0L\n", 5, "PersistentKeepalive", "invalid PersistentKeepalive", "25", false},
		{"keepalive too big", iface + "[Peer]\n" + pub2 + "PersistentKeepalive = 65536\n", 5, "PersistentKeepalive", "0 to 65535", "", false},
		{"negative port", iface + "ListenPort = -1\n", 3, "ListenPort", "invalid ListenPort", "51820", false},
		{"port too big", iface + "ListenPort = 70000\n", 3, "ListenPort", "invalid ListenPort", "", false},
		{"bad fwmark", iface + "FwMark = 0x\n", 3, "FwMark", "invalid FwMark", "0x hex", false},
		{"fwmark too big", iface + "FwMark = 0x100000000\n", 3, "FwMark", "invalid FwMark", "", false},
		{"bad address", iface + "Address = 10.0.0.256/24\n", 3, "Address", `invalid Address "10.0.0.256/24"`, "10.0.0.2/24", false},
		{"bad address prefix", iface + "Address = 10.0.0.1/33\n", 3, "Address", "invalid Address", "", false},
		{"address with zone", iface + "Address = fe80::1%eth0\n", 3, "Address", "invalid Address", "", false},
		{"address empty element", iface + "Address = 10.0.0.1/32,\n", 3, "Address", "empty element in the Address list", "extra comma", false},
		{"bad allowed ips", iface + "[Peer]\n" + pub2 + "AllowedIPs = 0.0.0.0/0, ::/129\n", 5, "AllowedIPs", `invalid AllowedIPs entry "::/129"`, "", false},
		{"dns bad ip", iface + "DNS = 10.0.0.300\n", 3, "DNS", "neither an IP address nor a search domain", "", false},
		{"dns network", iface + "DNS = 10.0.0.0/24\n", 3, "DNS", "a network", "", false},
		{"dns bad name", iface + "DNS = not a name\n", 3, "DNS", "invalid DNS entry", "", false},
		{"mtu too small", iface + "MTU = 500\n", 3, "MTU", "invalid MTU", "1420", false},
		{"mtu not a number", iface + "MTU = 1420b\n", 3, "MTU", "invalid MTU", "", false},
		{"mtu too small for ipv6", "[Interface]\nMTU = 1000\n" + priv + "Address = fd00::1/64\n", 2, "MTU", "too small MTU 1000 for IPv6", "1280", false},
		{"bad table", iface + "Table = main table\n", 3, "Table", "invalid Table", "off, auto", false},
		{"bad save config", iface + "SaveConfig = yes\n", 3, "SaveConfig", "invalid SaveConfig", "true or false", false},
		{"bad endpoint doubled unequal", iface + "[Peer]\n" + pub2 + "Endpoint = vpn.example.com:13231:13232\n", 5, "Endpoint", "more than one port", "vpn.example.com:51820", false},
		{"bad endpoint no port", iface + "[Peer]\n" + pub2 + "Endpoint = 192.0.2.1\n", 5, "Endpoint", "without a port", "", false},
		{"quoted endpoint", iface + "[Peer]\n" + pub2 + "Endpoint = \"192.0.2.1:5\"\n", 5, "Endpoint", "invalid Endpoint", "", false},
		{"key outside section", priv + iface, 1, "PrivateKey", "outside any section", "[Interface] or [Peer] header", false},
		{"garbage line", iface + "this is not a config line\n", 3, "", "neither a [section], a # comment nor key = value", "Key = value", false},
		{"no key name", iface + "= 5\n", 3, "", "no key name", "", false},
		{"semicolon comment is a key", iface + "; ListenPort = 5\n", 3, "", "unknown key in [Interface]", "", false},
		{"second interface", iface + "[Peer]\n" + pub2 + "[interface]\n" + priv, 5, "", "second [Interface] section (the first is on line 1)", "merge", false},
		{"duplicate single key", iface + "ListenPort = 1\nlistenport = 2\n", 4, "ListenPort", "second ListenPort in this section (the first is on line 3)", "keep only one", false},
		{"duplicate endpoint", iface + "[Peer]\n" + pub2 + "Endpoint = a.b:1\nEndpoint = a.b:2\n", 6, "Endpoint", "second Endpoint", "", false},
		{"html", "<!DOCTYPE html>\n<html><body>404</body></html>\n", 1, "", "neither", "", true},
		{"prose", "Dear admin,\nplease find the VPN settings attached.\n", 1, "", "neither", "", true},
		{"prose with equals", "The answer = 42\n", 1, "", "outside any section", "", true},
		{"text after header", iface + "[Peer] office\n", 3, "", "text after the section header", "comments after #", false},
		{"png bytes", "\x89PNG\r\n\x1a\n\x00\x00", 1, "", "utf-8", "", true},
		{"private key typo hint", "[Interface]\nPrivate Key = x\n", 2, "", "unknown key in [Interface]", "did you mean PrivateKey?", false},
		{"structural error before value error", iface + "garbage\nListenPort = x\n", 3, "", "neither", "", false},
		{"first error wins", iface + "ListenPort = x\nMTU = y\n[Peer]\nAllowedIP = 1.2.3.4\n", 3, "ListenPort", "invalid ListenPort", "", false},
		{"syntax error before semantic", "[Interface]\nListenPort = 1\n[Peer]\nFoo = 1\n", 4, "Foo", "unknown key Foo", "", false},
		{"semantic errors in line order", "[Interface]\n" + priv + "MTU = 1000\nAddress = fd00::1\n[Peer]\nAllowedIPs = 10.0.0.0/8\n", 3, "MTU", "too small MTU", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, w, err := Parse([]byte(tt.text))
			if err == nil {
				t.Fatalf("no error; config %+v warnings %v", c, w)
			}
			if c != nil || w != nil {
				t.Errorf("config or warnings returned with an error")
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is no *ParseError", err, err)
			}
			if pe.Line != tt.line {
				t.Errorf("line %d, want %d: %v", pe.Line, tt.line, err)
			}
			if pe.Key != tt.key {
				t.Errorf("key %q, want %q: %v", pe.Key, tt.key, err)
			}
			if !strings.Contains(pe.Msg, tt.msg) || !strings.Contains(pe.Hint, tt.hint) {
				t.Errorf("error %q does not contain %q and %q", err, tt.msg, tt.hint)
			}
			if errors.Is(err, ErrNotConfig) != tt.notConfig {
				t.Errorf("errors.Is(err, ErrNotConfig) = %v, want %v", !tt.notConfig, tt.notConfig)
			}
			checkErrorForm(t, pe)
			if k := testKey(1).String(); strings.Contains(err.Error(), k) || strings.Contains(err.Error(), k[:20]) {
				t.Errorf("error holds private key material: %v", err)
			}
			// Deterministic: the same input gives the same error.
			if _, _, again := Parse([]byte(tt.text)); again.Error() != err.Error() {
				t.Errorf("second parse gave %v", again)
			}
		})
	}
}

// checkErrorForm checks "line N: what: fix" (or "what: fix" for line 0),
// a lowercase start and no colon inside the "what" part.
func checkErrorForm(t *testing.T, pe *ParseError) {
	t.Helper()
	s := pe.Error()
	if pe.Line > 0 && !errorForm.MatchString(s) {
		t.Errorf("error %q is not of the form line N: what: fix", s)
	}
	if pe.Line == 0 && (strings.HasPrefix(s, "line ") || !strings.Contains(s, ": ")) {
		t.Errorf("error %q without line is not of the form what: fix", s)
	}
	if pe.Msg == "" || pe.Hint == "" || strings.Contains(pe.Msg, ": ") {
		t.Errorf("error %q lacks a what or a fix", s)
	}
	if r := []rune(pe.Msg)[0]; unicode.IsUpper(r) {
		t.Errorf("message %q does not start lowercase", pe.Msg)
	}
}

func TestParseErrorFormat(t *testing.T) {
	e := &ParseError{Line: 7, Key: "MTU", Msg: "invalid MTU", Hint: "write 1420"}
	if got := e.Error(); got != "line 7: invalid MTU: write 1420" {
		t.Errorf("got %q", got)
	}
	e = &ParseError{Msg: "no [Interface] section", Hint: "add one"}
	if got := e.Error(); got != "no [Interface] section: add one" {
		t.Errorf("got %q", got)
	}
	if errors.Is(e, ErrNotConfig) {
		t.Error("plain ParseError wraps ErrNotConfig")
	}
}

func TestNearest(t *testing.T) {
	keys := append(append([]string{}, interfaceKeys...), peerKeys...)
	for in, want := range map[string]string{
		"AllowedIP": "AllowedIPs", "allowedips": "AllowedIPs", "PublicKy": "PublicKey", "PresharedKy": "PresharedKey",
		"EndPoint": "Endpoint", "Endpoints": "Endpoint", "Adress": "Address", "Addresses": "Address", "PersistentKeepAlive": "PersistentKeepalive",
		"Keepalive": "", "Jc": "", "X": "", "Name": "",
	} {
		if got := nearest(in, keys); got != want {
			t.Errorf("nearest(%q) = %q, want %q", in, got, want)
		}
	}
}

// ini.v1 strips surrounding quotes, joins lines ending in a backslash,
// reads values in backticks or """ over several lines and cuts ';'
// comments unless told otherwise. This guards the options and the value
// guard: every value must come back from ini.v1 exactly as scanned.
func TestReadINIVerbatim(t *testing.T) {
	values := []string{
		`"quoted"`, `'single'`, "`backtick`", "`unclosed", `"""triple`, `"""a"""`,
		`ends with \`, `a ; b`, `x # y`, `k=v=w`, `;leading`, `#`, `[not a section]`, `- auto`,
	}
	var text strings.Builder
	text.WriteString("[Interface]\n")
	for _, v := range values {
		text.WriteString("PostUp = " + v + "\n")
	}
	text.WriteString("PostUp = last\n")
	sections, cleaned, err := scan(strings.Split(text.String(), "\n"))
	if err != nil {
		t.Fatal(err)
	}
	items, err := readINI(cleaned, sections)
	if err != nil {
		t.Fatal(err)
	}
	want := append(values, "last")
	if len(items) != len(want) {
		t.Fatalf("%d items, want %d: %+v", len(items), len(want), items)
	}
	for i, it := range items {
		if it.value != want[i] || it.line != i+2 || it.key != "PostUp" {
			t.Errorf("item %d = %+v, want value %q on line %d", i, it, want[i], i+2)
		}
	}
}
