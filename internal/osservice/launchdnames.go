package osservice

// The macOS service is a launch daemon in the system domain. Its label is
// the app's bundle ID (io.github.wgdesk.wgdesk in FyneApp.toml) with the
// role in place of the app's name, so the two never collide in launchd.
const (
	LaunchdLabel = "io.github.wgdesk.service"
	// LaunchdPlist is the daemon's property list; launchd loads every
	// file in /Library/LaunchDaemons at boot.
	LaunchdPlist = "/Library/LaunchDaemons/" + LaunchdLabel + ".plist"
	// LaunchdLog receives the service's standard output and error.
	LaunchdLog = "/var/log/wgdesk.log"
)
