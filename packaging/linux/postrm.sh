#!/bin/sh
# wgdesk's postrm (.deb) and %postun (.rpm). Removal keeps the stored
# tunnels in /var/lib/wgdesk; purge (dpkg --purge) deletes them. The group
# wgdesk stays, as Debian leaves system groups: its members and any file
# given to it would otherwise point at a number that a later group may
# take. rpm has no purge: after "rpm -e", delete /var/lib/wgdesk by hand.
set -e
case "${1:-}" in
purge)
	rm -rf /var/lib/wgdesk
	;;
remove | 0)
	# The socket's directory, which systemd removes itself when it
	# stopped the service (RuntimeDirectory), but not a service stopped
	# without systemd.
	rm -rf /run/wgdesk
	;;
esac
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
exit 0
