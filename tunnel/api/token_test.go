package api

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/wgdesk/wgdesk/tunnel/api/apitest"
)

const (
	testGroupSID = "S-1-5-21-1004336348-1177238915-682003330-1010"
	sidUser      = "S-1-5-21-1004336348-1177238915-682003330-1001"
	sidUsers     = "S-1-5-32-545"
	sidEveryone  = "S-1-1-0"
)

// Windows-style callers, as readToken would describe them.
var (
	tokSystem        = Token{User: sidLocalSystem, Account: `NT AUTHORITY\SYSTEM`, Groups: []string{sidAdministrators, sidEveryone}, Elevated: true, PID: 4}
	tokElevatedAdmin = Token{User: sidUser, Account: `PC\ana`, Groups: []string{sidEveryone, sidUsers, sidAdministrators}, Elevated: true, PID: 100}
	// A non-elevated administrator's filtered token: BUILTIN\Administrators
	// is deny-only, so readToken leaves it out.
	tokFilteredAdmin = Token{User: sidUser, Account: `PC\ana`, Groups: []string{sidEveryone, sidUsers}, PID: 101}
	// An odd token: Administrators enabled but not elevated.
	tokAdminNotElevated = Token{User: sidUser, Groups: []string{sidAdministrators}, PID: 102}
	tokMember           = Token{User: "S-1-5-21-1004336348-1177238915-682003330-1002", Account: `PC\bo`, Groups: []string{sidEveryone, sidUsers, testGroupSID}, PID: 200}
	tokStranger         = Token{User: "S-1-5-21-1004336348-1177238915-682003330-1003", Account: `PC\cy`, Groups: []string{sidEveryone, sidUsers}, PID: 300}
	// A member of a group whose SID ends like ours, and a service account.
	tokLookalike      = Token{User: "S-1-5-21-9-9-9-1004", Groups: []string{"S-1-5-21-9-9-9-1010"}, PID: 301}
	tokNetworkService = Token{User: "S-1-5-20", Groups: []string{sidEveryone}, PID: 302}
)

func TestTokenVerdict(t *testing.T) {
	lookupErr := errors.New("none mapped")
	tests := []struct {
		name     string
		tok      Token
		groupSID string
		groupErr error
		allowed  bool
		reason   string
	}{
		{"LocalSystem", tokSystem, testGroupSID, nil, true, ""},
		{"LocalSystem without the group", tokSystem, "", lookupErr, true, ""},
		{"elevated administrator", tokElevatedAdmin, "", lookupErr, true, ""},
		{"administrator, not elevated", tokFilteredAdmin, testGroupSID, nil, false, "not an elevated administrator and not in group wgdesk"},
		{"administrators enabled, not elevated", tokAdminNotElevated, testGroupSID, nil, false, "an administrator whose token is not elevated"},
		{"member", tokMember, testGroupSID, nil, true, ""},
		{"member, group gone", tokMember, "", lookupErr, false, "look up group wgdesk: none mapped"},
		{"stranger", tokStranger, testGroupSID, nil, false, "not in group wgdesk"},
		{"lookalike group", tokLookalike, testGroupSID, nil, false, "not in group wgdesk"},
		{"network service", tokNetworkService, testGroupSID, nil, false, "not LocalSystem"},
		{"no user", Token{Groups: []string{testGroupSID}}, testGroupSID, nil, false, "names no user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, reason := tokenVerdict(tt.tok, Group, tt.groupSID, tt.groupErr)
			if ok != tt.allowed || !strings.Contains(reason, tt.reason) || (ok && reason != "") {
				t.Fatalf("verdict %v %q, want %v with %q", ok, reason, tt.allowed, tt.reason)
			}
		})
	}
}

// tokenAccess is the Windows rule with a fixed caller and group.
func tokenAccess(tok Token, tokErr error, groupSID string, groupErr error, lookups *int) *Access {
	return &Access{
		PeerToken: func(net.Conn) (Token, error) { return tok, tokErr },
		LookupGroupSID: func(name string) (string, error) {
			*lookups++
			if name != Group {
				return "", errors.New("unexpected group " + name)
			}
			return groupSID, groupErr
		},
	}
}

// The token rule end to end through the server: who gets in, who gets
// permission_denied, what the log says about the refused.
func TestAccessByToken(t *testing.T) {
	tests := []struct {
		name     string
		tok      Token
		tokErr   error
		groupErr error
		allowed  bool
		lookup   bool // the group must be looked up
		log      string
	}{
		{"LocalSystem", tokSystem, nil, nil, true, false, ""},
		{"elevated administrator", tokElevatedAdmin, nil, nil, true, false, ""},
		{"member", tokMember, nil, nil, true, true, ""},
		{"filtered administrator", tokFilteredAdmin, nil, nil, false, true, `from user PC\ana (` + sidUser + `) pid 101: not LocalSystem`},
		{"stranger", tokStranger, nil, nil, false, true, `PC\cy`},
		{"member, group lookup fails", tokMember, nil, errors.New("none mapped"), false, true, "look up group wgdesk: none mapped"},
		{"token unreadable", Token{PID: 77}, errors.New("access is denied"), nil, false, false, "from unknown user pid 77: read the caller's token: access is denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookups := 0
			ts := startServer(t, apitest.New(), tokenAccess(tt.tok, tt.tokErr, testGroupSID, tt.groupErr, &lookups))
			ctx := context.Background()
			_, err := ts.client.List(ctx)
			if tt.allowed != (err == nil) {
				t.Fatalf("list: %v, want allowed %v", err, tt.allowed)
			}
			if tt.lookup != (lookups > 0) {
				t.Errorf("group looked up %d times, want a lookup: %v", lookups, tt.lookup)
			}
			if tt.allowed {
				return
			}
			if !IsCode(err, CodePermissionDenied) {
				t.Fatalf("refused caller got %v, want permission_denied", err)
			}
			if _, err := ts.client.Config(ctx, "x"); !IsCode(err, CodePermissionDenied) {
				t.Fatalf("config: %v", err)
			}
			if _, err := ts.client.Version(ctx); err != nil {
				t.Fatalf("version refused: %v", err)
			}
			if !strings.Contains(ts.log.String(), tt.log) {
				t.Fatalf("the log lacks %q:\n%s", tt.log, ts.log.String())
			}
		})
	}
}

// A PeerToken seam wins over PeerCred: a Windows-style refusal is not
// turned into a uid 0 admission by a zero Cred.
func TestTokenRuleWinsOverCred(t *testing.T) {
	lookups := 0
	a := tokenAccess(tokStranger, nil, testGroupSID, nil, &lookups)
	a.PeerCred = func(net.Conn) (Cred, error) { return Cred{UID: 0}, nil }
	if c := a.check(nil); c.allowed {
		t.Fatal("a stranger's token was allowed because of a root Cred")
	}
}

func TestTokenString(t *testing.T) {
	if got := tokMember.String(); got != `user PC\bo (S-1-5-21-1004336348-1177238915-682003330-1002) pid 200` {
		t.Errorf("String() = %q", got)
	}
	if got := (Token{User: sidLocalSystem}).String(); got != "user S-1-5-18" {
		t.Errorf("String() = %q", got)
	}
	if got := (Token{PID: 9}).String(); got != "unknown user pid 9" {
		t.Errorf("String() = %q", got)
	}
}
