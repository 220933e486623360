package platform

import (
	"context"
	"errors"
	"fmt"
)

// unsupported is the Network of an OS whose implementation is not written:
// every call fails with an error wrapping errors.ErrUnsupported.
type unsupported struct {
	os string
}

func (u unsupported) Apply(ctx context.Context, ifname string, s Settings) error {
	if s.IsZero() {
		return nil // nothing was ever applied, so nothing is left to remove
	}
	return fmt.Errorf("apply network settings to %s on %s: %w", ifname, u.os, errors.ErrUnsupported)
}

func (u unsupported) Recover(ctx context.Context) error {
	return fmt.Errorf("recover network settings on %s: %w", u.os, errors.ErrUnsupported)
}
