package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse proves that no input makes Parse panic, that every error is a
// *ParseError, and that every accepted config round-trips through Marshal.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.conf")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
			f.Add(utf16Bytes(string(data), true))
		}
	}
	f.Add([]byte(""))
	f.Add([]byte("[Interface]\nPrivateKey = " + testKey(1).String() + "\nPostUp = `x` \"\"\"y # z ; w\n"))
	f.Add([]byte("[Peer]\nEndpoint = [::1]:1:1\n[interface]\nDNS = a.b, 1.1.1.1/32\n"))
	f.Add([]byte("\xEF\xBB\xBF[Interface]\r\nMTU = 1279\rAddress = ::1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, w, err := Parse(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is no *ParseError", err, err)
			}
			if pe.Msg == "" || pe.Hint == "" {
				t.Fatalf("error without what or fix: %q", err)
			}
			if c != nil || w != nil {
				t.Fatal("config or warnings returned with an error")
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Validate of a parsed config: %v", err)
		}
		out := c.Marshal()
		back, w2, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Marshal()) failed: %v\n%s", err, out)
		}
		if len(w2) != 0 {
			t.Fatalf("warnings on written text: %v", w2)
		}
		if !reflect.DeepEqual(c, back) {
			t.Fatalf("round trip changed the config\n%+v\n%+v\n%s", c, back, out)
		}
		if !bytes.Equal(out, back.Marshal()) {
			t.Fatalf("Marshal not stable")
		}
		r := c.Redact()
		if !r.Interface.PrivateKey.IsZero() {
			t.Fatal("Redact kept the private key")
		}
		for i, p := range r.Peers {
			if !p.PresharedKey.IsZero() || p.PublicKey != c.Peers[i].PublicKey {
				t.Fatalf("Redact of peer %d wrong", i)
			}
		}
	})
}
