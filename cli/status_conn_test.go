package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/tunnel"
)

// status and status --json say what the handshakes say while a tunnel is
// active, and nothing about them while it is not.
func TestStatusConnection(t *testing.T) {
	e := newEnv(t)
	e.must("import", "--name", "office", e.writeFile("office.conf", testConfigText("10.66.0.2/32")))
	if out := e.must("status", "office"); strings.Contains(out, "connection:") {
		t.Errorf("an inactive tunnel shows a connection:\n%s", out)
	}
	e.must("up", "office")
	for _, c := range []struct {
		conn tunnel.Connection
		line string
	}{
		{tunnel.ConnConnecting, "  connection: connecting (waiting for the first handshake)\n"},
		{tunnel.ConnNoHandshake, "  connection: no handshake: the peer does not answer (`wgdesk doctor` tells why)\n"},
		{tunnel.ConnConnected, "  connection: connected\n"},
	} {
		if err := e.svc.SetConnection("office", c.conn); err != nil {
			t.Fatal(err)
		}
		if out := e.must("status", "office"); !strings.Contains(out, c.line) {
			t.Errorf("status with %s lacks %q:\n%s", c.conn, c.line, out)
		}
		var st StatusJSON
		if err := json.Unmarshal([]byte(e.must("status", "--json", "office")), &st); err != nil {
			t.Fatal(err)
		}
		if st.Connection != string(c.conn) {
			t.Errorf("status --json: connection %q, want %q", st.Connection, c.conn)
		}
	}
}
