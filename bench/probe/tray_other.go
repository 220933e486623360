//go:build !linux

package main

import "syscall"

// busProcAttr: only Linux has a parent-death signal; the bench runs there.
func busProcAttr() *syscall.SysProcAttr { return nil }
