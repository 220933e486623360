package main

import "syscall"

// busProcAttr makes the kernel end the tray's dbus-daemon when the probe
// dies, even by SIGKILL, so no bus outlives a bench.
func busProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
