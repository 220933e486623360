package netlab

// Addresses of the café network Lab.AddCafe puts on the
// client's uplink, beside the router: the hotel Wi-Fi a road warrior turns
// a full tunnel on in. They stay inside the lab's namespaces like the rest.
const (
	// CafeResolver is the café's DNS server, in the client's directly
	// connected uplink subnet: it answers DNS over UDP and TCP on port 53
	// and DNS over TCP framing on 853 (no TLS: the leak tests only ask
	// whether a query gets through).
	CafeResolver = "198.51.100.53"
	// Printer is a printer on the café's LAN, in the client's directly
	// connected subnet, listening on PrinterPort.
	Printer     = "198.51.100.9"
	PrinterPort = 9100
	// UplinkServer6 and UplinkClient6 are the uplink's IPv6 addresses
	// (UplinkPrefix6); the client's IPv6 default route points at the
	// server's.
	UplinkServer6 = "2001:db8:51::1"
	UplinkClient6 = "2001:db8:51::2"
	UplinkPrefix6 = "2001:db8:51::/64"
	// UplinkPrefix4 is the client's directly connected IPv4 subnet.
	UplinkPrefix4 = "198.51.100.0/24"
	// Internet4 and Internet6 are hosts on the internet beyond the café,
	// reached through the client's default routes: not on the LAN.
	Internet4 = "192.0.2.80"
	Internet6 = "2001:db8:77::80"
	// WebPort is where Internet4, Internet6 and UplinkServer6 listen;
	// Internet4 listens on WebPort2 too, so that two probes of it are
	// told apart in a capture.
	WebPort  = 80
	WebPort2 = 443
	// CanaryPort is where a Capture sends its canaries to the client.
	CanaryPort = 9
)
