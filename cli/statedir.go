package cli

import (
	"fmt"
	"strings"
)

// stateDirFaults are the operating systems' words for a file system that
// cannot be written: Linux's and macOS's strerror texts of EROFS and
// ENOSPC, and Windows's texts of ERROR_WRITE_PROTECT, ERROR_DISK_FULL
// and ERROR_HANDLE_DISK_FULL. The service's error crosses the local API
// as text, so the CLI recognises it by them.
var stateDirFaults = []struct{ text, state, fix string }{
	{"read-only file system", "read-only", "remount it read-write"},
	{"the media is write protected", "read-only", "make it writable"},
	{"no space left on device", "full", "free some space on it"},
	{"there is not enough space on the disk", "full", "free some space on it"},
	{"the disk is full", "full", "free some space on it"},
}

// stateDirSubdirs are the directories the service keeps inside its state
// directory (tunnel/store.go, platform/journal.go): a path through one of
// them names the state directory before it.
var stateDirSubdirs = []string{"tunnels", "platform"}

// stateDirProblem turns an error the service met writing its state
// directory (read-only or full) into sentences that say what happened and
// what to do; ok is false for any other error.
func stateDirProblem(msg string) (text string, ok bool) {
	lower := strings.ToLower(msg)
	for _, f := range stateDirFaults {
		if !strings.Contains(lower, f.text) {
			continue
		}
		// Only the state directory's own paths and records count: a
		// read-only /etc/resolv.conf is another problem.
		d, inside := stateDirIn(msg)
		if !inside && !strings.Contains(lower, "state directory") && !strings.Contains(lower, "journal") {
			return "", false
		}
		dir := "The state directory"
		if d != "" {
			dir += " " + d
		}
		what := "so it made no change"
		if name, ok := upName(msg); ok {
			what = "so it did not bring " + name + " up"
		}
		return fmt.Sprintf("%s is %s: wgdesk cannot record what it changes, %s. %s, then try again.",
			dir, f.state, what, strings.ToUpper(f.fix[:1])+f.fix[1:]), true
	}
	return "", false
}

// stateDirIn returns the state directory that the first absolute path in
// msg lies in, or "" when msg names none; inside says that the path runs
// through one of the service's subdirectories. A path without one is
// returned as it is (creating or securing the state directory itself).
// A path runs to the ": " after it, as Go's file errors put it, so a
// folder with spaces (macOS's /Library/Application Support) stays whole.
func stateDirIn(msg string) (dir string, inside bool) {
	for i, word := range strings.Fields(msg) {
		if !strings.HasPrefix(word, "/") && !(len(word) > 2 && word[1] == ':' && word[2] == '\\') {
			continue
		}
		p := strings.TrimRight(word, ":,;")
		rest := strings.Join(strings.Fields(msg)[i:], " ")
		if full, _, ok := strings.Cut(rest, ": "); ok && strings.Contains(full, " ") {
			p = full
		}
		sep := "/"
		if !strings.HasPrefix(p, "/") {
			sep = `\`
		}
		parts := strings.Split(p, sep)
		for i := len(parts) - 1; i > 0; i-- {
			for _, sub := range stateDirSubdirs {
				if parts[i] == sub {
					return strings.Join(parts[:i], sep), true
				}
			}
		}
		return p, false
	}
	return "", false
}

// upName returns the tunnel of a failed up ("up NAME: step: ...").
func upName(msg string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, "up ")
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, ":")
	if !ok || name == "" || strings.ContainsAny(name, " /\\") {
		return "", false
	}
	return name, true
}
