// Package e2e holds the end-to-end tests of wgdesk on Linux: the real
// binary's service runs in a client network namespace and connects to
// Debian's wireguard-go, configured with wg(8), in a server namespace, as a
// RouterOS router would stand at the other end. The tests need root and
// skip without it; every namespace, process, user and file they make is
// removed again, also when a test fails. The namespaces, server peer and
// service come from internal/netlab, which the desktop app's smoke test
// shares.
package e2e
