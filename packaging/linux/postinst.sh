#!/bin/sh
# wgdesk's postinst (.deb) and %post (.rpm): makes the group wgdesk, whose
# members may use the tunnel service, and enables and (re)starts the
# service. Called as "configure [old-version]" by dpkg, with 1 (install)
# or 2 (upgrade) by rpm. An upgrade restarts the service with the new
# binary; the stored tunnels in /var/lib/wgdesk stay.
set -e
case "${1:-}" in
configure | 1 | 2) ;;
*) exit 0 ;;
esac

if ! getent group wgdesk >/dev/null; then
	groupadd --system wgdesk
fi

# Enabling only writes symlinks, which works without a running systemd too
# (images, chroots); starting needs systemd as PID 1.
if command -v systemctl >/dev/null 2>&1; then
	systemctl enable wgdesk.service >/dev/null 2>&1 || echo "wgdesk: could not enable wgdesk.service; run: sudo systemctl enable wgdesk.service" >&2
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
	systemctl restart wgdesk.service || echo "wgdesk: the service did not start; see: journalctl -u wgdesk.service" >&2
fi
if [ -e /etc/systemd/system/wgdesk.service ]; then
	echo "wgdesk: /etc/systemd/system/wgdesk.service (from install.sh or 'wgdesk service install') overrides the packaged unit; remove it unless you changed it on purpose, then: sudo systemctl daemon-reload" >&2
fi

user=${SUDO_USER:-}
if [ -z "$user" ] || [ "$user" = root ]; then
	echo "wgdesk: to use wgdesk without sudo, join the group wgdesk: sudo usermod -aG wgdesk \$USER, then log out and in again."
elif ! id -nG "$user" 2>/dev/null | tr ' ' '\n' | grep -qx wgdesk; then
	echo "wgdesk: to use wgdesk without sudo, join the group wgdesk: sudo usermod -aG wgdesk $user, then log out and in again."
fi
exit 0
