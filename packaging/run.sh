#!/bin/sh
# Runs wgdesk from a build tree on a desktop, for `make run`:
#   sudo packaging/run.sh bin/wgdesk bin/wgdesk-service
# It starts the tunnel service as root in the background (unless one
# answers already, such as the installed one), runs the app as the desktop
# user who called sudo (SUDO_USER), with the group wgdesk added for this
# run so that the service lets it in, and stops the service it started when
# the app quits. The app never runs as root: it parses images, QR codes and
# zip files, and needs no privilege for that. Only when no desktop user is
# known (root logged in directly) does the app run as root, with a warning.
#
# The app gets the display and session variables from the environment:
# DISPLAY, WAYLAND_DISPLAY, XAUTHORITY, XDG_RUNTIME_DIR,
# DBUS_SESSION_BUS_ADDRESS, LANG. WGDESK_SOCKET and WGDESK_STATE_DIR choose
# the service's socket and state directory (default: the installed
# service's).
set -eu
app=${1:-bin/wgdesk}
svc=${2:-$(dirname "$app")/wgdesk-service}
socket=${WGDESK_SOCKET:-/run/wgdesk/wgdesk.sock}
state=${WGDESK_STATE_DIR:-/var/lib/wgdesk}
group=wgdesk
me=run.sh

[ "$(id -u)" = 0 ] || { echo "$me: run as root (sudo $0 $app $svc)" >&2; exit 1; }
for f in "$app" "$svc"; do
	[ -x "$f" ] || { echo "$me: $f not found: run 'make build' first" >&2; exit 1; }
done
case $app in /*) ;; *) app=$PWD/$app ;; esac
case $svc in /*) ;; *) svc=$PWD/$svc ;; esac

# Who the app runs as: the user who called sudo.
user=${SUDO_USER:-root}
if [ "$user" != root ] && ! id -u "$user" >/dev/null 2>&1; then
	echo "$me: SUDO_USER=$user is no user here; running the app as root" >&2
	user=root
fi
if [ "$user" = root ]; then
	echo "$me: warning: no desktop user to run the app as (you are root, not a user who ran sudo): the app runs as root" >&2
fi

# The service gives its socket to the group wgdesk; without the group only
# root could connect.
if ! getent group "$group" >/dev/null; then
	groupadd --system "$group"
	echo "$me: created the group $group (members may use the tunnel service)"
fi

# The service: the one that answers already, or one started here.
svc_pid=
# shellcheck disable=SC2317 # called by the EXIT trap
stop_service() {
	[ -n "$svc_pid" ] || return 0
	echo "$me: stopping the tunnel service (pid $svc_pid); it takes its tunnels down"
	kill -TERM "$svc_pid" 2>/dev/null || true
	wait "$svc_pid" || true
	svc_pid=
}
trap stop_service EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
if "$svc" list --socket "$socket" >/dev/null 2>&1; then
	echo "$me: a tunnel service answers on $socket already; the app uses it"
else
	mkdir -p "$state"
	echo "$me: starting the tunnel service as root on $socket"
	"$svc" service --verbose --socket "$socket" --state-dir "$state" &
	svc_pid=$!
	tries=0
	until "$svc" list --socket "$socket" >/dev/null 2>&1; do
		if ! kill -0 "$svc_pid" 2>/dev/null; then
			wait "$svc_pid" || true
			svc_pid=
			echo "$me: the tunnel service stopped (see its log above)" >&2
			exit 1
		fi
		tries=$((tries + 1))
		if [ "$tries" -gt 150 ]; then
			echo "$me: the tunnel service does not answer on $socket after 30 seconds" >&2
			exit 1
		fi
		sleep 0.2
	done
fi

# The app, with the display and session variables and nothing else of
# root's environment.
home=$(getent passwd "$user" | cut -d: -f6)
set -- PATH=/usr/local/bin:/usr/bin:/bin "HOME=${home:-/}" "USER=$user" "LOGNAME=$user" "LANG=${LANG:-C.UTF-8}"
for v in DISPLAY WAYLAND_DISPLAY XAUTHORITY XDG_RUNTIME_DIR DBUS_SESSION_BUS_ADDRESS; do
	eval "val=\${$v:-}"
	if [ -n "$val" ]; then set -- "$@" "$v=$val"; fi
done
set -- "$@" "$app" --socket "$socket"
status=0
if [ "$user" = root ]; then
	env -i "$@" || status=$?
else
	uid=$(id -u "$user")
	gid=$(id -g "$user")
	groups=$(id -G "$user" | tr ' ' ',')
	wgdesk_gid=$(getent group "$group" | cut -d: -f3)
	echo "$me: running the app as $user, with the group $group for this session"
	setpriv --reuid="$uid" --regid="$gid" --groups="$groups,$wgdesk_gid" --inh-caps=-all --no-new-privs \
		env -i "$@" || status=$?
	if ! id -nG "$user" | tr ' ' '\n' | grep -qx "$group"; then
		echo "$me: to use the command line without sudo: sudo usermod -aG $group $user (then log in again)"
	fi
fi
exit "$status"
