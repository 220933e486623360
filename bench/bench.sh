#!/usr/bin/env bash
# bench.sh measures wgdesk against the references in one run (issue 5).
#
# It builds its own lab: a client and a server network namespace joined by
# a veth pair (198.51.100.0/24) and a WireGuard tunnel (10.77.0.0/24) whose
# server side is always the newest wireguard-go (the version our go.mod
# pins) configured with wg(8), so that the client, not the server, is what
# limits the figures (issue 15). The client side is, in turn:
#
#   wgdesk          our service, activating an imported config
#   wgquick_debian  wg-quick with Debian's wireguard-go (the stock Linux path)
#   wgquick_newest  wg-quick with the wireguard-go of our go.mod, built from
#                   the module proxy (same engine as ours, without our layers)
#   veth            no tunnel at all: the bound of this machine
#
# Traffic only ever flows between the two namespaces. Everything the script
# creates (namespaces, processes, /etc/netns/<ns>, temp files, UAPI sockets)
# is removed on exit, on failure and on Ctrl-C.
#
# Run it through `make bench` (it builds the binaries and installs iperf3);
# see bench/README.md for the knobs. Needs root.
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_SECONDS=${BENCH_SECONDS:-10}  # length of each measurement
BENCH_RUNS=${BENCH_RUNS:-3}         # runs per throughput figure (median)
BENCH_ACT_RUNS=${BENCH_ACT_RUNS:-5} # up/down cycles per client (median)
BENCH_CLIENTS=${BENCH_CLIENTS:-wgdesk wgquick_debian wgquick_newest veth}
IDLE_SECONDS=${BENCH_IDLE_SECONDS:-$((3 * BENCH_SECONDS))}
SAVE=${SAVE:-}
BENCH_PROFILE=${BENCH_PROFILE:-} # 1: also profile each engine with perf under TCP load
BENCH_LOGS=${BENCH_LOGS:-}       # a directory: keep the service and command logs there
BENCH_GUI=${BENCH_GUI:-1}        # 0: skip the desktop app's figures (wgdesk client only)
WGDESK=${WGDESK:-$ROOT/bin/wgdesk}                         # the app and the command line
WGDESK_SERVICE=${WGDESK_SERVICE:-$ROOT/bin/wgdesk-service} # the daemon, as packaged: no GUI toolkit
NEWEST_WG=${NEWEST_WG:-$ROOT/bench/.cache/bin/wireguard}
PROBE=${PROBE:-$ROOT/bench/.cache/bin/probe}
FYNEREF=${FYNEREF:-$ROOT/bench/.cache/bin/fyneref} # the GUI figures' reference: a minimal Fyne window
NEWEST_VERSION=$(awk '$1 == "golang.zx2c4.com/wireguard" {print $2}' "$ROOT/go.mod")

# Lab addresses: documentation and private ranges, only inside our namespaces.
VETH_SERVER=198.51.100.1
VETH_CLIENT=198.51.100.2
TUN_SERVER=10.77.0.1
TUN_CLIENT=10.77.0.2
WG_PORT=51820
MTU=1420 # the same on every tunnel, so no client wins by a larger MTU
PORT_TUN=5201
PORT_VETH=5202
UDP_LEN=1360 # UDP payload below the tunnel TCP MSS (1368), so iperf3 sees no fragmentation risk
HZ=$(getconf CLK_TCK)

ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
NS_C=wgb-c-$ID
NS_S=wgb-s-$ID
IF_S=wbs$ID # server tunnel; wireguard-go's UAPI socket dir is shared by all namespaces
IF_C=wbc$ID # client tunnel for wg-quick (named after its config file)
TMP=
PIDS=()         # processes we started directly
SERVER_PID=     # the server's wireguard-go
XVFB_PID=       # the virtual X server of the GUI figures
GUI_PID=        # the desktop app being measured
GUI_MS=         # gui_start's result
GUI_DISPLAY=    # the Xvfb display, :N
declare -A R=() # results: R[client.metric]=value

log() { printf '>> %s\n' "$*" >&2; }
die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}
ns_c() { ip netns exec "$NS_C" "$@"; }
ns_s() { ip netns exec "$NS_S" "$@"; }

