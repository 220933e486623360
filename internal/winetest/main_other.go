//go:build !linux

package main

import (
	"fmt"
	"os"
)

// main says where winetest runs: it drives Wine, Xvfb and MinGW, which it
// finds on Debian (see README.md beside this file).
func main() {
	fmt.Fprintln(os.Stderr, "winetest runs the Windows build under Wine on Linux only")
	os.Exit(2)
}
