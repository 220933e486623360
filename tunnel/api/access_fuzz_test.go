package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/tunnel"
	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
)

// knownCodes are every code an answer may carry.
var knownCodes = map[string]bool{
	CodeNotFound: true, CodeExists: true, CodeActive: true, CodeBadName: true,
	CodeConflict: true, CodeScriptsDisabled: true, CodeBadConfig: true,
	CodePermissionDenied: true, CodeUnsupported: true, CodeBadRequest: true,
	CodeInternal: true, CodeNotOwner: true, CodeNeedAdmin: true, CodeQuota: true,
}

// FuzzRequestDecoding sends arbitrary bodies to POST /v1/tunnels and PUT
// /v1/tunnels/{name}/options, as root and as a member, through the
// server's handler with a fake service holding root's tunnel. Whatever the
// body: no panic, no 500, a JSON answer with a known code on error, never
// root's keys, and a member never stores a config CheckMemberConfig
// refuses. What decodes must survive a round trip.
func FuzzRequestDecoding(f *testing.F) {
	priv, _ := config.NewPrivateKey()
	peer, _ := config.NewPrivateKey()
	rootConf := fmt.Sprintf("[Interface]\nPrivateKey = %s\nAddress = 10.1.0.2/32\n\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.1.0.0/24\n", priv, peer.PublicKey())
	good, _ := json.Marshal(ImportRequest{Name: "office", Config: rootConf})
	f.Add(false, true, string(good))
	f.Add(false, false, string(good))
	f.Add(false, false, `{"name": "x", "config": "[Interface]\nPrivateKey = `+priv.String()+`\nFwMark = 1\nTable = 254\nPostUp = id\n"}`)
	f.Add(false, false, `{"name": "root", "config": ""}`)
	f.Add(false, false, `{"name": "../x", "config": "[Interface]"}{}`)
	f.Add(false, true, `{"name": "x", "config": 1}`)
	f.Add(false, true, `{"name": "x", "extra": 1}`)
	f.Add(true, false, `{"kill_switch": "off", "allow_lan": true}`)
	f.Add(true, true, `{"kill_switch": "sometimes"}`)
	f.Add(true, false, `{"kill_switch": "on"} trailing`)
	f.Add(true, true, `[]`)
	f.Add(true, false, "\x00")

	f.Fuzz(func(t *testing.T, options, asRoot bool, body string) {
		svc := apitest.New()
		if err := svc.Import("root", mustParse(t, rootConf)); err != nil {
			t.Fatal(err)
		}
		s := &server{svc: svc, opts: Options{
			ConfigJSON: func(c *config.Config) any { return string(c.Marshal()) },
		}, closing: make(chan struct{})}
		who := tunnel.UnixCaller(1000)
		if asRoot {
			who = tunnel.UnixCaller(0)
		}
		method, path := "POST", "/v1/tunnels"
		if options {
			method, path = "PUT", "/v1/tunnels/root/options"
		}
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req = req.WithContext(context.WithValue(req.Context(), callerKey{}, caller{allowed: true, who: who}))
		rec := httptest.NewRecorder()
		s.routes().ServeHTTP(rec, req)

		answer := rec.Body.String()
		// 501 is an honest answer (Allow LAN where the fake cannot).
		if rec.Code >= 500 && rec.Code != http.StatusNotImplemented {
			t.Fatalf("%s %s %q: %d %s", method, path, body, rec.Code, answer)
		}
		if strings.Contains(answer, priv.String()) {
			t.Fatalf("the answer shows root's private key: %s", answer)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer is not JSON: %q", answer)
		}
		if rec.Code >= 300 {
			var e errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == nil || !knownCodes[e.Error.Code] {
				t.Fatalf("error answer %q: %v", answer, err)
			}
		}
		if !asRoot && !options && rec.Code == http.StatusCreated {
			for _, info := range svc.List() {
				if info.Owner != nil && !info.Owner.Admin {
					if err := tunnel.CheckMemberConfig(info.Config); err != nil {
						t.Fatalf("a member stored %s: %v", info.Name, err)
					}
				}
			}
		}
		if options && !asRoot && rec.Code == http.StatusOK {
			t.Fatalf("a member changed root's options: %s", answer)
		}

		// The decoders alone: what decodes encodes and decodes the same.
		if options {
			o, err := decodeOptions(strings.NewReader(body))
			if err == nil {
				b, _ := json.Marshal(o)
				if o2, err := decodeOptions(strings.NewReader(string(b))); err != nil || o2 != o {
					t.Fatalf("options %+v did not round-trip: %+v, %v", o, o2, err)
				}
			}
			return
		}
		r, err := decodeImport(strings.NewReader(body))
		if err == nil {
			if r.Name == "" {
				t.Fatal("decoded an import without a name")
			}
			b, _ := json.Marshal(r)
			if r2, err := decodeImport(strings.NewReader(string(b))); err != nil || r2 != r {
				t.Fatalf("import %+v did not round-trip: %+v, %v", r, r2, err)
			}
		}
	})
}

func mustParse(t *testing.T, text string) *config.Config {
	t.Helper()
	cfg, _, err := config.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