cleanup() {
	local rc=$?
	trap - EXIT INT TERM ERR
	set +e
	log "cleaning up"
	local ns pids p
	# Everything still running in our namespaces is ours: the wgdesk
	# service, wireguard-go daemons, iperf3, ping.
	for ns in "$NS_C" "$NS_S"; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$pids" ] && kill $pids 2>/dev/null
	done
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	# The GUI and its X server run outside the namespaces.
	[ -n "$GUI_PID" ] && kill "$GUI_PID" 2>/dev/null
	[ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null
	for _ in $(seq 50); do
		pids="$(ip netns pids "$NS_C" 2>/dev/null) $(ip netns pids "$NS_S" 2>/dev/null)"
		[ -z "${pids// /}" ] && break
		sleep 0.1
	done
	for ns in "$NS_C" "$NS_S"; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$pids" ] && kill -9 $pids 2>/dev/null
		ip netns del "$ns" 2>/dev/null
		rm -rf "/etc/netns/$ns"
	done
	rm -f "/var/run/wireguard/$IF_S.sock" "/var/run/wireguard/$IF_C.sock"
	if [ -n "$BENCH_LOGS" ] && [ -n "$TMP" ]; then
		mkdir -p "$BENCH_LOGS" && cp "$TMP"/*.log "$BENCH_LOGS"/ 2>/dev/null && log "logs kept in $BENCH_LOGS"
	fi
	[ -n "$TMP" ] && rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'log "failed at line $LINENO: $BASH_COMMAND"' ERR

# ---------------------------------------------------------------- helpers

# median reads numbers, one a line, and prints their median ("n/a" if none).
median() {
	sort -g | awk '{ v[NR] = $1 }
		END { if (NR == 0) { print "n/a"; exit }
		      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf (m >= 1000 || m <= -1000) ? "%.0f\n" : "%.4g\n", m }'
}

# calc evaluates an awk expression, printing "n/a" if an operand is n/a.
calc() {
	case "$*" in *n/a*) echo n/a ;; *) awk "BEGIN { v = $*; printf (v >= 1000 || v <= -1000) ? \"%.0f\n\" : \"%.4g\n\", v }" ;; esac
}

# ratio prints $1 / $2, or n/a when either is missing or $2 is zero.
ratio() {
	case "$1 $2" in *n/a*) echo n/a && return ;; esac
	awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.3g\n", a / b }'
}

# cpu_ticks prints utime+stime of a process in clock ticks (proc(5)).
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
# busy_ticks prints the clock ticks all cores spent running something
# since boot: user, nice, system, irq and softirq of the cpu line of
# /proc/stat (proc(5)); not idle, iowait or steal (the hypervisor's).
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
# status_mb prints a /proc/PID/status field (VmRSS, VmHWM) in MB.
status_mb() { awk -v f="$2:" '$1 == f { printf "%.1f\n", $2 / 1024 }' "/proc/$1/status"; }

# wait_until polls a condition for process start-up and shutdown only.
wait_until() {
	local what=$1 tries=$2
	shift 2
	for _ in $(seq "$tries"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "gave up waiting for $what"
}

listening() { [ -n "$(ns_s ss -Hltn "sport = :$1")" ]; }
ns_has_no_wireguard() { [ -z "$(wg_pid)" ]; }

# wg_pid prints the pid of the wireguard-go daemon in the client namespace.
wg_pid() {
	local p
	for p in $(ip netns pids "$NS_C" 2>/dev/null); do
		case "$(cat "/proc/$p/comm" 2>/dev/null)" in wireguard*) echo "$p" && return ;; esac
	done
}

# ping_times pings from the client and prints each RTT in ms.
# Lost pings are not an error: they just leave fewer samples.
ping_times() { { ns_c ping -n "$@" 2>/dev/null || true; } | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p'; }

# ------------------------------------------------------------------- lab

setup_lab() {
	TMP=$(mktemp -d /tmp/wgdesk-bench.XXXXXX)
	chmod 755 "$TMP"
	log "lab $ID: namespaces $NS_C and $NS_S, temp dir $TMP"
	ip netns add "$NS_C"
	ip netns add "$NS_S"
	# `ip netns exec` bind-mounts this over /etc/resolv.conf, so nothing
	# run in the client namespace can touch the host's resolver file.
	mkdir -p "/etc/netns/$NS_C"
	printf '# wgdesk bench client namespace\nnameserver %s\n' "$VETH_SERVER" >"/etc/netns/$NS_C/resolv.conf"
	ip link add "vbc$ID" netns "$NS_C" type veth peer name "vbs$ID" netns "$NS_S"
	ns_c ip link set lo up
	ns_s ip link set lo up
	ns_c ip addr add "$VETH_CLIENT/24" dev "vbc$ID"
	ns_s ip addr add "$VETH_SERVER/24" dev "vbs$ID"
	ns_c ip link set "vbc$ID" up
	ns_s ip link set "vbs$ID" up
	# No default route in the client: before the tunnel is up the server's
	# tunnel address is unreachable, so the first ping reply is proof.

	local server_key client_key
	server_key=$(wg genkey)
	client_key=$(wg genkey)
	SERVER_PUB=$(wg pubkey <<<"$server_key")
	CLIENT_KEY=$client_key

	# The server is the newest wireguard-go: Debian's (2022) capped every
	# client at about 450 Mbit/s here, where the newest moves 1.6 Gbit/s
	# (issue 15). Debian's stays a client column (wgquick_debian) and the
	# end-to-end tests' peer. ip netns exec replaces itself, so $! is its pid.
	WG_PROCESS_FOREGROUND=1 LOG_LEVEL=error ip netns exec "$NS_S" "$NEWEST_WG" -f "$IF_S" >"$TMP/server.log" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	wait_until "the server's wireguard-go" 100 ns_s wg show "$IF_S"
	umask 077
	printf '[Interface]\nPrivateKey = %s\nListenPort = %d\n\n[Peer]\nPublicKey = %s\nAllowedIPs = %s/32\n' \
		"$server_key" "$WG_PORT" "$(wg pubkey <<<"$client_key")" "$TUN_CLIENT" >"$TMP/server.conf"
	umask 022
	ns_s wg setconf "$IF_S" "$TMP/server.conf"
	ns_s ip addr add "$TUN_SERVER/24" dev "$IF_S"
	ns_s ip link set "$IF_S" mtu "$MTU" up

	ns_s iperf3 -s -B "$TUN_SERVER" -p "$PORT_TUN" >"$TMP/iperf-tun.log" 2>&1 &
	PIDS+=($!)
	ns_s iperf3 -s -B "$VETH_SERVER" -p "$PORT_VETH" >"$TMP/iperf-veth.log" 2>&1 &
	PIDS+=($!)
	wait_until "iperf3 on the tunnel" 100 listening "$PORT_TUN"
	wait_until "iperf3 on the veth" 100 listening "$PORT_VETH"

	# The one client config every tunnel client uses, as RouterOS's
	# show-client-config would give it (no DNS: the bench is not about DNS).
	umask 077
	cat >"$TMP/$IF_C.conf" <<EOF
[Interface]
PrivateKey = $CLIENT_KEY
Address = $TUN_CLIENT/32
MTU = $MTU

[Peer]
PublicKey = $SERVER_PUB
AllowedIPs = 10.77.0.0/24
Endpoint = $VETH_SERVER:$WG_PORT
PersistentKeepalive = 25
EOF
	umask 022
}

# --------------------------------------------------------------- clients
#
# Each tunnel client defines UP and DOWN (argv run inside the client
# namespace) and engine_pid (the process that moves the packets).

WGDESK_PID=
WGDESK_SOCK=

wgdesk_start() {
	WGDESK_SOCK=$TMP/run/wgdesk.sock
	mkdir -p "$TMP/run" "$TMP/state"
	# ip netns exec replaces itself with the service, so $! is its pid.
	ip netns exec "$NS_C" "$WGDESK_SERVICE" service --socket "$WGDESK_SOCK" --state-dir "$TMP/state" \
		--dns-mode direct >"$TMP/wgdesk-service.log" 2>&1 &
	WGDESK_PID=$!
	PIDS+=("$WGDESK_PID")
	wait_until "the wgdesk service socket" 150 test -S "$WGDESK_SOCK"
	kill -0 "$WGDESK_PID" || die "the wgdesk service exited: $(cat "$TMP/wgdesk-service.log")"
	# Idle figures before any tunnel exists.
	R[wgdesk.rss_idle_mb]=$(status_mb "$WGDESK_PID" VmRSS)
	R[wgdesk.rss_anon_idle_mb]=$(status_mb "$WGDESK_PID" RssAnon)
	"$WGDESK" import --socket "$WGDESK_SOCK" --name bench "$TMP/$IF_C.conf" >>"$TMP/wgdesk-cli.log" 2>&1 ||
		die "wgdesk import failed: $(cat "$TMP/wgdesk-cli.log")"
}
wgdesk_pid() { echo "$WGDESK_PID"; }
wgdesk_stop() {
	kill -TERM "$WGDESK_PID"
	local rc=0
	wait "$WGDESK_PID" || rc=$?
	[ "$rc" = 0 ] || log "the wgdesk service exited with status $rc on SIGTERM"
}
wgdesk_wait_down() { :; }

# client_kind prints the kind of a tunnel client: wgdesk or wgquick.
client_kind() {
	case $1 in
	wgdesk) echo wgdesk ;;
	wgquick_debian | wgquick_newest) echo wgquick ;;
	*) die "unknown client $1 (want wgdesk, wgquick_debian, wgquick_newest, veth)" ;;
	esac
}

# client_cmds sets UP and DOWN for a tunnel client.
client_cmds() {
	case $1 in
	wgdesk)
		UP=("$WGDESK" up --socket "$WGDESK_SOCK" bench)
		DOWN=("$WGDESK" down --socket "$WGDESK_SOCK" bench)
		;;
	wgquick_debian) wgquick_cmds wireguard-go ;;
	wgquick_newest) wgquick_cmds "$NEWEST_WG" ;;
	esac
}

wgquick_cmds() {
	local impl=$1
	UP=(env "WG_QUICK_USERSPACE_IMPLEMENTATION=$impl" LOG_LEVEL=error wg-quick up "$TMP/$IF_C.conf")
	DOWN=(wg-quick down "$TMP/$IF_C.conf")
}
wgquick_pid() { wg_pid; }
# wireguard-go exits on its own once wg-quick deleted its interface.
wgquick_wait_down() { wait_until "wireguard-go to exit" 100 ns_has_no_wireguard; }

# ---------------------------------------------------------- measurements

# measure_activation runs BENCH_ACT_RUNS up/down cycles with the probe.
measure_activation() {
	local c=$1 kind=$2 out i
	: >"$TMP/act.up"
	: >"$TMP/act.ping"
	: >"$TMP/act.down"
	for i in $(seq "$BENCH_ACT_RUNS"); do
		out=$(ns_c "$PROBE" -target "$TUN_SERVER" -timeout 30s -log "$TMP/$c-cmd.log" -- "${UP[@]}") ||
			die "$c: activation failed ($out): $(tail -5 "$TMP/$c-cmd.log")"
		sed -n 's/.*return_ms=\([0-9.]*\).*/\1/p' <<<"$out" >>"$TMP/act.up"
		sed -n 's/.*first_ping_ms=\([0-9.]*\).*/\1/p' <<<"$out" >>"$TMP/act.ping"
		# Footprint with one tunnel: the first activation of a fresh engine.
		if [ "$i" = 1 ]; then
			R[$c.rss_tunnel_mb]=$(status_mb "$("${kind}_pid")" VmRSS)
			# VmRSS counts the binary's file-backed pages too (page cache,
			# shared and evictable); RssAnon is the process's own memory.
			R[$c.rss_anon_tunnel_mb]=$(status_mb "$("${kind}_pid")" RssAnon)
		fi
		out=$(ns_c "$PROBE" -log "$TMP/$c-cmd.log" -- "${DOWN[@]}") ||
			die "$c: deactivation failed ($out): $(tail -5 "$TMP/$c-cmd.log")"
		sed -n 's/.*return_ms=\([0-9.]*\).*/\1/p' <<<"$out" >>"$TMP/act.down"
		"${kind}_wait_down"
		log "$c: activation $i/$BENCH_ACT_RUNS: $(tail -1 "$TMP/act.up") ms to return, $(tail -1 "$TMP/act.ping") ms to first ping, $(tail -1 "$TMP/act.down") ms down"
	done
	R[$c.up_return_ms]=$(median <"$TMP/act.up")
	R[$c.up_first_ping_ms]=$(median <"$TMP/act.ping")
	R[$c.down_return_ms]=$(median <"$TMP/act.down")
}

# iperf_once runs one iperf3 test for client c and appends "Mbit/s loss%
# bytes cpu_s server_cpu_s busy_s wall_s" to $TMP/tp.<c>.<name>; with pid
# it also samples the engine's CPU time (and the server's, through the
# tunnel), with ping it records RTTs under this load. busy_s is the CPU
# time of the whole machine (all cores) over the run's wall time wall_s.
iperf_once() {
	local c=$1 name=$2 target=$3 port=$4 pid=$5 withping=$6
	shift 6
	local t0=0 t1=0 s0=0 s1=0 b0 b1 w0 w1 pingpid=
	[ -n "$pid" ] && t0=$(cpu_ticks "$pid") && s0=$(cpu_ticks "$SERVER_PID")
	b0=$(busy_ticks)
	w0=$(date +%s.%N)
	if [ "$withping" = 1 ]; then
		(sleep 0.5 && ping_times -i 0.05 -W 1 -w "$((BENCH_SECONDS - 1 > 1 ? BENCH_SECONDS - 1 : 1))" "$target" >>"$TMP/ping.load.$c") &
		pingpid=$!
	fi
	ns_c iperf3 -c "$target" -p "$port" -t "$BENCH_SECONDS" -J "$@" >"$TMP/iperf.json" ||
		die "iperf3 $name failed: $(jq -r '.error // empty' "$TMP/iperf.json" 2>/dev/null)"
	[ -n "$pid" ] && t1=$(cpu_ticks "$pid") && s1=$(cpu_ticks "$SERVER_PID")
	b1=$(busy_ticks)
	w1=$(date +%s.%N)
	[ -n "$pingpid" ] && wait "$pingpid"
	jq -r --arg cpu "$(calc "($t1 - $t0) / $HZ")" --arg scpu "$(calc "($s1 - $s0) / $HZ")" \
		--arg busy "$(calc "($b1 - $b0) / $HZ")" --arg wall "$(calc "$w1 - $w0")" \
		'.end | [.sum_received.bits_per_second / 1e6, (.sum_received.lost_percent // 0), .sum_sent.bytes, $cpu, $scpu, $busy, $wall] | @tsv' \
		"$TMP/iperf.json" >>"$TMP/tp.$c.$name"
}

# Throughput is measured in rounds: each round runs every iperf3 test once
# for every client, one client after the other, starting with a different
# client each round. A machine whose speed drifts during the bench (other
# work, thermal or host limits) then shifts every client alike instead of
# favouring whichever was measured first.
TESTS=(tcp_up tcp_down tcp4_up tcp4_down udp_up udp_down)

# throughput_round runs every iperf3 test once for client c.
throughput_round() {
	local c=$1 target=$2 port=$3 pid=$4 run=$5 name args
	local -A tests=(
		[tcp_up]="" [tcp_down]="-R"
		[tcp4_up]="-P 4" [tcp4_down]="-P 4 -R"
		[udp_up]="-u -b 0 -l $UDP_LEN" [udp_down]="-u -b 0 -l $UDP_LEN -R"
	)
	for name in "${TESTS[@]}"; do
		args=${tests[$name]}
		# Latency under load: pings during the single-stream TCP runs.
		local withping=0
		case $name in tcp_up | tcp_down) withping=1 ;; esac
		# shellcheck disable=SC2086 # args are words
		iperf_once "$c" "$name" "$target" "$port" "$pid" "$withping" $args
	done
	log "$c: throughput round $run/$BENCH_RUNS: $(for n in "${TESTS[@]}"; do printf '%s=%.0f ' "$n" "$(tail -1 "$TMP/tp.$c.$n" | cut -f1)"; done)Mbit/s"
}

