// Package windows holds what makes wgdesk a Windows product rather than a
// cross-compiled binary: the exe's resources (winres/winres.json: icon,
// manifest and version, turned into a .syso by go-winres at build time),
// the MSI's WiX source (wgdesk.wxs, built on Linux by wixl) and the tests
// that check both artefacts, the exe through its resource section and the
// MSI through its database tables.
package windows
