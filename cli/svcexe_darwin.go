package cli

import "github.com/wgdesk/wgdesk/internal/macprompt"

// serviceExe is the program `service install` registers: on macOS the
// bundle's pure-Go wgdesk-service beside the app's binary when it is
// there, so that `wgdesk service install` typed by hand as root registers
// the same daemon as the .pkg and the app's prompt do, without AppKit
// and OpenGL in a root process.
var serviceExe = macprompt.ServiceExe