# throughput_figures turns client c's rounds into medians.
throughput_figures() {
	local c=$1 name
	for name in "${TESTS[@]}"; do
		R[$c.${name}_mbps]=$(cut -f1 "$TMP/tp.$c.$name" | median)
		case $name in udp_*) R[$c.${name}_loss_pct]=$(cut -f2 "$TMP/tp.$c.$name" | median) ;; esac
		if [ "$c" != veth ]; then
			# CPU seconds of the engine per GB that crossed the tunnel.
			R[$c.cpu_s_per_gb_$name]=$(awk -F'\t' '$3 > 0 { printf "%.4g\n", $4 / ($3 / 1e9) }' "$TMP/tp.$c.$name" | median)
			# The server's wireguard-go, as % of one core over the run's
			# wall time: near 100 times its busy threads, it is the limit.
			case $name in tcp*) R[$c.server_cpu_pct_$name]=$(awk -F'\t' '$7 > 0 { printf "%.4g\n", 100 * $5 / $7 }' "$TMP/tp.$c.$name" | median) ;; esac
		fi
	done
	# The whole machine during the TCP runs, % of one core: near 100 times
	# the cores, client, server and iperf3 share a saturated CPU.
	R[$c.machine_cpu_pct_tcp]=$(cat "$TMP"/tp."$c".tcp* | awk -F'\t' '$7 > 0 { printf "%.4g\n", 100 * $6 / $7 }' | median)
	R[$c.ping_load_ms]=$(median <"$TMP/ping.load.$c")
}

