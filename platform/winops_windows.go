package platform

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/sys/windows"
	"golang.zx2c4.com/wireguard/windows/tunnel/winipcfg"
)

// winIPHelper implements winOps with winipcfg, the IP Helper API
// (iphlpapi.dll) that wireguard-windows uses too.
type winIPHelper struct{}

func winAddressFamily(fam int) winipcfg.AddressFamily {
	if fam == 4 {
		return windows.AF_INET
	}
	return windows.AF_INET6
}

// mapWinErr wraps the IP Helper codes winNetwork cares about in the
// package's sentinels, keeping the original for the message.
func mapWinErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, windows.ERROR_OBJECT_ALREADY_EXISTS):
		return fmt.Errorf("%w: %w", errWinExists, err)
	case errors.Is(err, windows.ERROR_NOT_FOUND), errors.Is(err, windows.ERROR_FILE_NOT_FOUND):
		return fmt.Errorf("%w: %w", errWinNotFound, err)
	}
	return err
}

// interfaceLUID finds the adapter by its alias, the name Wintun gave it
// (wireguard-go's tun.CreateTUN names the adapter after the tunnel).
// Aliases are unique and compared without case on Windows.
func (winIPHelper) interfaceLUID(alias string) (uint64, error) {
	rows, err := winipcfg.GetIfTable2Ex(winipcfg.MibIfEntryNormal)
	if err != nil {
		return 0, fmt.Errorf("list interfaces: %w", err)
	}
	for i := range rows {
		if strings.EqualFold(rows[i].Alias(), alias) {
			return uint64(rows[i].InterfaceLUID), nil
		}
	}
	return 0, fmt.Errorf("interface %q: %w", alias, errWinNotFound)
}

func (winIPHelper) addAddress(luid uint64, p netip.Prefix) error {
	return mapWinErr(winipcfg.LUID(luid).AddIPAddress(p))
}

func (winIPHelper) deleteAddress(luid uint64, p netip.Prefix) error {
	return mapWinErr(winipcfg.LUID(luid).DeleteIPAddress(p))
}

func (winIPHelper) addRoute(luid uint64, dst netip.Prefix, nextHop netip.Addr) error {
	return mapWinErr(winipcfg.LUID(luid).AddRoute(dst, nextHop, 0))
}

func (winIPHelper) deleteRoute(luid uint64, dst netip.Prefix, nextHop netip.Addr) error {
	return mapWinErr(winipcfg.LUID(luid).DeleteRoute(dst, nextHop))
}

// setInterface also turns off router discovery and duplicate address
// detection on the tunnel, as wireguard-windows does: nothing answers them
// on a point-to-point tunnel, and DAD would delay the addresses.
func (winIPHelper) setInterface(luid uint64, fam int, mtu int, lowMetric bool) error {
	row, err := winipcfg.LUID(luid).IPInterface(winAddressFamily(fam))
	if err != nil {
		return mapWinErr(err)
	}
	row.RouterDiscoveryBehavior = winipcfg.RouterDiscoveryDisabled
	row.DadTransmits = 0
	row.ManagedAddressConfigurationSupported = false
	row.OtherStatefulConfigurationSupported = false
	if mtu > 0 {
		row.NLMTU = uint32(mtu)
	}
	if lowMetric {
		row.UseAutomaticMetric = false
		row.Metric = 0
	}
	return mapWinErr(row.Set())
}

func (winIPHelper) setDNS(luid uint64, fam int, servers []netip.Addr, search []string) error {
	return mapWinErr(winipcfg.LUID(luid).SetDNS(winAddressFamily(fam), servers, search))
}

func (winIPHelper) flushDNS(luid uint64, fam int) error {
	return mapWinErr(winipcfg.LUID(luid).FlushDNS(winAddressFamily(fam)))
}

// routes reads the forwarding table and adds each interface's metric, the
// sum Windows compares between routes of equal prefix length
// (https://learn.microsoft.com/en-us/troubleshoot/windows-server/networking/automatic-metric-for-ipv4-routes).
func (winIPHelper) routes(fam int) ([]winRoute, error) {
	af := winAddressFamily(fam)
	ifs, err := winipcfg.GetIPInterfaceTable(af)
	if err != nil {
		return nil, fmt.Errorf("list ip interfaces: %w", err)
	}
	type ifInfo struct {
		metric uint32
		mtu    uint32
	}
	connected := map[winipcfg.LUID]ifInfo{}
	for i := range ifs {
		if ifs[i].Connected {
			connected[ifs[i].InterfaceLUID] = ifInfo{metric: ifs[i].Metric, mtu: ifs[i].NLMTU}
		}
	}
	rows, err := winipcfg.GetIPForwardTable2(af)
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	var out []winRoute
	for i := range rows {
		r := &rows[i]
		info, ok := connected[r.InterfaceLUID]
		if !ok || r.Loopback {
			continue
		}
		out = append(out, winRoute{
			Prefix:  r.DestinationPrefix.Prefix(),
			LUID:    uint64(r.InterfaceLUID),
			NextHop: r.NextHop.Addr(),
			Metric:  uint64(r.Metric) + uint64(info.metric),
			MTU:     int(info.mtu),
		})
	}
	return out, nil
}
