package api

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// pipePrefix starts every local named pipe path on Windows.
const pipePrefix = `\\.\pipe\`

// defaultPipe is DefaultSocket on Windows.
const defaultPipe = pipePrefix + "wgdesk"

// maxPipeBase bounds the readable part of a derived pipe name, far below
// the 256 characters Windows allows.
const maxPipeBase = 64

// pipePath maps a --socket value to the named pipe the Windows service
// listens on and its clients dial:
//
//   - a local pipe path (`\\.\pipe\NAME`, either slash, any case) is used as
//     it is, with forward slashes turned into backslashes;
//   - anything else (a file path such as C:\temp\test.sock, the Unix default
//     /run/wgdesk/wgdesk.sock, or a remote pipe \\host\pipe\x) becomes
//     `\\.\pipe\wgdesk-BASE-HASH`: BASE is the last element of the path
//     without its extension (at most 64 bytes), HASH the first 8 hex digits of the SHA-256 of
//     the whole value with forward slashes as backslashes, in lower case.
//
// Windows compares pipe names without case, and so does the hash, so a
// client and a service given the same path in different spellings meet on
// one pipe. Remote pipes are never dialled: the API is local only.
func pipePath(socket string) string {
	s := strings.ReplaceAll(socket, "/", `\`)
	if len(s) > len(pipePrefix) && strings.EqualFold(s[:len(pipePrefix)], pipePrefix) {
		return pipePrefix + s[len(pipePrefix):]
	}
	sum := sha256.Sum256([]byte(strings.ToLower(s)))
	base := s[strings.LastIndex(s, `\`)+1:]
	if i := strings.LastIndex(base, "."); i > 0 {
		base = base[:i]
	}
	if len(base) > maxPipeBase {
		base = base[:maxPipeBase]
	}
	name := "wgdesk"
	if base != "" {
		name += "-" + base
	}
	return pipePrefix + name + "-" + hex.EncodeToString(sum[:4])
}