# rss_after_load samples the engine's VmRSS 10, 30 and 60 s after the
# last run of its turn, with the tunnel up and no traffic: how fast the
# memory of a burst comes back. Only in the last round and only for us and
# plain wireguard-go (issue 15): each sample costs the bench its wait, and
# the next client cannot run meanwhile (one tunnel at a time in the lab).
RSS_AFTER=(10 30 60)
rss_after_load() {
	local c=$1 pid=$2 t waited=0
	for t in "${RSS_AFTER[@]}"; do
		sleep $((t - waited))
		waited=$t
		R[$c.rss_after_${t}s_mb]=$(status_mb "$pid" VmRSS)
	done
	# Without the binary's file-backed pages: what the engine still holds.
	R[$c.rss_anon_after_60s_mb]=$(status_mb "$pid" RssAnon)
	log "$c: RSS after the burst: $(for t in "${RSS_AFTER[@]}"; do printf '%ss=%s ' "$t" "${R[$c.rss_after_${t}s_mb]}"; done)MB"
}

# measure_throughput_rounds runs BENCH_RUNS rounds over all clients. Each
# tunnel client is brought up for its turn and down after it; the peak
# memory is the highest over its turns (wg-quick starts a new engine each
# time, wgdesk's service keeps running). In the last round, wgdesk and
# wgquick_newest then wait for rss_after_load before going down.
measure_throughput_rounds() {
	local -a clients
	read -ra clients <<<"$BENCH_CLIENTS"
	local n=${#clients[@]} run k c kind pid peak
	for run in $(seq "$BENCH_RUNS"); do
		for k in $(seq 0 $((n - 1))); do
			c=${clients[$(((k + run - 1) % n))]}
			if [ "$c" = veth ]; then
				throughput_round veth "$VETH_SERVER" "$PORT_VETH" "" "$run"
				continue
			fi
			kind=$(client_kind "$c")
			client_cmds "$c"
			ns_c "${UP[@]}" >>"$TMP/$c-cmd.log" 2>&1 || die "$c: up failed: $(tail -5 "$TMP/$c-cmd.log")"
			wait_until "a ping through the $c tunnel" 100 ns_c ping -c 1 -W 1 "$TUN_SERVER"
			pid=$("${kind}_pid")
			[ -n "$pid" ] || die "$c: no engine process found"
			throughput_round "$c" "$TUN_SERVER" "$PORT_TUN" "$pid" "$run"
			peak=$(status_mb "$pid" VmHWM)
			R[$c.rss_peak_mb]=$(awk -v a="${R[$c.rss_peak_mb]:-0}" -v b="$peak" 'BEGIN { print (b > a) ? b : a }')
			case $c in wgdesk | wgquick_newest) [ "$run" != "$BENCH_RUNS" ] || rss_after_load "$c" "$pid" ;; esac
			[ -z "$BENCH_PROFILE" ] || [ "$run" != 1 ] || profile_engine "$c" "$pid"
			ns_c "${DOWN[@]}" >>"$TMP/$c-cmd.log" 2>&1 || die "$c: down failed: $(tail -5 "$TMP/$c-cmd.log")"
			"${kind}_wait_down"
		done
	done
	for c in "${clients[@]}"; do throughput_figures "$c"; done
}

# profile_engine records where the engine spends its CPU during one more
# TCP upload run (BENCH_PROFILE=1). perf needs no code in the profiled
# process, and Go binaries keep their symbols.
profile_engine() {
	local c=$1 pid=$2 perfpid
	command -v perf >/dev/null || {
		log "BENCH_PROFILE: perf is missing (apt-get install linux-perf); no profile"
		return
	}
	perf record -F 499 -g -o "$TMP/perf.$c" -p "$pid" -- sleep "$BENCH_SECONDS" >/dev/null 2>&1 &
	perfpid=$!
	PIDS+=("$perfpid")
	ns_c iperf3 -c "$TUN_SERVER" -p "$PORT_TUN" -t "$BENCH_SECONDS" >/dev/null
	wait "$perfpid" || true
	{ perf report -i "$TMP/perf.$c" --stdio --no-children --sort dso,symbol -g none --percent-limit 1.5 2>/dev/null || true; } |
		grep -v '^#' | grep '%' | sed 's/[ -]*$//' | head -20 >"$TMP/profile.$c" || true
}

# measure_client runs the figures of one client that need it alone:
# activation, footprint, idle CPU and latency, and the desktop app's.
# Throughput comes later, in rounds over all clients.
measure_client() {
	local c=$1 kind pid target port
	log "client $c"
	if [ "$c" = veth ]; then
		R[$c.ping_idle_ms]=$(ping_times -c 30 -i 0.05 -W 1 "$VETH_SERVER" | median)
		return
	fi
	kind=$(client_kind "$c")
	[ "$kind" != wgdesk ] || wgdesk_start
	client_cmds "$c"

	measure_activation "$c" "$kind"

	ns_c "${UP[@]}" >>"$TMP/$c-cmd.log" 2>&1 || die "$c: up failed: $(tail -5 "$TMP/$c-cmd.log")"
	wait_until "a ping through the $c tunnel" 100 ns_c ping -c 1 -W 1 "$TUN_SERVER"
	pid=$("${kind}_pid")
	[ -n "$pid" ] || die "$c: no engine process found"
	# The same after BENCH_ACT_RUNS up/down cycles: wg-quick starts a new
	# wireguard-go each time, wgdesk's service keeps running.
	R[$c.rss_cycled_mb]=$(status_mb "$pid" VmRSS)

	local t0 t1
	t0=$(cpu_ticks "$pid")
	sleep "$IDLE_SECONDS"
	t1=$(cpu_ticks "$pid")
	R[$c.idle_cpu_pct]=$(calc "100 * ($t1 - $t0) / $HZ / $IDLE_SECONDS")
	# The desktop app, after the engine's idle figure and before the
	# throughput runs, so that neither disturbs the other.
	[ "$kind" != wgdesk ] || measure_gui

	R[$c.ping_idle_ms]=$(ping_times -c 30 -i 0.05 -W 1 "$TUN_SERVER" | median)

	ns_c "${DOWN[@]}" >>"$TMP/$c-cmd.log" 2>&1 || die "$c: down failed: $(tail -5 "$TMP/$c-cmd.log")"
	"${kind}_wait_down"
}

# ------------------------------------------------------------ desktop app
#
# The GUI runs outside the namespaces (the service socket is a file, so it
# reaches it from there) on its own Xvfb, as root because the bench service
# socket is root-only. HOME and XDG_RUNTIME_DIR point into the temp dir, so
# its settings and single-instance socket never meet a real session's.

