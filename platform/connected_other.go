//go:build !linux && !darwin

package platform

import (
	"errors"

	"github.com/wgdesk/wgdesk/config"
)

// ConnectedSubnets is not implemented here without a Network; the service's
// Network may still list them (ConnectedSubnetsOf; Windows does).
func ConnectedSubnets() ([]config.LocalSubnet, error) {
	return nil, errors.ErrUnsupported
}
