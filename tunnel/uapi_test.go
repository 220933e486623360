package tunnel

import (
	"encoding/hex"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wgdesk/wgdesk/config"
)

func hexKey(t *testing.T, s string) config.Key {
	t.Helper()
	k, err := parseHexKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseUAPIStats(t *testing.T) {
	text, err := os.ReadFile("testdata/ipcget.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseUAPIStats(string(text))
	if err != nil {
		t.Fatal(err)
	}
	want := []PeerStats{
		{
			PublicKey:     hexKey(t, "b85996fecc9c7f1fc6d2572a76eda11d59bcd20be8e543b15ce4bd85a8e75a33"),
			Endpoint:      "192.0.2.1:13231",
			RxBytes:       2224,
			TxBytes:       38333,
			LastHandshake: time.Unix(1700000000, 250000000),
		},
		{PublicKey: hexKey(t, "58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceb7e19321376")},
	}
	if len(got) != len(want) {
		t.Fatalf("%d peers, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("peer %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestParseUAPIStatsErrorsHoldNoSecrets(t *testing.T) {
	const priv = "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a"
	for _, text := range []string{
		"private_key=" + priv + "\npublic_key=zz\n",
		"private_key=" + priv + "\npublic_key=" + strings.Repeat("ab", 32) + "\nrx_bytes=-1\n",
		"private_key=" + priv + "\ngarbage\n",
	} {
		_, err := parseUAPIStats(text)
		if err == nil {
			t.Errorf("no error for %q", text)
			continue
		}
		if strings.Contains(err.Error(), priv[:8]) {
			t.Errorf("error %q shows the private key", err)
		}
	}
}

func TestUAPIConfig(t *testing.T) {
	priv := hexKey(t, "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a")
	pub1 := hexKey(t, "b85996fecc9c7f1fc6d2572a76eda11d59bcd20be8e543b15ce4bd85a8e75a33")
	psk := hexKey(t, "188515093e952f5f22e865cef3012e72f8b5f0b598ac0309d5dacce3b70fcf52")
	pub2 := hexKey(t, "58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceb7e19321376")
	cfg := &config.Config{
		Interface: config.Interface{PrivateKey: priv, ListenPort: 51000},
		Peers: []config.Peer{
			{PublicKey: pub1, PresharedKey: psk, PersistentKeepalive: 25,
				AllowedIPs: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("2001:db8::1/64")},
				Endpoint:   config.Endpoint{Host: "vpn.example.com", Port: 13231}},
			{PublicKey: pub2, AllowedIPs: []netip.Prefix{netip.MustParsePrefix("192.168.88.1/24")}},
		},
	}
	got := uapiConfig(cfg, []netip.AddrPort{netip.MustParseAddrPort("[2001:db8::7]:13231"), {}}, 51820)
	want := strings.Join([]string{
		"private_key=" + hex.EncodeToString(priv[:]),
		"listen_port=51000",
		"fwmark=51820",
		"replace_peers=true",
		"public_key=" + hex.EncodeToString(pub1[:]),
		"preshared_key=" + hex.EncodeToString(psk[:]),
		"endpoint=[2001:db8::7]:13231",
		"persistent_keepalive_interval=25",
		"replace_allowed_ips=true",
		"allowed_ip=0.0.0.0/0",
		"allowed_ip=2001:db8::/64",
		"public_key=" + hex.EncodeToString(pub2[:]),
		"persistent_keepalive_interval=0",
		"replace_allowed_ips=true",
		"allowed_ip=192.168.88.0/24",
	}, "\n") + "\n"
	if got != want {
		t.Errorf("uapi text:\n%s\nwant:\n%s", got, want)
	}

	// Without a ListenPort the device keeps its default (any port), and
	// the text says nothing about it.
	cfg.Interface.ListenPort = 0
	got = uapiConfig(cfg, nil, 0)
	if strings.Contains(got, "listen_port") || strings.Contains(got, "fwmark") {
		t.Errorf("uapi text without ListenPort or fwmark:\n%s", got)
	}
	if !strings.HasPrefix(got, "private_key="+hex.EncodeToString(priv[:])+"\nreplace_peers=true\n") {
		t.Errorf("uapi text without ListenPort does not start with the key and replace_peers:\n%s", got)
	}
}