# gui_window_mapped succeeds once a top-level window whose title starts
# with $1 (default wgdesk) is viewable on the virtual display: the program
# has shown its first frame.
gui_window_mapped() {
	local id
	for id in $(xwininfo -display "$GUI_DISPLAY" -root -children 2>/dev/null | awk -v t="\"${1:-wgdesk}" 'index($2, t) == 1 { print $1 }'); do
		xwininfo -display "$GUI_DISPLAY" -id "$id" 2>/dev/null | grep -q 'Map State: IsViewable' && return 0
	done
	return 1
}

# gui_shows_tunnel succeeds once the window title names the active tunnel.
gui_shows_tunnel() { xwininfo -display "$GUI_DISPLAY" -root -children 2>/dev/null | grep -q '"wgdesk — connected: bench"'; }

# gui_start starts the desktop app against the bench service and sets
# GUI_MS to the milliseconds from its exec to its window being mapped (no
# command substitution: GUI_PID must stay in this shell). An X server
# tells no one when a client maps a window, so this polls, every 10 ms.
gui_start() {
	local run=$1 t0 t1
	mkdir -p "$TMP/gui-home" "$TMP/gui-run-$run"
	chmod 700 "$TMP/gui-run-$run"
	t0=$(date +%s%N)
	env -i "PATH=$PATH" "HOME=$TMP/gui-home" "XDG_RUNTIME_DIR=$TMP/gui-run-$run" "DISPLAY=$GUI_DISPLAY" LANG=C.UTF-8 \
		"$WGDESK" --socket "$WGDESK_SOCK" >>"$TMP/wgdesk-gui.log" 2>&1 &
	GUI_PID=$!
	for _ in $(seq 3000); do
		if gui_window_mapped; then
			t1=$(date +%s%N)
			GUI_MS=$(((t1 - t0) / 1000000))
			return
		fi
		if ! kill -0 "$GUI_PID" 2>/dev/null; then
			wait "$GUI_PID" 2>/dev/null || true
			GUI_PID=
			return 1
		fi
		sleep 0.01
	done
	die "the desktop app showed no window in 30 s: $(tail -5 "$TMP/wgdesk-gui.log")"
}

# gui_start_checked is gui_start that survives one crash of the app at
# start: it counts it in gui_start_crashes, logs where the app panicked
# (the first lines of Go's report) and starts it again. A second crash in a
# row ends the bench.
gui_start_checked() {
	local run=$1 mark
	mark=$(wc -l 2>/dev/null <"$TMP/wgdesk-gui.log" || echo 0)
	gui_start "$run" && return 0
	R[wgdesk.gui_start_crashes]=$((${R[wgdesk.gui_start_crashes]:-0} + 1))
	log "desktop app: start $run exited before showing a window: $(tail -n +"$((mark + 1))" "$TMP/wgdesk-gui.log" |
		grep -m1 -A6 -E '^(panic|fatal error|SIG)' | tr '\n' ' ')"
	cp "$TMP/wgdesk-gui.log" "$TMP/wgdesk-gui-crash-$run.log"
	gui_start "$run" || die "the desktop app exited before showing a window twice: $(tail -5 "$TMP/wgdesk-gui.log")"
}

# gui_idle_figures records the memory of the GUI program pid and, over
# IDLE_SECONDS of idling, its CPU and its context switches per second (all
# threads), as figures of client c named $3_* (default gui_*: window
# shown; gui_hidden_*: hidden to the tray).
gui_idle_figures() {
	local c=$1 pid=$2 k=${3:-gui} t0 t1 s0 s1
	R[$c.${k}_rss_mb]=$(status_mb "$pid" VmRSS)
	R[$c.${k}_rss_anon_mb]=$(status_mb "$pid" RssAnon)
	t0=$(cpu_ticks "$pid") s0=$(ctx_switches "$pid")
	sleep "$IDLE_SECONDS"
	t1=$(cpu_ticks "$pid") s1=$(ctx_switches "$pid")
	R[$c.${k}_idle_cpu_pct]=$(calc "100 * ($t1 - $t0) / $HZ / $IDLE_SECONDS")
	R[$c.${k}_wakeups_per_s]=$(calc "($s1 - $s0) / $IDLE_SECONDS")
}

