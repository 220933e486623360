package platform

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// netstatRunner answers netstat -rn -f FAMILY with canned output.
type netstatRunner map[string]string

func (r netstatRunner) run(_ context.Context, name string, args ...string) ([]byte, error) {
	if name != "netstat" || len(args) != 3 {
		return nil, fmt.Errorf("unexpected command %s %v", name, args)
	}
	return []byte(r[args[2]]), nil
}

// Output of a MacBook on a café's Wi-Fi with another VPN's utun up, as
// macOS 14 prints it.
const macNetstat4 = `Routing tables

Internet:
Destination        Gateway            Flags               Netif Expire
default            192.168.88.1       UGScg                 en0
10.20              link#21            UCS                 utun4
127                127.0.0.1          UCS                   lo0
127.0.0.1          127.0.0.1          UH                    lo0
169.254            link#6             UCS                   en0      !
192.168.88         link#6             UCS                   en0      !
192.168.88.1/32    link#6             UCS                   en0      !
192.168.88.1       aa:bb:cc:dd:ee:ff  UHLWIir               en0   1187
192.168.88.23/32   link#6             UCS                   en0      !
172.20.16/20       link#8             UCS                   en5      !
203.0.113.0/25     192.168.88.7       UGSc                  en0
224.0.0/4          link#6             UmCS                  en0      !
255.255.255.255/32 link#6             UCS                   en0      !
`

const macNetstat6 = `Routing tables

Internet6:
Destination                             Gateway                                 Flags               Netif Expire
default                                 fe80::%utun0                            UGcIg               utun0
::1                                     ::1                                     UHL                   lo0
fd00:88::/64                            link#6                                  UC                    en0
fd00:88::1c2a:7bff:fe11:2233            aa:bb:cc:dd:ee:ff                       UHLWIi                en0
fe80::%lo0/64                           fe80::1%lo0                             UcI                   lo0
fe80::%en0/64                           link#6                                  UCI                   en0
ff00::/8                                link#6                                  UmCI                  en0
`

func TestMacConnectedSubnets(t *testing.T) {
	n := newMacNetwork(Options{StateDir: t.TempDir()}, netstatRunner{"inet": macNetstat4, "inet6": macNetstat6})
	got, err := ConnectedSubnetsOf(n)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, l := range got {
		fmt.Fprintf(&b, "%s %s\n", l.Prefix, l.Interface)
	}
	want := "169.254.0.0/16 en0\n172.20.16.0/20 en5\n192.168.88.0/24 en0\nfd00:88::/64 en0\nfe80::/64 en0\n"
	if b.String() != want {
		t.Errorf("ConnectedSubnets:\n%s\nwant\n%s", b.String(), want)
	}
}
