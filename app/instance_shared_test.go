//go:build cgo

package app

import (
	"testing"
	"time"
)

// showCounter counts the calls of an onShow callback on a channel.
func showCounter() (func(), chan struct{}) {
	ch := make(chan struct{}, 16)
	return func() { ch <- struct{}{} }, ch
}

// waitShow waits until the first instance has been asked to show.
func waitShow(t *testing.T, ch chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitTimeout): // guards a hung test only
		t.Fatal("the first instance was not asked to show")
	}
}
