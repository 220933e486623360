package main

import (
	"os/exec"
	"syscall"
	"time"
)

// ownGroup puts cmd into a process group of its own and makes its
// context's cancellation kill the whole group: Wine's loader and
// test2json start children that would outlive a killed parent.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 5 * time.Second
}

// stopGroup ends a started command's process group: SIGTERM, then SIGKILL
// after grace.
func stopGroup(cmd *exec.Cmd, done <-chan struct{}, grace time.Duration) {
	syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}
