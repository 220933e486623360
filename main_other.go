//go:build !windows

package main

// attachConsole is a Windows concern (main_windows.go): elsewhere every
// program keeps the terminal it was started from.
func attachConsole(args []string) {}
