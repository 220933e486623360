//go:build !linux

package netlab

import "testing"

// Lab stands for a network lab, which only Linux has.
type Lab struct{}

// Options choose what a lab runs; see the Linux version.
type Options struct {
	Bin    string
	DNS    bool
	Socket string
}

// New skips the test: labs are made of Linux network namespaces.
func New(t testing.TB, opts Options) *Lab {
	t.Helper()
	t.Skip("network labs need Linux network namespaces")
	return nil
}
