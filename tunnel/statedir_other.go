//go:build !darwin

package tunnel

// DefaultStateDir is where the service keeps its tunnels and journal (the
// Windows service is given %ProgramData%\wgdesk by cli instead).
const DefaultStateDir = "/var/lib/wgdesk"
