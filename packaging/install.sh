#!/bin/sh
# Installs a built wgdesk on a Linux machine with systemd:
#   sudo packaging/install.sh bin/wgdesk [bin/wgdesk-service]
# It creates the wgdesk group (members may drive the service), installs the
# app and command line (/usr/bin/wgdesk), the daemon's build without the GUI
# toolkit (/usr/sbin/wgdesk-service, smaller in memory), the service unit and
# the desktop entry, and starts the service.
set -eu
bin=${1:-bin/wgdesk}
svc=${2:-$(dirname "$bin")/wgdesk-service}
here=$(dirname "$0")
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root (sudo $0 $bin)" >&2; exit 1; }
[ -x "$bin" ] || { echo "install.sh: $bin not found: run 'make build' first" >&2; exit 1; }
[ -x "$svc" ] || { echo "install.sh: $svc not found: run 'make build' first" >&2; exit 1; }
getent group wgdesk >/dev/null || groupadd --system wgdesk
install -m 0755 "$bin" /usr/bin/wgdesk
install -m 0755 "$svc" /usr/sbin/wgdesk-service
install -m 0644 "$here/wgdesk.service" /etc/systemd/system/wgdesk.service
install -m 0644 "$here/wgdesk.desktop" /usr/share/applications/wgdesk.desktop
install -D -m 0644 "$here/../assets/wgdesk.png" /usr/share/icons/hicolor/256x256/apps/wgdesk.png
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	systemctl enable --now wgdesk.service
fi
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
	usermod -aG wgdesk "$SUDO_USER"
	echo "added $SUDO_USER to group wgdesk: log out and in again to use wgdesk without sudo"
fi
