package netlab

// Addresses used only inside the namespaces a lab creates: the veth
// between client and server stands for the internet, addresses on the
// server namespace's loopback for the office LAN behind the router. They
// come from the documentation and unique-local ranges, so they can clash
// with nothing real.
const (
	UplinkServer = "198.51.100.1"
	UplinkClient = "198.51.100.2"
	ServerPort   = 51820
	TunServer4   = "10.66.0.1"
	TunClient4   = "10.66.0.2"
	TunServer6   = "fd42:66::1"
	TunClient6   = "fd42:66::2"
	OfficeLAN4   = "203.0.113.10"
	OfficeLAN6   = "2001:db8:99::10"
	// OfficeName is the one name the lab's DNS server knows: it resolves
	// to OfficeLAN4.
	OfficeName = "office.home.lan"
)
