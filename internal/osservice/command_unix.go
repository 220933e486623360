//go:build !windows

package osservice

import (
	"bytes"
	"errors"
	"os/exec"
)

// runCommand runs name and returns what it printed and its exit code: the
// standard output, and the standard error after it when the command
// fails. err is for a command that could not run at all.
func runCommand(name string, args ...string) (string, int, error) {
	var out, errb bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String() + errb.String(), ee.ExitCode(), nil
	}
	return out.String(), 0, err
}
