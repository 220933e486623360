package tunnel

// DefaultStateDir is where the service keeps its tunnels and journal: the
// machine's Application Support folder, where macOS daemons keep their
// data (the root volume is read-only since macOS 10.15, and /var/lib is
// not a macOS folder). The name has a space: every command line that
// names it quotes it.
const DefaultStateDir = "/Library/Application Support/wgdesk"
