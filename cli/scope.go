package cli

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/wgdesk/wgdesk/config"
)

// parseScopeFlags reads import's --scope and --networks: scope "" (ask
// nothing, keep the config) or one of config.ParseScope's; networks only
// with --scope router, comma or space separated prefixes.
func parseScopeFlags(scope, networks string) (config.Scope, []netip.Prefix, error) {
	if scope == "" {
		if networks != "" {
			return "", nil, fmt.Errorf("--networks needs --scope router")
		}
		return "", nil, nil
	}
	s, err := config.ParseScope(scope)
	if err != nil {
		return "", nil, fmt.Errorf("--scope: %w", err)
	}
	if networks != "" && s != config.ScopeRouter {
		return "", nil, fmt.Errorf("--networks needs --scope router")
	}
	var nets []netip.Prefix
	for _, f := range strings.FieldsFunc(networks, func(r rune) bool { return r == ',' || r == ' ' }) {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return "", nil, fmt.Errorf("--networks: %q is not a network such as 192.168.88.0/24", f)
		}
		nets = append(nets, p)
	}
	return s, nets, nil
}

// applyScope rewrites a full tunnel's AllowedIPs for scope before the
// import; router without networks takes config.RouterSuggestion.
func applyScope(c *config.Config, s config.Scope, nets []netip.Prefix) error {
	if s == config.ScopeRouter && len(nets) == 0 {
		if nets = config.RouterSuggestion(c); len(nets) == 0 {
			return fmt.Errorf("no private DNS server or address in the config to guess the router's networks from; name them with --networks")
		}
	}
	return config.SetScope(c, s, nets)
}
