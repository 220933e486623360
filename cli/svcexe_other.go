//go:build !darwin

package cli

// serviceExe is the program `service install` registers: this one. The
// Linux packages and `make run` register the pure-Go build themselves,
// and Windows ships one exe.
func serviceExe(exe string) string { return exe }
