package tunnel

import (
	"golang.zx2c4.com/wireguard/windows/tunnel/winipcfg"
)

// interfaceName picks the Wintun adapter name for a tunnel; see
// adapterName. The adapters come from the table the platform looks the
// name up in (GetIfTable2Ex), without case as the platform compares them;
// net.InterfaceByName, behind taken, compares with case.
func interfaceName(tunnel string, taken func(string) bool) string {
	aliases, err := adapterAliases()
	return adapterName(tunnel, taken, aliases, err)
}

// adapterAliases lists the names of every adapter Windows has.
func adapterAliases() ([]string, error) {
	rows, err := winipcfg.GetIfTable2Ex(winipcfg.MibIfEntryNormal)
	if err != nil {
		return nil, err
	}
	aliases := make([]string, 0, len(rows))
	for i := range rows {
		aliases = append(aliases, rows[i].Alias())
	}
	return aliases, nil
}
