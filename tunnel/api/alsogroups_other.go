//go:build !darwin

package api

// defaultAlsoGroups: only the group wgdesk (and root) elsewhere. On Linux
// the sudo group differs between distributions (sudo, wheel, admin) and
// membership is granted deliberately with usermod; on Windows the token
// rule decides (an elevated administrator is an administrator there).
var defaultAlsoGroups []string
