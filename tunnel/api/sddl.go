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

// Access rights on a named pipe
// (https://learn.microsoft.com/windows/win32/ipc/named-pipe-security-and-access-rights).
// FILE_CREATE_PIPE_INSTANCE has the value of FILE_APPEND_DATA, so
// GENERIC_WRITE ("GW" in SDDL) includes it: whoever holds it may create
// instances of the pipe and answer the next client in the service's place.
const (
	fileReadData           = 0x0001
	fileWriteData          = 0x0002
	fileCreatePipeInstance = 0x0004
	fileReadEA             = 0x0008
	fileWriteEA            = 0x0010
	fileReadAttributes     = 0x0080
	fileWriteAttributes    = 0x0100
	readControl            = 0x00020000
	synchronize            = 0x00100000

	// pipeMemberAccess is what members of the group wgdesk get, and all a
	// client asks for when it dials (dialService): FILE_GENERIC_READ and
	// FILE_GENERIC_WRITE without FILE_CREATE_PIPE_INSTANCE, 0x12019B.
	// READ_CONTROL stays: the client reads the pipe's owner with it.
	pipeMemberAccess = synchronize | readControl | fileReadData | fileWriteData |
		fileReadEA | fileWriteEA | fileReadAttributes | fileWriteAttributes
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
// Members get pipeMemberAccess, not GRGW: generic write includes
// FILE_CREATE_PIPE_INSTANCE, with which a member could add an instance of
// the pipe and answer other callers (root's imports carry private keys) in
// the service's place.
func pipeSDDL(owner, groupSID string) (string, error) {
	if owner != "SY" && owner != "BA" {
		return "", fmt.Errorf("pipe owner %q: want SY or BA", owner)
	}
	sddl := "O:" + owner + "D:P(A;;GA;;;SY)(A;;GA;;;BA)"
	if groupSID != "" {
		if !sidString.MatchString(groupSID) {
			return "", fmt.Errorf("group %s has a malformed sid %q", Group, groupSID)
		}
		sddl += fmt.Sprintf("(A;;0x%X;;;%s)", pipeMemberAccess, groupSID)
	}
	return sddl, nil
}