# ctx_switches prints the context switches of all live threads of a
# process so far (proc(5) voluntary and nonvoluntary_ctxt_switches).
ctx_switches() {
	cat /proc/"$1"/task/*/status 2>/dev/null |
		awk '/^(non)?voluntary_ctxt_switches:/ { n += $2 } END { print n + 0 }'
}

# measure_fyneref measures the reference of the GUI figures on the same X
# server right after the app: bench/fyneref, a Fyne window of the app's
# size with one label, which shows what the toolkit costs on its own. With
# no session bus address Fyne's D-Bus library would autolaunch a bus that
# outlives the program (the app prevents it itself, app/bus.go):
# "disabled:" is D-Bus's address for none.
measure_fyneref() {
	local t0 t1
	[ -x "$FYNEREF" ] || {
		log "desktop app: $FYNEREF is missing (make bench builds it); no reference figures"
		return 0
	}
	mkdir -p "$TMP/fyneref-home"
	t0=$(date +%s%N)
	env -i "PATH=$PATH" "HOME=$TMP/fyneref-home" "DISPLAY=$GUI_DISPLAY" LANG=C.UTF-8 DBUS_SESSION_BUS_ADDRESS=disabled: \
		"$FYNEREF" >>"$TMP/fyneref.log" 2>&1 &
	GUI_PID=$!
	wait_until "the minimal Fyne window" 300 gui_window_mapped fyneref
	t1=$(date +%s%N)
	R[fyneref.gui_start_ms]=$(((t1 - t0) / 1000000))
	sleep 3
	gui_idle_figures fyneref "$GUI_PID"
	log "minimal Fyne window: RSS ${R[fyneref.gui_rss_mb]} MB, idle CPU ${R[fyneref.gui_idle_cpu_pct]}%, ${R[fyneref.gui_wakeups_per_s]} context switches/s"
	gui_stop
}

# measure_fyneref_hidden is measure_fyneref with the window made but never
# shown (fyneref --hidden), the reference of the app hidden to the tray:
# Fyne's event loop runs as it does for the app.
measure_fyneref_hidden() {
	[ -x "$FYNEREF" ] || return 0
	: >"$TMP/fyneref-hidden.log"
	env -i "PATH=$PATH" "HOME=$TMP/fyneref-home" "DISPLAY=$GUI_DISPLAY" LANG=C.UTF-8 DBUS_SESSION_BUS_ADDRESS=disabled: \
		"$FYNEREF" --hidden >>"$TMP/fyneref-hidden.log" 2>&1 &
	GUI_PID=$!
	wait_until "the minimal Fyne program's event loop" 300 grep -qx started "$TMP/fyneref-hidden.log"
	sleep 3
	gui_idle_figures fyneref "$GUI_PID" gui_hidden
	log "minimal Fyne window, hidden: RSS ${R[fyneref.gui_hidden_rss_mb]} MB, idle CPU ${R[fyneref.gui_hidden_idle_cpu_pct]}%, ${R[fyneref.gui_hidden_wakeups_per_s]} context switches/s"
	gui_stop
}

# tray_start starts `probe tray`: a private session bus with a stand-in
# tray host on it (bench/probe/tray.go), and sets TRAY_BUS to its address.
# Without a tray, wgdesk --hidden shows its window.
TRAY_PID=
TRAY_BUS=
tray_start() {
	mkdir -p "$TMP/tray"
	"$PROBE" tray "$TMP/tray" >"$TMP/tray.log" 2>&1 &
	TRAY_PID=$!
	PIDS+=("$TRAY_PID")
	wait_until "the stand-in tray" 100 grep -qx watching "$TMP/tray.log"
	TRAY_BUS=$(awk '$1 == "bus" { print $2; exit }' "$TMP/tray.log")
}
tray_stop() {
	[ -n "$TRAY_PID" ] || return 0
	kill -TERM "$TRAY_PID" 2>/dev/null
	wait "$TRAY_PID" 2>/dev/null || true
	TRAY_PID=
}

# tray_icon_set succeeds once the tray has seen an app set its icon.
tray_icon_set() { grep -q ' NewIcon$' "$TMP/tray.log"; }

# measure_gui_hidden measures the app started as at login (--hidden) with
# a tray, the tunnel up: 3 s after its tray icon is registered and set (it
# reads the service's snapshot within milliseconds of its start), its
# memory, idle CPU and context switches, as gui_hidden_*. Its window must
# stay unmapped. With BENCH_PROFILE=1, perf then profiles it for
# IDLE_SECONDS more (profile.gui_hidden in the report).
measure_gui_hidden() {
	command -v dbus-daemon >/dev/null || {
		log "desktop app: dbus-daemon is missing (apt-get install dbus-daemon); no figures hidden to the tray"
		return 0
	}
	tray_start
	mkdir -p "$TMP/gui-run-hidden"
	chmod 700 "$TMP/gui-run-hidden"
	env -i "PATH=$PATH" "HOME=$TMP/gui-home" "XDG_RUNTIME_DIR=$TMP/gui-run-hidden" "DISPLAY=$GUI_DISPLAY" LANG=C.UTF-8 \
		"DBUS_SESSION_BUS_ADDRESS=$TRAY_BUS" "$WGDESK" --hidden --socket "$WGDESK_SOCK" >>"$TMP/wgdesk-gui.log" 2>&1 &
	GUI_PID=$!
	wait_until "the app's tray icon" 300 grep -q '^item ' "$TMP/tray.log"
	wait_until "the app to set its tray icon" 300 tray_icon_set
	sleep 3
	! gui_window_mapped wgdesk || die "wgdesk --hidden with a tray showed its window: $(tail -5 "$TMP/wgdesk-gui.log")"
	gui_idle_figures wgdesk "$GUI_PID" gui_hidden
	log "desktop app, hidden to the tray: RSS ${R[wgdesk.gui_hidden_rss_mb]} MB (anon ${R[wgdesk.gui_hidden_rss_anon_mb]}), idle CPU ${R[wgdesk.gui_hidden_idle_cpu_pct]}%, ${R[wgdesk.gui_hidden_wakeups_per_s]} context switches/s"
	[ -z "$BENCH_PROFILE" ] || profile_gui gui_hidden "$GUI_PID"
	gui_stop
	tray_stop
}

# profile_gui records where the idle GUI program pid spends its CPU over
# IDLE_SECONDS with perf (self time by symbol) into profile.$1, for the
# report.
profile_gui() {
	local name=$1 pid=$2
	command -v perf >/dev/null || {
		log "BENCH_PROFILE: perf is missing (apt-get install linux-perf); no GUI profile"
		return
	}
	perf record -F 499 -g -o "$TMP/perf.$name" -p "$pid" -- sleep "$IDLE_SECONDS" >/dev/null 2>&1 || true
	{ perf report -i "$TMP/perf.$name" --stdio --no-children --sort dso,symbol -g none --percent-limit 1.5 2>/dev/null || true; } |
		grep -v '^#' | grep '%' | sed 's/[ -]*$//' | head -20 >"$TMP/profile.$name" || true
}

gui_stop() {
	[ -n "$GUI_PID" ] || return 0
	kill -TERM "$GUI_PID" 2>/dev/null
	wait "$GUI_PID" 2>/dev/null || true
	GUI_PID=
}

# measure_gui measures the desktop app with the wgdesk tunnel up: cold
# start to the first mapped window (median of BENCH_RUNS starts), then,
# with the last start showing the active tunnel, its memory and idle CPU.
measure_gui() {
	local tool run t0 t1
	[ "$BENCH_GUI" = 1 ] || return 0
	for tool in Xvfb xwininfo; do
		command -v "$tool" >/dev/null || {
			log "desktop app: $tool is missing (make deps-gui, x11-utils); no GUI figures"
			return 0
		}
	done
	log "desktop app: starting Xvfb"
	# -noreset: an X server restarts when its last client leaves, and the
	# next start of the app would meet it restarting (it could not open the
	# display).
	Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset 3>"$TMP/xvfb.display" 2>"$TMP/xvfb.log" &
	XVFB_PID=$!
	# -displayfd writes the display number it chose once it accepts clients.
	wait_until "Xvfb" 100 test -s "$TMP/xvfb.display"
	GUI_DISPLAY=:$(head -1 "$TMP/xvfb.display" | tr -d ' \n')

	: >"$TMP/gui.start"
	R[wgdesk.gui_start_crashes]=0
	for run in $(seq "$BENCH_RUNS"); do
		gui_start_checked "$run"
		echo "$GUI_MS" >>"$TMP/gui.start"
		log "desktop app: start $run/$BENCH_RUNS: window mapped after $GUI_MS ms"
		[ "$run" = "$BENCH_RUNS" ] || gui_stop
	done
	R[wgdesk.gui_start_ms]=$(median <"$TMP/gui.start")

	wait_until "the desktop app to show the active tunnel" 300 gui_shows_tunnel
	# Let it settle after the first frames (fonts, the tunnel list).
	sleep 3
	gui_idle_figures wgdesk "$GUI_PID"
	log "desktop app: RSS ${R[wgdesk.gui_rss_mb]} MB (anon ${R[wgdesk.gui_rss_anon_mb]}), idle CPU ${R[wgdesk.gui_idle_cpu_pct]}%, ${R[wgdesk.gui_wakeups_per_s]} context switches/s"
	[ -z "$BENCH_PROFILE" ] || profile_gui gui_shown "$GUI_PID"
	gui_stop
	measure_gui_hidden

	measure_fyneref
	measure_fyneref_hidden
	kill "$XVFB_PID" 2>/dev/null
	wait "$XVFB_PID" 2>/dev/null || true
	XVFB_PID=
}

# config_benchmarks runs the config package's Go benchmarks, if present.
config_benchmarks() {
	local want='^Benchmark(Parse1000|DecodeQRScreenshot)$' list
	list=$(cd "$ROOT" && go test ./config -list "$want" 2>&1) || true
	if ! grep -q '^Benchmark' <<<"$list"; then
		log "config benchmarks: not present (or ./config does not build); skipped"
		return
	fi
	log "config benchmarks"
	(cd "$ROOT" && go test ./config -run '^$' -bench "$want" -benchmem -count "$BENCH_RUNS") >"$TMP/gobench.txt" 2>&1 ||
		die "config benchmarks failed: $(cat "$TMP/gobench.txt")"
	local b
	for b in $(awk '/^Benchmark/ { sub(/-[0-9]+$/, "", $1); print $1 }' "$TMP/gobench.txt" | sort -u); do
		local key
		key=$(sed 's/^Benchmark//' <<<"$b" | tr '[:upper:]' '[:lower:]')
		R[config.${key}_ns_op]=$(awk -v b="$b" '$1 ~ "^"b"(-[0-9]+)?$" { for (i = 2; i < NF; i++) if ($(i+1) == "ns/op") print $i }' "$TMP/gobench.txt" | median)
		R[config.${key}_b_op]=$(awk -v b="$b" '$1 ~ "^"b"(-[0-9]+)?$" { for (i = 2; i < NF; i++) if ($(i+1) == "B/op") print $i }' "$TMP/gobench.txt" | median)
		R[config.${key}_allocs_op]=$(awk -v b="$b" '$1 ~ "^"b"(-[0-9]+)?$" { for (i = 2; i < NF; i++) if ($(i+1) == "allocs/op") print $i }' "$TMP/gobench.txt" | median)
	done
}

# ---------------------------------------------------------------- report

FIGURES=(
	"tcp_up_mbps|TCP up, 1 stream (Mbit/s)"
	"tcp_down_mbps|TCP down, 1 stream (Mbit/s)"
	"tcp4_up_mbps|TCP up, 4 streams (Mbit/s)"
	"tcp4_down_mbps|TCP down, 4 streams (Mbit/s)"
	"udp_up_mbps|UDP up, -b 0, received (Mbit/s)"
	"udp_up_loss_pct|UDP up loss (%)"
	"udp_down_mbps|UDP down, -b 0, received (Mbit/s)"
	"udp_down_loss_pct|UDP down loss (%)"
	"cpu_s_per_gb_tcp_up|engine CPU, TCP up (s/GB)"
	"cpu_s_per_gb_tcp_down|engine CPU, TCP down (s/GB)"
	"cpu_s_per_gb_tcp4_up|engine CPU, TCP up x4 (s/GB)"
	"cpu_s_per_gb_tcp4_down|engine CPU, TCP down x4 (s/GB)"
	"cpu_s_per_gb_udp_up|engine CPU, UDP up (s/GB sent)"
	"cpu_s_per_gb_udp_down|engine CPU, UDP down (s/GB sent)"
	"server_cpu_pct_tcp_up|server wg-go CPU, TCP up (% of a core)"
	"server_cpu_pct_tcp_down|server wg-go CPU, TCP down (% of a core)"
	"server_cpu_pct_tcp4_up|server wg-go CPU, TCP up x4 (% of a core)"
	"server_cpu_pct_tcp4_down|server wg-go CPU, TCP down x4 (% of a core)"
	"machine_cpu_pct_tcp|whole machine CPU, TCP runs (% of a core)"
	"ping_idle_ms|ping RTT idle (ms)"
	"ping_load_ms|ping RTT under TCP load (ms)"
	"up_return_ms|up: command returns (ms)"
	"up_first_ping_ms|up: first ping reply (ms)"
	"down_return_ms|down: command returns (ms)"
	"rss_idle_mb|RSS, service idle (MB)"
	"rss_anon_idle_mb|RssAnon, service idle (MB)"
	"rss_tunnel_mb|RSS, one tunnel up (MB)"
	"rss_anon_tunnel_mb|RssAnon, one tunnel up (MB)"
	"rss_cycled_mb|RSS, tunnel up after up/down cycles (MB)"
	"rss_peak_mb|peak RSS, VmHWM (MB)"
	"rss_after_10s_mb|RSS 10 s after the burst (MB)"
	"rss_after_30s_mb|RSS 30 s after the burst (MB)"
	"rss_after_60s_mb|RSS 60 s after the burst (MB)"
	"rss_anon_after_60s_mb|RssAnon 60 s after the burst (MB)"
	"idle_cpu_pct|idle CPU, tunnel up (% of a core)"
	"gui_start_ms|GUI: start to window mapped (ms)"
	"gui_rss_mb|GUI: RSS, tunnel shown (MB)"
	"gui_rss_anon_mb|GUI: RssAnon, tunnel shown (MB)"
	"gui_idle_cpu_pct|GUI: idle CPU, tunnel shown (% of a core)"
	"gui_wakeups_per_s|GUI: context switches/s, idle"
	"gui_start_crashes|GUI: starts that crashed (retried)"
	"gui_hidden_rss_mb|GUI: RSS, hidden to the tray (MB)"
	"gui_hidden_rss_anon_mb|GUI: RssAnon, hidden to the tray (MB)"
	"gui_hidden_idle_cpu_pct|GUI: idle CPU, hidden to the tray (% of a core)"
	"gui_hidden_wakeups_per_s|GUI: context switches/s, hidden"
)
LABELS=([0]="wgdesk" [1]="wg-quick+Debian wg-go" [2]="wg-quick+newest wg-go" [3]="veth")
COLS=(wgdesk wgquick_debian wgquick_newest veth)

get() { echo "${R[$1.$2]:-n/a}"; }

# geo_ratio prints the geometric mean of ours/theirs over the TCP figures:
# the throughput (tcp_up_mbps, ...), or with a printf pattern others
# (cpu_s_per_gb_%s for tcp_up, ...).
geo_ratio() {
	local theirs=$1 pattern=${2:-%s_mbps} n key ours their args=""
	for n in tcp_up tcp_down tcp4_up tcp4_down; do
		# shellcheck disable=SC2059 # the pattern is ours
		key=$(printf "$pattern" "$n")
		ours=$(get wgdesk "$key")
		their=$(get "$theirs" "$key")
		args+="$ours $their "
	done
	case "$args" in *n/a*) echo n/a && return ;; esac
	awk -v a="$args" 'BEGIN { n = split(a, v, " "); s = 0
		for (i = 1; i < n; i += 2) s += log(v[i] / v[i + 1])
		printf "%.3f\n", exp(s / (n / 2)) }'
}

# target prints a summary figure's line and its target's: "name: value"
# and "target_name: met" or MISSED (also when the figure is missing).
target() {
	local name=$1 value=$2 op=$3 limit=$4 v=MISSED
	case "$value" in n/a | "") value=n/a ;; *) v=$(awk -v v="$value" -v t="$limit" "BEGIN { print (v $op t) ? \"met\" : \"MISSED\" }") ;; esac
	echo "$name: $value"
	echo "target_$name: $v"
}

report() {
	local wgv
	wgv=$("$WGDESK" version 2>/dev/null || echo "not built")
	echo "wgdesk benchmarks, $STARTED to $(date -u '+%H:%M UTC')"
	echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), Linux $(uname -r)"
	echo "load average at start: $LOAD_START, at end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "clients: $wgv; Debian wireguard-go $(dpkg-query -W -f '${Version}' wireguard-go 2>/dev/null);" \
		"newest wireguard-go $NEWEST_VERSION; server: newest wireguard-go; $(iperf3 --version | head -1 | cut -d' ' -f1-2)"
	echo "each figure: median of $BENCH_RUNS runs of ${BENCH_SECONDS}s, throughput in rounds that take every client in turn (activation: $BENCH_ACT_RUNS cycles; idle CPU over ${IDLE_SECONDS}s); tunnel MTU $MTU, UDP payload $UDP_LEN bytes"
	echo
	local fmt='%-42s %12s %22s %22s %10s\n' f key label c row
	# shellcheck disable=SC2059
	printf "$fmt" "figure" "${LABELS[@]}"
	for f in "${FIGURES[@]}"; do
		key=${f%%|*} label=${f#*|}
		row=()
		for c in "${COLS[@]}"; do row+=("$(get "$c" "$key")"); done
		# shellcheck disable=SC2059
		printf "$fmt" "$label" "${row[@]}"
	done
	if [ -n "${R[fyneref.gui_idle_cpu_pct]+set}" ]; then
		echo
		echo "desktop app against a minimal Fyne window (bench/fyneref), same X server, one after the other:"
		fmt='%-42s %12s %22s\n'
		# shellcheck disable=SC2059
		printf "$fmt" "figure" "wgdesk" "minimal Fyne window"
		for f in gui_start_ms gui_rss_mb gui_rss_anon_mb gui_idle_cpu_pct gui_wakeups_per_s \
			gui_hidden_rss_mb gui_hidden_rss_anon_mb gui_hidden_idle_cpu_pct gui_hidden_wakeups_per_s; do
			label=$(printf '%s\n' "${FIGURES[@]}" | awk -F'|' -v k="$f" '$1 == k { print $2 }')
			# shellcheck disable=SC2059
			printf "$fmt" "$label" "$(get wgdesk "$f")" "$(get fyneref "$f")"
		done
	fi
	if [ -s "$TMP/gobench.txt" ]; then
		echo
		echo "config import (go test ./config -bench, -count $BENCH_RUNS):"
		grep '^Benchmark' "$TMP/gobench.txt"
	fi

	for c in "${COLS[@]}"; do
		[ -s "$TMP/profile.$c" ] || continue
		echo
		echo "$c: engine CPU during TCP upload (perf, self time by symbol, top 20):"
		cat "$TMP/profile.$c"
	done
	for c in gui_shown gui_hidden; do
		[ -s "$TMP/profile.$c" ] || continue
		echo
		echo "desktop app idle, ${c#gui_} (perf over ${IDLE_SECONDS}s, self time by symbol, top 20):"
		cat "$TMP/profile.$c"
	done
	! declare -F scale_report >/dev/null || scale_report

	echo
	echo "summary (ratios are wgdesk divided by the other: throughput above 1 is better, CPU per GB,"
	echo "memory and activation below 1 are better; throughput and CPU ratios are the geometric mean"
	echo "over the four TCP figures; each target_ line says whether the figure above it met issue 15's target):"
	for c in "${COLS[@]}"; do
		for f in "${FIGURES[@]}"; do
			key=${f%%|*}
			[ -n "${R[$c.$key]+set}" ] && echo "${c}_$key: ${R[$c.$key]}"
		done
	done
	for key in $(printf '%s\n' "${!R[@]}" | grep '^\(config\|fyneref\)\.' | sort || true); do
		echo "${key/./_}: ${R[$key]}"
	done
	local tr_newest tr_debian tr_veth act act_newest
	tr_newest=$(geo_ratio wgquick_newest)
	tr_debian=$(geo_ratio wgquick_debian)
	tr_veth=$(geo_ratio veth)
	act=$(ratio "$(get wgdesk up_first_ping_ms)" "$(get wgquick_debian up_first_ping_ms)")
	act_newest=$(ratio "$(get wgdesk up_first_ping_ms)" "$(get wgquick_newest up_first_ping_ms)")
	echo "throughput_ratio_vs_debian_wg_quick: $tr_debian"
	echo "throughput_ratio_vs_veth: $tr_veth"
	echo "activation_ratio_vs_wg_quick_newest: $act_newest"
	echo "gui_idle_cpu_ratio_vs_fyne_minimal: $(ratio "$(get wgdesk gui_idle_cpu_pct)" "$(get fyneref gui_idle_cpu_pct)")"
	echo "gui_rss_ratio_vs_fyne_minimal: $(ratio "$(get wgdesk gui_rss_mb)" "$(get fyneref gui_rss_mb)")"
	# The targets of issue 15, against the newest wireguard-go as server.
	target throughput_ratio_vs_wireguard_go "$tr_newest" '>=' 0.98
	target cpu_per_gb_ratio_vs_wireguard_go "$(geo_ratio wgquick_newest 'cpu_s_per_gb_%s')" '<=' 1.02
	target rss_60s_after_load_mb "$(get wgdesk rss_after_60s_mb)" '<=' 30
	target peak_rss_ratio_vs_wireguard_go "$(ratio "$(get wgdesk rss_peak_mb)" "$(get wgquick_newest rss_peak_mb)")" '<=' 1.0
	target gui_hidden_idle_cpu_ratio_vs_fyne_minimal "$(ratio "$(get wgdesk gui_hidden_idle_cpu_pct)" "$(get fyneref gui_idle_cpu_pct)")" '<=' 1.0
	target gui_shown_idle_cpu_above_fyne_minimal_pct "$(calc "$(get wgdesk gui_idle_cpu_pct) - $(get fyneref gui_idle_cpu_pct)")" '<=' 0.5
	target activation_10000_routes_ratio_vs_wg_quick "$(ratio "$(get wgdesk scale_first_ping_ms_10000)" "$(get wgquick_newest scale_first_ping_ms_10000)")" '<=' 0.1
	target activation_ratio_vs_wg_quick "$act" '<=' 0.3
}

# ------------------------------------------------------------------ main

main() {
	[ "$(id -u)" = 0 ] || die "needs root (network namespaces, TUN): run make bench"
	local tool
	for tool in ip wg wg-quick wireguard-go iperf3 jq ping ss; do
		command -v "$tool" >/dev/null || die "$tool is missing (make bench installs it)"
	done
	[ -x "$PROBE" ] || die "$PROBE is missing: run make bench"
	case " $BENCH_CLIENTS " in *" wgdesk "*)
		[ -x "$WGDESK" ] || die "$WGDESK is missing: run make build"
		[ -x "$WGDESK_SERVICE" ] || die "$WGDESK_SERVICE is missing: run make build" ;;
	esac
	[ -x "$NEWEST_WG" ] || die "$NEWEST_WG (the server, and the wgquick_newest client) is missing: run make bench"
	[ "$BENCH_SECONDS" -ge 2 ] || die "BENCH_SECONDS must be at least 2"
	LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
	STARTED=$(date -u '+%Y-%m-%d %H:%M')

	setup_lab
	local c
	for c in $BENCH_CLIENTS; do measure_client "$c"; done
	measure_throughput_rounds
	[ -z "$WGDESK_PID" ] || wgdesk_stop
	# Growth with routes and stored tunnels (issue 15 item 4), its own service.
	# shellcheck source=bench/scale.sh
	. "$ROOT/bench/scale.sh" && scale_measure
	config_benchmarks

	if [ -n "$SAVE" ]; then
		mkdir -p "$ROOT/bench/results"
		report | tee "$ROOT/bench/results/latest.tmp"
		mv "$ROOT/bench/results/latest.tmp" "$ROOT/bench/results/latest.txt"
		log "saved bench/results/latest.txt"
	else
		report
	fi
}

main "$@"
