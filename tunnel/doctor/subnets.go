package doctor

import (
	"context"

	"github.com/wgdesk/wgdesk/config"
	"github.com/wgdesk/wgdesk/platform"
)

// subnets is the Connected probe of every OS: the service's Network
// lists the connected subnets (platform.ConnectedSubnetsOf), the same
// list the collision warning at import and activation reads.
type subnets struct{ n platform.Network }

func (s subnets) Connected(ctx context.Context, skip string) ([]config.LocalSubnet, error) {
	var (
		all []config.LocalSubnet
		err error
	)
	if s.n != nil {
		all, err = platform.ConnectedSubnetsOf(s.n)
	} else {
		all, err = platform.ConnectedSubnets()
	}
	if err != nil {
		return nil, err
	}
	out := make([]config.LocalSubnet, 0, len(all))
	for _, l := range all {
		if l.Interface != skip || skip == "" {
			out = append(out, l)
		}
	}
	return out, nil
}
