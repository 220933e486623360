//go:build !darwin

package api

// defaultAlsoGroups: only the group wgdesk (and root) elsewhere. On Linux
// the administrators' group differs between distributions and membership
// of wgdesk is granted deliberately; on Windows the token rule decides (an
// elevated administrator is an administrator there).
var defaultAlsoGroups []string
