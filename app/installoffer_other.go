//go:build cgo && !darwin

package app

// promptInstaller is nil: only macOS installs the service through an
// administrator prompt (installoffer_darwin.go).
func promptInstaller() ServiceInstaller { return nil }
