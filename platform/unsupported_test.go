package platform

import (
	"context"
	"errors"
	"testing"
)

func TestUnsupported(t *testing.T) {
	u := unsupported{os: "plan9"}
	err := u.Apply(context.Background(), "wg0", Settings{Addresses: prefixes("10.0.0.2/32")})
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Apply: got %v, want ErrUnsupported", err)
	}
	if err := u.Recover(context.Background()); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Recover: got %v, want ErrUnsupported", err)
	}
	if err := u.Apply(context.Background(), "wg0", Settings{}); err != nil {
		t.Errorf("removing nothing: %v", err)
	}
}
