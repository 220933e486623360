//go:build !cgo

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "fyneref: built without cgo; Fyne needs cgo (CGO_ENABLED=1)")
	os.Exit(1)
}
