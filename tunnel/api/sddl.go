package api

import (
	"fmt"
	"regexp"
)

// Well-known SIDs the Windows access rules name.
const (
	sidLocalSystem    = "S-1-5-18"
	sidAdministrators = "S-1-5-32-544"
)

// sidString is the textual form of a SID; checking it keeps a looked-up
// value from adding entries of its own to an SDDL string.
var sidString = regexp.MustCompile(`^S-1(-[0-9]+){1,15}$`)

// pipeSDDL is the security descriptor of the service's named pipe, in SDDL
// (https://learn.microsoft.com/windows/win32/secauthz/security-descriptor-string-format).
// owner is "SY" when the service runs as LocalSystem, "BA" when an elevated
// administrator runs it: clients check the owner to tell the service from a
// program that took the name first. The DACL is protected (no inherited
// entries) and grants full access to LocalSystem and BUILTIN\Administrators
// and, when groupSID is not empty, read and write to the members of the
// local group wgdesk. There is no entry for Everyone, Users or anonymous
// logons, so nobody else can even open the pipe.
//
// Read and write is what a client asks for when it dials. It includes
// FILE_CREATE_PIPE_INSTANCE, so a member could add an instance of the pipe;
// members may already drive and export every tunnel, so that gives them
// nothing new.
func pipeSDDL(owner, groupSID string) (string, error) {
	if owner != "SY" && owner != "BA" {
		return "", fmt.Errorf("pipe owner %q: want SY or BA", owner)
	}
	sddl := "O:" + owner + "D:P(A;;GA;;;SY)(A;;GA;;;BA)"
	if groupSID != "" {
		if !sidString.MatchString(groupSID) {
			return "", fmt.Errorf("group %s has a malformed sid %q", Group, groupSID)
		}
		sddl += "(A;;GRGW;;;" + groupSID + ")"
	}
	return sddl, nil
}
