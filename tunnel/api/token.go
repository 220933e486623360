package api

import (
	"fmt"
	"slices"
)

// Token is what Windows says about the process at the other end of a pipe
// connection, read from its access token.
type Token struct {
	// User is the SID of the token's user, e.g. S-1-5-18 for LocalSystem.
	User string
	// Account is DOMAIN\name of User for the log; "" if it did not resolve.
	Account string
	// Groups are the SIDs of the token's enabled groups. Groups that are
	// only used for deny entries, as BUILTIN\Administrators in the filtered
	// token of a non-elevated administrator, are left out.
	Groups []string
	// Elevated is the token's UAC elevation (TokenElevation).
	Elevated bool
	PID      uint32
}

func (t Token) String() string {
	who := "user " + t.User
	switch {
	case t.User == "":
		who = "unknown user"
	case t.Account != "":
		who = "user " + t.Account + " (" + t.User + ")"
	}
	if t.PID > 0 {
		return fmt.Sprintf("%s pid %d", who, t.PID)
	}
	return who
}

// tokenVerdict is the Windows access rule: LocalSystem, an administrator
// whose token is elevated, or a member of the local group named group,
// whose SID is groupSID ("" when the group does not exist). groupErr, when
// not nil, is why groupSID is empty; it only goes into the reason.
func tokenVerdict(t Token, group, groupSID string, groupErr error) (allowed bool, reason string) {
	switch {
	case t.User == "":
		return false, "the token names no user"
	case t.User == sidLocalSystem:
		return true, ""
	case slices.Contains(t.Groups, sidAdministrators) && t.Elevated:
		return true, ""
	case groupSID != "" && slices.Contains(t.Groups, groupSID):
		return true, ""
	}
	var why string
	if slices.Contains(t.Groups, sidAdministrators) {
		why = "an administrator whose token is not elevated"
	} else {
		why = "not LocalSystem and not an elevated administrator"
	}
	if groupErr != nil {
		return false, fmt.Sprintf("%s; look up group %s: %v", why, group, groupErr)
	}
	return false, why + " and not in group " + group
}
