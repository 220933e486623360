// Package netlab is for tests only: it builds a small WireGuard network out
// of Linux network namespaces in which the real wgdesk binary can be run
// end to end.
//
// A Lab is a client and a server namespace joined by a veth pair that
// stands for the internet. Debian's wireguard-go, configured with wg(8),
// runs in the server namespace as the router's peer (as a RouterOS router
// would be set up), with an "office LAN" on the server's loopback and,
// optionally, a DNS server for home.lan on the router's tunnel address.
// `wgdesk service` runs in the client namespace with its own socket, state
// directory and resolv.conf. Traffic never leaves the lab's namespaces,
// and every namespace, process and file is removed through t.Cleanup, also
// when a test fails.
//
// Labs need Linux and root; elsewhere, and without root, New skips the
// test. Test binaries that want the DNS server must call Main from their
// TestMain, since the server runs as a child copy of the test binary.
package netlab
