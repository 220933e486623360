package api

import "github.com/wgdesk/wgdesk/internal/hints"

// accessHint is what a refused caller is told to do, in this OS's words.
var accessHint = hints.Current().Access

// startHint is what a client says when no service answers, in this OS's
// words.
var startHint = hints.Current().Start
