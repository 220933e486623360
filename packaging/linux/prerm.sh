#!/bin/sh
# wgdesk's prerm (.deb) and %preun (.rpm): on removal, stops the service,
# which takes every tunnel down as it exits (routes, rules, the nftables
# table and DNS go back as they were), and disables it. Called as "remove"
# or "upgrade new-version" by dpkg, with 0 (remove) or 1 (upgrade) by rpm;
# an upgrade leaves the service to the new package's postinst, which
# restarts it.
set -e
case "${1:-}" in
remove | 0) ;;
*) exit 0 ;;
esac

service=/usr/sbin/wgdesk-service

if [ -d /run/systemd/system ]; then
	systemctl stop wgdesk.service || true
fi
if command -v systemctl >/dev/null 2>&1; then
	systemctl disable wgdesk.service >/dev/null 2>&1 || true
fi

# A service that systemd does not manage (started by hand, or a machine
# where systemd is not PID 1): SIGTERM to each process of this very binary,
# found by its executable, then wait up to 30 seconds for it to take its
# tunnels down and exit.
pids=
for d in /proc/[0-9]*; do
	if [ "$(readlink "$d/exe" 2>/dev/null)" = "$service" ]; then
		pids="$pids ${d#/proc/}"
	fi
done
if [ -n "$pids" ]; then
	echo "wgdesk: stopping the tunnel service (pid$pids); it takes its tunnels down"
	for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
	tries=0
	for p in $pids; do
		# A process that exited has no exe link, even before it is reaped.
		while [ -n "$(readlink "/proc/$p/exe" 2>/dev/null)" ]; do
			tries=$((tries + 1))
			if [ "$tries" -gt 300 ]; then
				echo "wgdesk: the tunnel service (pid $p) did not stop within 30 seconds" >&2
				exit 1
			fi
			sleep 0.1
		done
	done
fi
exit 0
