//go:build !linux

package main

import (
	"fmt"
	"os"
)

// main says where stage runs: it makes the files of the Linux packages,
// on Linux (make package).
func main() {
	fmt.Fprintln(os.Stderr, "stage makes the Linux packages' files, on Linux only")
	os.Exit(2)
}
