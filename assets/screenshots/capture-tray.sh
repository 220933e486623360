#!/usr/bin/env bash
# capture-tray.sh takes the README's screenshot of wgdesk's tray icon with
# its menu open (assets/screenshots/tray-menu.png): a real tray host,
# xfce4-panel 4.18 with its systray plugin (a StatusNotifierWatcher and
# host since Xfce 4.16), on Xvfb, a real wgdesk service with two imported
# tunnels and the real desktop app, whose tray icon it right-clicks.
#
# Run it as root from `make screenshots`, which builds bin/wgdesk and
# bin/wgdesk-service and installs the Debian packages it needs. An optional
# argument names another output file.
#
# Nothing of the host is touched: the panel, the app and Fyne keep their
# settings in a throwaway HOME and XDG_CONFIG_HOME; the session bus is the
# script's own (dbus-run-session); the service runs inside a network
# namespace the script creates, with no link out of it, and keeps its
# tunnels, journal and socket in the temporary folder. Its DNS mode edits a
# resolv.conf there (the tunnels set no DNS anyway). The tunnel "office" is
# switched on to show the connected icon and its check mark: its endpoint
# is the namespace's own loopback, so its handshakes never leave it. The
# tunnel "home" stays off. The exit trap stops every process, deletes the
# namespace and the temporary folder, also on failure or Ctrl-C.
set -eu

repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$repo/assets/screenshots/tray-menu.png}
case $out in /*) ;; *) out=$PWD/$out ;; esac

# The session part runs again under its own bus, with the temporary
# folder, the namespace and the cleanup owned by this outer part.
if [ -z "${WGDESK_SHOT_DIR:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "capture-tray.sh: run as root (it creates a network namespace for the service)" >&2
		exit 1
	fi
	for tool in Xvfb xfce4-panel xdotool import display dbus-run-session gdbus wg ip; do
		if ! command -v "$tool" >/dev/null; then
			echo "capture-tray.sh: $tool is missing (make screenshots installs it)" >&2
			exit 1
		fi
	done
	for b in "$repo/bin/wgdesk" "$repo/bin/wgdesk-service"; do
		if [ ! -x "$b" ]; then
			echo "capture-tray.sh: $b is missing: run make build first" >&2
			exit 1
		fi
	done

	dir=$(mktemp -d /tmp/wgdesk-shot.XXXXXX)
	ns=wgdshot-$$
	session=
	cleanup() {
		status=$?
		trap "" INT TERM # finish the cleanup whatever comes
		if [ -n "$session" ]; then
			# dbus-run-session passes no signal on to its program, but the
			# session has a process group of its own: stop all of it, the
			# services the bus started included, then kill what is left.
			kill -TERM -- "-$session" 2>/dev/null || true
			for ((i = 0; i < 50; i++)); do
				kill -0 -- "-$session" 2>/dev/null || break
				sleep 0.1
			done
			kill -KILL -- "-$session" 2>/dev/null || true
			wait "$session" 2>/dev/null || true
		fi
		# Whatever still runs inside the namespace (the service, had the
		# session part died before stopping it).
		if ip netns pids "$ns" >/dev/null 2>&1; then
			for pid in $(ip netns pids "$ns"); do
				kill -KILL "$pid" 2>/dev/null || true
			done
			ip netns del "$ns"
		fi
		rm -rf "$dir"
		exit "$status"
	}
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	ip netns add "$ns"
	ip netns exec "$ns" ip link set lo up

	mkdir -p "$dir/home" "$dir/config" "$dir/cache" "$dir/data" "$dir/run"
	chmod 0700 "$dir/run"
	export WGDESK_SHOT_DIR=$dir WGDESK_SHOT_NS=$ns WGDESK_SHOT_OUT=$out
	# The bus daemon passes this environment to the services it starts,
	# xfconfd among them: it must read the panel config written below.
	export HOME=$dir/home XDG_CONFIG_HOME=$dir/config XDG_CACHE_HOME=$dir/cache \
		XDG_DATA_HOME=$dir/data XDG_RUNTIME_DIR=$dir/run
	export LANG=C.UTF-8 LC_ALL=C.UTF-8 GTK_THEME=Adwaita NO_AT_BRIDGE=1
	unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS SESSION_MANAGER XDG_CONFIG_DIRS
	setsid dbus-run-session -- bash "$0" "$out" &
	session=$!
	wait "$session"
	exit 0
fi

# ---- the session part: the bus is ours, the folder and namespace exist ----
dir=$WGDESK_SHOT_DIR
ns=$WGDESK_SHOT_NS
pids=()
stop() {
	status=$?
	trap "" INT TERM # finish stopping whatever comes
	# The app first, then the panel, the service (it takes the tunnel
	# down) and the X server.
	local i
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill -TERM "${pids[i]}" 2>/dev/null || true
		wait "${pids[i]}" 2>/dev/null || true
	done
	exit "$status"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { echo "capture-tray: $*" >&2; }
fail() {
	log "$*"
	for f in "$dir"/*.log; do
		[ -s "$f" ] && { echo "--- $f" >&2; tail -n 30 "$f" >&2; }
	done
	exit 1
}

# waitfor WHAT TRIES CMD...: runs CMD until it succeeds, at most TRIES
# times a fifth of a second apart. The X server draws and the panel reads
# the item's properties asynchronously: no event says when a frame is on
# screen, so these waits poll, bounded.
waitfor() {
	local what=$1 tries=$2
	shift 2
	local i
	for ((i = 0; i < tries; i++)); do
		"$@" && return 0
		sleep 0.2
	done
	fail "gave up waiting for $what"
}

# The X server picks a free display and tells its number through a pipe.
mkfifo "$dir/displayfd"
Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp -noreset 3>"$dir/displayfd" >"$dir/xvfb.log" 2>&1 &
pids+=($!)
read -r display <"$dir/displayfd" || fail "Xvfb did not start"
export DISPLAY=:$display
log "Xvfb on $DISPLAY"
# A plain desktop colour instead of the X server's black. ImageMagick 6's
# display exits with 1 even when it did set the root window's background,
# so the colour is checked on screen instead.
desktop='srgb(70,82,94)'
display -size 16x16 -window root "xc:$desktop" 2>/dev/null || true
[ "$(import -window root -crop 1x1+0+767 -format '%[pixel:p{0,0}]' info:)" = "$desktop" ] ||
	log "could not colour the desktop; it stays black"

# The panel: one bar along the top of the screen, an empty stretch and
# the notification area at the right end, as on a typical desktop.
panel_xml=$XDG_CONFIG_HOME/xfce4/xfconf/xfce-perchannel-xml/xfce4-panel.xml
mkdir -p "$(dirname "$panel_xml")"
cat >"$panel_xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="size" type="uint" value="32"/>
      <property name="icon-size" type="uint" value="22"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
        <value type="int" value="2"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="separator">
      <property name="expand" type="bool" value="true"/>
      <property name="style" type="uint" value="0"/>
    </property>
    <property name="plugin-2" type="string" value="systray">
      <property name="square-icons" type="bool" value="true"/>
    </property>
  </property>
</channel>
EOF
xfce4-panel --disable-wm-check >"$dir/panel.log" 2>&1 &
pids+=($!)
gdbus wait --session --timeout 60 org.kde.StatusNotifierWatcher ||
	fail "the panel did not provide a StatusNotifierWatcher"
log "panel up"

# The service, inside the namespace.
sock=$dir/wgdesk.sock
ip netns exec "$ns" "$repo/bin/wgdesk-service" service --socket "$sock" --state-dir "$dir/state" \
	--dns-mode direct --resolv-conf "$dir/resolv.conf" >"$dir/service.log" 2>&1 &
pids+=($!)
: >"$dir/resolv.conf"
waitfor "the service's socket" 100 "$repo/bin/wgdesk-service" list --socket "$sock" >/dev/null 2>&1

# Two tunnels as RouterOS's show-client-config prints them, with fresh
# keys. home's endpoint is in the documentation range and stays off (the
# namespace has no route to it anyway); office's is the namespace's own
# loopback.
tunnel_conf() { # NAME ADDRESS ENDPOINT ALLOWEDIPS
	cat >"$dir/$1.conf" <<EOF
[Interface]
PrivateKey = $(wg genkey)
Address = $2

[Peer]
PublicKey = $(wg genkey | wg pubkey)
Endpoint = $3
AllowedIPs = $4
PersistentKeepalive = 25
EOF
	"$repo/bin/wgdesk-service" import --socket "$sock" --name "$1" "$dir/$1.conf" >/dev/null
}
tunnel_conf home 192.168.100.2/32 192.0.2.1:13231 192.168.100.0/24,192.168.88.0/24
tunnel_conf office 10.66.0.2/32 127.0.0.1:13231 10.66.0.0/24
"$repo/bin/wgdesk-service" up --socket "$sock" office >/dev/null
log "tunnels: $("$repo/bin/wgdesk-service" list --socket "$sock" | tr '\n' ' ')"

# The app, with the tray.
"$repo/bin/wgdesk" --socket "$sock" >"$dir/app.log" 2>&1 &
app=$!
pids+=($app)
gdbus wait --session --timeout 60 "org.kde.StatusNotifierItem-$app-1" ||
	fail "the app did not export a tray item"
log "app's tray item exported"

# The app opens its window at the top left, over the panel: put it out of
# the picture, as closing it to the tray would.
win=$(xdotool search --sync --onlyvisible --name '^wgdesk' | head -n 1)
xdotool windowunmap --sync "$win"

# The notification area is the panel's last plugin, at the right end of the
# bar; Xfce runs it in its own process, in a window named wrapper-2.0.
area=$(xdotool search --sync --onlyvisible --name '^wrapper-2\.0$' | head -n 1)
eval "$(xdotool getwindowgeometry --shell "$area")"
ax=$X ay=$Y aw=$WIDTH ah=$HEIGHT
log "notification area at ${aw}x${ah}+$ax+$ay"
# The icon is drawn once the panel has read the item's pixmap: until then
# the area is one flat colour.
icon_drawn() {
	local colours
	colours=$(import -window root -crop "${aw}x${ah}+$ax+$ay" +repage -format '%k' info:)
	[ "$colours" -gt 4 ]
}
waitfor "the tray icon on the panel" 150 icon_drawn

# Right-click the icon: the panel opens the item's menu, read over D-Bus.
visible() { xdotool search --onlyvisible --name '.*' | sort; }
visible >"$dir/windows.before"
xdotool mousemove --sync $((ax + aw / 2)) $((ay + ah / 2)) click 3
# The menu is the largest window that appeared with the click.
menu_geometry() {
	local w best=0
	visible >"$dir/windows.after"
	for w in $(comm -13 "$dir/windows.before" "$dir/windows.after"); do
		eval "$(xdotool getwindowgeometry --shell "$w")"
		if ((WIDTH * HEIGHT > best)); then
			best=$((WIDTH * HEIGHT))
			mx=$X my=$Y mw=$WIDTH mh=$HEIGHT
		fi
	done
	((best > 100 * 50))
}
waitfor "the tray menu" 150 menu_geometry
log "menu at ${mw}x${mh}+$mx+$my"
# Mapped is not yet drawn: wait for its entries' text.
menu_drawn() {
	local colours
	colours=$(import -window root -crop "${mw}x${mh}+$mx+$my" +repage -format '%k' info:)
	[ "$colours" -gt 16 ]
}
waitfor "the tray menu's entries" 150 menu_drawn

# The right end of the panel with the icon and the open menu below it, a
# margin of desktop around the menu.
margin=24
cx=$((mx - margin < ax - 240 ? mx - margin : ax - 240))
((cx < 0)) && cx=0
cw=$((ax + aw - cx))
ch=$((my + mh + margin))
mkdir -p "$(dirname "$WGDESK_SHOT_OUT")"
import -window root -crop "${cw}x${ch}+$cx+0" +repage -strip "$WGDESK_SHOT_OUT"
log "wrote $WGDESK_SHOT_OUT (${cw}x$ch)"
