package platform

// DNS on macOS, as wg-quick's darwin.bash does it: the tunnel's servers and
// search domains are set on every network service with networksetup(8),
// after each service's own values were read and journaled, and those are
// set back on removal ("Empty" when the service had none of its own, which
// hands it back to DHCP).
//
// The alternative, a State:/Network/Service/<id>/DNS key written with
// scutil(8), leaves the user's settings untouched and goes away with a
// single remove, but whether configd makes it the default resolver depends
// on service order and undocumented behaviour; networksetup's effect is
// what System Settings shows, and restoring the recorded values is exact.

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

func (n *macNetwork) listServices(ctx context.Context) ([]string, error) {
	out, err := n.run.run(ctx, "networksetup", "-listallnetworkservices")
	if err != nil {
		return nil, err
	}
	return parseMacServices(out)
}

// readServiceDNS reads a service's own servers and search domains.
func (n *macNetwork) readServiceDNS(ctx context.Context, service string) (macServiceDNS, error) {
	s := macServiceDNS{Name: service}
	out, err := n.run.run(ctx, "networksetup", "-getdnsservers", service)
	if err == nil {
		s.Servers, err = parseMacDNSList(out, true)
	}
	if err != nil {
		return s, fmt.Errorf("read dns servers of %q: %w", service, err)
	}
	out, err = n.run.run(ctx, "networksetup", "-getsearchdomains", service)
	if err == nil {
		s.Search, err = parseMacDNSList(out, false)
	}
	if err != nil {
		return s, fmt.Errorf("read search domains of %q: %w", service, err)
	}
	return s, nil
}

// setServiceDNS sets servers and search domains of a service; an empty
// list is networksetup's "Empty".
func (n *macNetwork) setServiceDNS(ctx context.Context, service string, servers, search []string) error {
	for _, c := range []struct {
		flag string
		vals []string
	}{{"-setdnsservers", servers}, {"-setsearchdomains", search}} {
		vals := c.vals
		if len(vals) == 0 {
			vals = []string{"Empty"}
		}
		args := append([]string{c.flag, service}, vals...)
		n.logf("networksetup %q", args)
		out, err := n.run.run(ctx, "networksetup", args...)
		if err == nil {
			err = checkNetworksetup(out)
		}
		if err != nil {
			return fmt.Errorf("%s %q: %w", c.flag, service, err)
		}
	}
	return nil
}

// setDNS makes every network service use want. Services it has not seen
// before (the first call, or a service added since) have their own values
// read and journaled in have.DNS before anything is changed. Calling it
// again with the same want and no new service changes nothing.
func (n *macNetwork) setDNS(ctx context.Context, have *macEntry, want DNSPlan) error {
	services, err := n.listServices(ctx)
	if err != nil {
		return fmt.Errorf("list network services: %w", err)
	}
	rec := have.DNS
	if rec == nil {
		rec = &macDNSRecord{}
	}
	var fresh []macServiceDNS
	for _, s := range services {
		if _, ok := rec.service(s); ok {
			continue
		}
		if orig, ok := n.otherOriginal(have.Interface, s); ok {
			// Another tunnel set this service's DNS: what it holds now is
			// that tunnel's, the user's own values are in its record.
			fresh = append(fresh, orig)
			continue
		}
		orig, err := n.readServiceDNS(ctx, s)
		if err != nil {
			return err
		}
		fresh = append(fresh, orig)
	}
	if have.DNS == nil || len(fresh) > 0 {
		next := *rec
		next.Services = append(slices.Clone(rec.Services), fresh...)
		have.DNS = &next
		if err := n.journal.saveMac(have); err != nil {
			return fmt.Errorf("journal %s: %w", have.Interface, err)
		}
		rec = have.DNS
	}

	same := slices.Equal(rec.Servers, want.Servers) && slices.Equal(rec.Search, want.Search)
	target := &macDNSRecord{Servers: want.Servers, Search: want.Search}
	for _, s := range services {
		if same && !slices.ContainsFunc(fresh, func(f macServiceDNS) bool { return f.Name == s }) {
			continue
		}
		orig, _ := rec.service(s)
		servers, search := target.valuesFor(orig)
		if err := n.setServiceDNS(ctx, s, servers, search); err != nil {
			return err
		}
	}
	rec.Servers = slices.Clone(want.Servers)
	rec.Search = slices.Clone(want.Search)
	return nil
}

// otherDNS returns the DNS record of another interface that still has
// its DNS set, the one with the greatest name when there are several.
func (n *macNetwork) otherDNS(ifname string) (string, *macDNSRecord) {
	var name string
	var rec *macDNSRecord
	for other, e := range n.owned {
		if other != ifname && e.DNS != nil && other > name {
			name, rec = other, e.DNS
		}
	}
	return name, rec
}

// otherOriginal returns a service's own values as another interface
// recorded them.
func (n *macNetwork) otherOriginal(ifname, service string) (macServiceDNS, bool) {
	if _, rec := n.otherDNS(ifname); rec != nil {
		return rec.service(service)
	}
	return macServiceDNS{}, false
}

// restoreDNS undoes ifname's DNS: every recorded service gets its own
// values back, or, while another tunnel wants DNS, that tunnel's values
// (its record holds the same originals, for later). Services that no
// longer exist are skipped. It may run again after a failure.
func (n *macNetwork) restoreDNS(ctx context.Context, ifname string, rec *macDNSRecord) error {
	services, err := n.listServices(ctx)
	if err != nil {
		return fmt.Errorf("list network services: %w", err)
	}
	otherName, other := n.otherDNS(ifname)
	if other != nil {
		n.logf("dns of %s goes back to %s, still up", ifname, otherName)
	}
	var errs []error
	for _, s := range rec.Services {
		if !slices.Contains(services, s.Name) {
			n.logf("network service %q is gone; nothing to restore", s.Name)
			continue
		}
		servers, search := s.Servers, s.Search
		if other != nil {
			if _, known := other.service(s.Name); known {
				servers, search = other.valuesFor(s)
			}
		}
		if err := n.setServiceDNS(ctx, s.Name, servers, search); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// valuesFor is what a tunnel with record r sets on a service whose own
// values are orig: its servers (or the service's own, when it gives search
// domains only) and its search domains.
func (r *macDNSRecord) valuesFor(orig macServiceDNS) (servers, search []string) {
	for _, a := range r.Servers {
		servers = append(servers, a.String())
	}
	if len(servers) == 0 {
		servers = orig.Servers
	}
	return servers, r.Search
}
