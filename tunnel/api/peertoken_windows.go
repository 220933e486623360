package api

import (
	"errors"
	"fmt"
	"net"

	"golang.org/x/sys/windows"
)

// tokenCallers is true where callers are known by access tokens, not by
// uid and gid.
const tokenCallers = true

// peerTokenOS reads the access token of the process at the client end of
// a pipe connection: GetNamedPipeClientProcessId, then that process's
// primary token. (Impersonating the client would not work: namedpipe's
// dialer connects with SECURITY_ANONYMOUS.) The pipe's DACL has already
// kept out everyone but SYSTEM, administrators and the group; this is the
// second gate. Any failure refuses the caller.
func peerTokenOS(c net.Conn) (Token, error) {
	hc, ok := c.(interface{ Handle() windows.Handle })
	if !ok {
		return Token{}, fmt.Errorf("not a named pipe: %T", c)
	}
	var pid uint32
	if err := windows.GetNamedPipeClientProcessId(hc.Handle(), &pid); err != nil {
		return Token{}, fmt.Errorf("get the pipe client's process id: %w", err)
	}
	tok := Token{PID: pid}
	proc, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return tok, fmt.Errorf("open process %d: %w", pid, err)
	}
	defer windows.CloseHandle(proc)
	var t windows.Token
	if err := windows.OpenProcessToken(proc, windows.TOKEN_QUERY, &t); err != nil {
		return tok, fmt.Errorf("open the token of process %d: %w", pid, err)
	}
	defer t.Close()
	return readToken(t, pid)
}

// readToken turns a token into the facts tokenVerdict decides on.
func readToken(t windows.Token, pid uint32) (Token, error) {
	tok := Token{PID: pid}
	u, err := t.GetTokenUser()
	if err != nil {
		return tok, fmt.Errorf("read the token's user: %w", err)
	}
	tok.User = u.User.Sid.String()
	if account, domain, _, err := u.User.Sid.LookupAccount(""); err == nil {
		tok.Account = domain + `\` + account
	}
	groups, err := t.GetTokenGroups()
	if err != nil {
		return tok, fmt.Errorf("read the token's groups: %w", err)
	}
	for _, g := range groups.AllGroups() {
		if g.Attributes&windows.SE_GROUP_ENABLED == 0 || g.Attributes&windows.SE_GROUP_USE_FOR_DENY_ONLY != 0 {
			continue
		}
		tok.Groups = append(tok.Groups, g.Sid.String())
	}
	tok.Elevated = t.IsElevated()
	return tok, nil
}

// lookupGroupSIDOS finds the SID of a local group of this computer. The
// name is qualified with the computer's name so that a domain group of the
// same name never counts, and the account must be a group, not a user.
func lookupGroupSIDOS(name string) (string, error) {
	computer, err := windows.ComputerName()
	if err != nil {
		return "", fmt.Errorf("get the computer name: %w", err)
	}
	sid, _, accType, err := windows.LookupSID("", computer+`\`+name)
	if err != nil {
		return "", err
	}
	if accType != windows.SidTypeAlias && accType != windows.SidTypeGroup {
		return "", errors.New(name + " is not a group")
	}
	return sid.String(), nil
}
