package api

import (
	"errors"
	"net"
	"testing"
)

// TestAlsoGroups: a further group admits its members as members (never as
// administrators), a group the system lacks admits no one, and an empty
// list admits only the main group.
func TestAlsoGroups(t *testing.T) {
	gids := map[string]uint32{"wgdesk": 4711, "admin": 80}
	lookup := func(name string) (uint32, error) {
		if g, ok := gids[name]; ok {
			return g, nil
		}
		return 0, errors.New("unknown group " + name)
	}
	adminUser := Cred{UID: 501, GID: 20, Groups: []uint32{20, 12, 61, 80}}
	tests := []struct {
		name    string
		also    []string
		cred    Cred
		allowed bool
	}{
		{"administrator through admin", []string{"admin"}, adminUser, true},
		{"administrator with no further groups", []string{}, adminUser, false},
		{"further group missing on this system", []string{"nosuch"}, adminUser, false},
		{"standard user", []string{"admin"}, Cred{UID: 502, GID: 20, Groups: []uint32{20, 12}}, false},
		{"primary group admin", []string{"nosuch", "admin"}, Cred{UID: 503, GID: 80}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &Access{
				Group:       "wgdesk",
				AlsoGroups:  tt.also,
				PeerCred:    func(net.Conn) (Cred, error) { return tt.cred, nil },
				LookupGroup: lookup,
			}
			c := a.check(nil)
			if c.allowed != tt.allowed {
				t.Fatalf("allowed = %v (%s), want %v", c.allowed, c.reason, tt.allowed)
			}
			if c.allowed && c.who.Admin {
				t.Fatal("a further group's member became an administrator")
			}
		})
	}
}
