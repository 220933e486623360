package tunnel

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/wgdesk/wgdesk/config"
)

// uapiConfig renders cfg in wireguard-go's configuration protocol
// (https://www.wireguard.com/xplatform/#configuration-protocol), keys in
// hex. endpoints holds each peer's resolved endpoint (zero: none). The
// result holds secrets: it goes to dev.IpcSet and nowhere else.
func uapiConfig(cfg *config.Config, endpoints []netip.AddrPort, fwmark uint32) string {
	var b strings.Builder
	line := func(key, value string) {
		b.WriteString(key)
		b.WriteByte('=')
		b.WriteString(value)
		b.WriteByte('\n')
	}
	line("private_key", hex.EncodeToString(cfg.Interface.PrivateKey[:]))
	// No ListenPort is the device's own default (0: any port). Saying
	// listen_port=0 anyway makes a device that is up already, as one whose
	// TUN reported itself up is, close and reopen its sockets for nothing
	// while the first handshake is due: 1.7 ms off the median first ping
	// in the bench's lab (100 cycles each way).
	if cfg.Interface.ListenPort != 0 {
		line("listen_port", strconv.Itoa(int(cfg.Interface.ListenPort)))
	}
	if fwmark != 0 {
		line("fwmark", strconv.FormatUint(uint64(fwmark), 10))
	}
	line("replace_peers", "true")
	for i, p := range cfg.Peers {
		line("public_key", hex.EncodeToString(p.PublicKey[:]))
		if !p.PresharedKey.IsZero() {
			line("preshared_key", hex.EncodeToString(p.PresharedKey[:]))
		}
		if i < len(endpoints) && endpoints[i].IsValid() {
			line("endpoint", endpoints[i].String())
		}
		line("persistent_keepalive_interval", strconv.Itoa(int(p.PersistentKeepalive)))
		line("replace_allowed_ips", "true")
		for _, pfx := range p.AllowedIPs {
			line("allowed_ip", pfx.Masked().String())
		}
	}
	return b.String()
}

// parseUAPIStats reads the peers' figures from the text of a UAPI get
// operation. It looks only at peer lines: private_key and preshared_key
// are skipped unread, so no secret can leak through an error message.
func parseUAPIStats(text string) ([]PeerStats, error) {
	var (
		peers     []PeerStats
		cur       *PeerStats
		sec, nsec int64
	)
	finish := func() {
		if cur == nil {
			return
		}
		if sec != 0 || nsec != 0 {
			cur.LastHandshake = time.Unix(sec, nsec)
		}
		peers = append(peers, *cur)
		cur, sec, nsec = nil, 0, 0
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		key, value, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			if sc.Text() == "" {
				continue
			}
			return nil, fmt.Errorf("uapi line %d: no '='", n)
		}
		if key == "public_key" {
			finish()
			k, err := parseHexKey(value)
			if err != nil {
				return nil, fmt.Errorf("uapi line %d: public_key: %w", n, err)
			}
			cur = &PeerStats{PublicKey: k}
			continue
		}
		if cur == nil {
			continue // device lines, private_key among them
		}
		var err error
		switch key {
		case "endpoint":
			cur.Endpoint = value
		case "rx_bytes":
			cur.RxBytes, err = strconv.ParseUint(value, 10, 64)
		case "tx_bytes":
			cur.TxBytes, err = strconv.ParseUint(value, 10, 64)
		case "last_handshake_time_sec":
			sec, err = strconv.ParseInt(value, 10, 64)
		case "last_handshake_time_nsec":
			nsec, err = strconv.ParseInt(value, 10, 64)
		}
		if err != nil {
			return nil, fmt.Errorf("uapi line %d: %s: %w", n, key, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read uapi: %w", err)
	}
	finish()
	return peers, nil
}

func parseHexKey(s string) (config.Key, error) {
	var k config.Key
	if len(s) != 2*config.KeyLen {
		return k, fmt.Errorf("%d hex digits, want %d", len(s), 2*config.KeyLen)
	}
	if _, err := hex.Decode(k[:], []byte(s)); err != nil {
		return k, fmt.Errorf("not hex")
	}
	return k, nil
}
