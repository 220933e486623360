package api

// defaultAlsoGroups: on macOS the administrators (group admin, gid 80) are
// members of the service without joining wgdesk. The first account of
// every Mac is an administrator, so the app works as soon as the package
// is installed; they can become root in any case, so this gives them nothing
// they could not take. They are members, not administrators: another
// user's tunnels and keys stay out of their reach through the API.
var defaultAlsoGroups = []string{"admin"}
