# shellcheck shell=bash
# scale.sh: how the cost of wgdesk grows with routes and with stored
# tunnels (issue 15, item 4). bench.sh sources it; scale_measure runs in
# its lab after the other figures, scale_report prints the section.
#
# Activation with N AllowedIPs prefixes: the client config's peer routes N
# disjoint prefixes, 10.77.0.0/24 (the ping target's) and N-1 /24s from
# 10.78.0.0 upward, written 50 to an AllowedIPs line. None covers the
# veth subnet, so the endpoint stays reachable outside the tunnel. The
# server keeps its one-peer config: only the client's routes grow. wgdesk
# and wg-quick with the newest wireguard-go (wg-quick adds one route per
# `ip` call) each activate the same config, timed by bench/probe.
#
# Stored tunnels: a fresh wgdesk service of its own (own socket and state
# dir, in the client namespace) is given 1, then 50, then 500 imported
# tunnels, none up, and restarted after each step, as a desktop's service
# is after a reboot; then it answers SCALE_LIST_REQS `GET /v1/tunnels`
# (curl over the socket, its time_total; the median) and its VmRSS is read;
# then once more with one of the 500 up.
#
# Knobs: BENCH_SCALE=0 skips it all; BENCH_SCALE_ROUTES and
# BENCH_SCALE_TUNNELS replace the sizes; BENCH_SCALE_TIMEOUT (180 s) bounds
# one activation, after which wg-quick's figure counts as a lower bound.

BENCH_SCALE=${BENCH_SCALE:-1}
SCALE_ROUTES=${BENCH_SCALE_ROUTES:-1 100 1000 10000}
SCALE_TUNNELS=${BENCH_SCALE_TUNNELS:-1 50 500}
SCALE_LIST_REQS=50
SCALE_TIMEOUT=${BENCH_SCALE_TIMEOUT:-180} # seconds a cycle may take
SCALE_PID=  # the scale section's own wgdesk service
SCALE_SOCK= # and its socket

# scale_cycles prints the activation cycles for n prefixes: fewer for the
# big lists, where wg-quick alone takes seconds to tens of seconds a cycle.
scale_cycles() {
	if [ "$1" -ge 10000 ]; then
		echo 1
	elif [ "$1" -ge 1000 ]; then
		echo 2
	else
		echo 3
	fi
}

# scale_allowed_ips prints the AllowedIPs lines of n disjoint prefixes:
# 10.77.0.0/24 first, then 10.78.0.0/24, 10.78.1.0/24, … (10,000 reach
# 10.117.14.0/24), 50 to a line.
scale_allowed_ips() {
	awk -v n="$1" 'BEGIN {
		line = "10.77.0.0/24"; k = 1
		for (i = 0; i < n - 1; i++) {
			p = sprintf("10.%d.%d.0/24", 78 + int(i / 256), i % 256)
			if (k == 50) { print "AllowedIPs = " line; line = p; k = 1 } else { line = line ", " p; k++ }
		}
		print "AllowedIPs = " line
	}'
}

# scale_config writes the bench's client config with n prefixes to $2.
scale_config() {
	local n=$1 out=$2
	umask 077
	{
		printf '[Interface]\nPrivateKey = %s\nAddress = %s/32\nMTU = %s\n\n[Peer]\nPublicKey = %s\n' \
			"$CLIENT_KEY" "$TUN_CLIENT" "$MTU" "$SERVER_PUB"
		scale_allowed_ips "$n"
		printf 'Endpoint = %s:%s\nPersistentKeepalive = 25\n' "$VETH_SERVER" "$WG_PORT"
	} >"$out"
	umask 022
}

# scale_service_start starts a wgdesk service on state dir $1 (kept across
# restarts) and waits for its socket.
scale_service_start() {
	local state=$1
	SCALE_SOCK=$TMP/scale-run/wgdesk.sock
	mkdir -p "$TMP/scale-run" "$state"
	rm -f "$SCALE_SOCK"
	ip netns exec "$NS_C" "$WGDESK_SERVICE" service --socket "$SCALE_SOCK" --state-dir "$state" \
		--dns-mode direct >>"$TMP/wgdesk-scale-service.log" 2>&1 &
	SCALE_PID=$!
	PIDS+=("$SCALE_PID")
	wait_until "the scale wgdesk service socket" 300 test -S "$SCALE_SOCK"
	kill -0 "$SCALE_PID" || die "the scale wgdesk service exited: $(tail -5 "$TMP/wgdesk-scale-service.log")"
}

scale_service_stop() {
	[ -n "$SCALE_PID" ] || return 0
	kill -TERM "$SCALE_PID"
	wait "$SCALE_PID" || log "the scale wgdesk service exited with status $? on SIGTERM"
	SCALE_PID=
}

# scale_activation times activation to the first ping of client c with
# the n-prefix config at $3 and records c.scale_first_ping_ms_n and
# c.scale_up_return_ms_n (medians), and the cycles taken.
scale_activation() {
	local c=$1 n=$2 conf=$3 cycles i out up down
	cycles=$(scale_cycles "$n")
	case $c in
	wgdesk)
		up=("$WGDESK" up --socket "$SCALE_SOCK" "scale$n")
		down=("$WGDESK" down --socket "$SCALE_SOCK" "scale$n")
		;;
	wgquick_newest)
		up=(env "WG_QUICK_USERSPACE_IMPLEMENTATION=$NEWEST_WG" LOG_LEVEL=error wg-quick up "$conf")
		down=(wg-quick down "$conf")
		;;
	esac
	: >"$TMP/scale.up"
	: >"$TMP/scale.ping"
	for i in $(seq "$cycles"); do
		if ! out=$(ns_c "$PROBE" -target "$TUN_SERVER" -timeout "${SCALE_TIMEOUT}s" -log "$TMP/$c-scale-cmd.log" -- "${up[@]}" 2>&1); then
			# wg-quick's route loop is quadratic: on a slow machine it may
			# outlast the timeout. The probe then killed it; its figure is
			# a lower bound, and the interface is taken down as usual.
			case $c:$out in
			wgquick_*:*"did not return within"*)
				echo "$((SCALE_TIMEOUT * 1000))" | tee -a "$TMP/scale.up" >>"$TMP/scale.ping"
				R["$c.scale_lower_bound_$n"]=1
				log "scale: $c with $n prefixes did not return within ${SCALE_TIMEOUT}s; its figures are lower bounds"
				;;
			*) die "$c: activation with $n prefixes failed ($out): $(tail -5 "$TMP/$c-scale-cmd.log")" ;;
			esac
		fi
		sed -n 's/.*return_ms=\([0-9.]*\).*/\1/p' <<<"$out" >>"$TMP/scale.up"
		sed -n 's/.*first_ping_ms=\([0-9.]*\).*/\1/p' <<<"$out" >>"$TMP/scale.ping"
		ns_c "${down[@]}" >>"$TMP/$c-scale-cmd.log" 2>&1 || die "$c: down with $n prefixes failed: $(tail -5 "$TMP/$c-scale-cmd.log")"
		[ "$c" = wgdesk ] || wgquick_wait_down
	done
	R[$c.scale_up_return_ms_$n]=$(median <"$TMP/scale.up")
	R[$c.scale_first_ping_ms_$n]=$(median <"$TMP/scale.ping")
	R["scale.cycles_$n"]=$cycles
	log "scale: $c with $n prefixes: ${R[$c.scale_up_return_ms_$n]} ms to return, ${R[$c.scale_first_ping_ms_$n]} ms to first ping ($cycles cycles)"
}

# scale_tunnel_config prints a small stored tunnel, the i-th: its own key,
# address and peer, none of them routed over another's.
scale_tunnel_config() {
	local i=$1
	printf '[Interface]\nPrivateKey = %s\nAddress = 10.%d.%d.2/32\n\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.%d.%d.0/24\nEndpoint = 192.0.2.%d:51820\n' \
		"$CLIENT_KEY" $((200 + i / 256)) $((i % 256)) "$SERVER_PUB" $((200 + i / 256)) $((i % 256)) $((1 + i % 250))
}

# scale_list_ms prints the median time in ms of SCALE_LIST_REQS
# `GET /v1/tunnels` to the scale service, and checks the count it lists.
scale_list_ms() {
	local want=$1 got i
	got=$(curl -sS --unix-socket "$SCALE_SOCK" http://wgdesk/v1/tunnels | jq length)
	[ "$got" = "$want" ] || die "scale: the service lists $got tunnels, $want stored"
	for i in $(seq "$SCALE_LIST_REQS"); do
		curl -sS -o /dev/null -w '%{time_total}\n' --unix-socket "$SCALE_SOCK" http://wgdesk/v1/tunnels
	done | awk '{ print $1 * 1000 }' | median
}

# scale_tunnels records the scale service's RSS and list latency with 1,
# 50 and 500 stored tunnels.
scale_tunnels() {
	local state=$TMP/scale-state-tunnels have=0 t i
	mkdir -p "$TMP/scale-tunnels"
	scale_service_start "$state"
	for t in $SCALE_TUNNELS; do
		for ((i = have + 1; i <= t; i++)); do
			scale_tunnel_config "$i" >"$TMP/scale-tunnels/s$i.conf"
			"$WGDESK" import --socket "$SCALE_SOCK" --name "s$i" "$TMP/scale-tunnels/s$i.conf" >>"$TMP/wgdesk-scale-cli.log" 2>&1 ||
				die "scale: wgdesk import of tunnel $i failed: $(tail -5 "$TMP/wgdesk-scale-cli.log")"
		done
		have=$t
		# A restart, as after a reboot: the service loads what is stored.
		scale_service_stop
		scale_service_start "$state"
		R["wgdesk.scale_list_ms_$t"]=$(scale_list_ms "$t")
		R["wgdesk.scale_rss_mb_$t"]=$(status_mb "$SCALE_PID" VmRSS)
		R["wgdesk.scale_rss_anon_mb_$t"]=$(status_mb "$SCALE_PID" RssAnon)
		log "scale: $t stored tunnels: RSS ${R[wgdesk.scale_rss_mb_$t]} MB (anon ${R[wgdesk.scale_rss_anon_mb_$t]}), GET /v1/tunnels ${R[wgdesk.scale_list_ms_$t]} ms"
	done
	# The same with one of them up: its endpoint (192.0.2.1) has no route
	# in the lab, so it comes up without a handshake and sends nothing out.
	"$WGDESK" up --socket "$SCALE_SOCK" s1 >>"$TMP/wgdesk-scale-cli.log" 2>&1 ||
		die "scale: wgdesk up s1 failed: $(tail -5 "$TMP/wgdesk-scale-cli.log")"
	R["wgdesk.scale_list_ms_${have}_one_up"]=$(scale_list_ms "$have")
	R["wgdesk.scale_rss_mb_${have}_one_up"]=$(status_mb "$SCALE_PID" VmRSS)
	log "scale: $have stored tunnels, one up: RSS ${R[wgdesk.scale_rss_mb_${have}_one_up]} MB, GET /v1/tunnels ${R[wgdesk.scale_list_ms_${have}_one_up]} ms"
	"$WGDESK" down --socket "$SCALE_SOCK" s1 >>"$TMP/wgdesk-scale-cli.log" 2>&1 ||
		die "scale: wgdesk down s1 failed: $(tail -5 "$TMP/wgdesk-scale-cli.log")"
	scale_service_stop
}

# scale_measure is the hook bench.sh calls: the whole scale section, for
# the clients of BENCH_CLIENTS it covers (wgdesk, wgquick_newest).
scale_measure() {
	[ "$BENCH_SCALE" = 1 ] || return 0
	local t0 n c
	t0=$(date +%s)
	mkdir -p "$TMP/scale"
	case " $BENCH_CLIENTS " in *" wgdesk "*)
		command -v curl >/dev/null || die "curl is missing (make bench installs it)"
		scale_tunnels
		scale_service_start "$TMP/scale-state-routes"
		;;
	esac
	for n in $SCALE_ROUTES; do
		# wg-quick names the interface after the file: the lab's $IF_C.
		scale_config "$n" "$TMP/scale/$IF_C.conf"
		for c in wgdesk wgquick_newest; do
			case " $BENCH_CLIENTS " in *" $c "*) ;; *) continue ;; esac
			if [ "$c" = wgdesk ]; then
				"$WGDESK" import --socket "$SCALE_SOCK" --name "scale$n" "$TMP/scale/$IF_C.conf" >>"$TMP/wgdesk-scale-cli.log" 2>&1 ||
					die "scale: wgdesk import with $n prefixes failed: $(tail -5 "$TMP/wgdesk-scale-cli.log")"
			fi
			scale_activation "$c" "$n" "$TMP/scale/$IF_C.conf"
		done
	done
	scale_service_stop
	R["scale.seconds"]=$(($(date +%s) - t0))
}

# scale_growth prints "slope1 slope2 verdict" of series key over sizes a <
# b < c: the growth per unit from a to b and from b to c, and whether the
# second slope is within a factor 2 of the first (linear), below it
# (sublinear: fixed costs dominate) or above it (superlinear); a slope
# that is not positive says nothing either way.
scale_growth() {
	local key=$1 a=$2 b=$3 c=$4
	awk -v ya="$(get wgdesk "${key}_$a")" -v yb="$(get wgdesk "${key}_$b")" -v yc="$(get wgdesk "${key}_$c")" \
		-v a="$a" -v b="$b" -v c="$c" 'BEGIN {
		if (ya == "n/a" || yb == "n/a" || yc == "n/a") { print "n/a n/a not measured"; exit }
		s1 = (yb - ya) / (b - a); s2 = (yc - yb) / (c - b)
		if (s1 <= 0 || s2 <= 0) v = "flat or within noise"
		else if (s2 > 2 * s1) v = "superlinear"
		else if (s2 < s1 / 2) v = "sublinear"
		else v = "linear"
		printf "%.4g %.4g %s\n", s1, s2, v
	}'
}

# scale_get prints figure key_n of client c, with ">=" when it is a lower
# bound (the command outlasted the timeout).
scale_get() {
	local c=$1 key=$2 n=$3
	if [ -n "${R[$c.scale_lower_bound_$n]+set}" ]; then
		echo ">=$(get "$c" "${key}_$n")"
	else
		get "$c" "${key}_$n"
	fi
}

# scale_report prints the scale section of the report (nothing when it
# did not run).
scale_report() {
	[ -n "${R[scale.seconds]+set}" ] || return 0
	local fmt='%-40s %14s %22s\n' n t
	echo
	echo "scale: activation with N AllowedIPs prefixes (disjoint /24s), median of 3 cycles (2 for 1,000, 1 for 10,000);"
	echo "stored tunnels: a fresh service restarted with T tunnels, none up; GET /v1/tunnels median of $SCALE_LIST_REQS; ${R[scale.seconds]} s in all"
	# shellcheck disable=SC2059
	printf "$fmt" "figure" "wgdesk" "wg-quick+newest wg-go"
	for n in $SCALE_ROUTES; do
		# shellcheck disable=SC2059
		printf "$fmt" "up, $n prefixes: returns (ms)" "$(scale_get wgdesk scale_up_return_ms "$n")" "$(scale_get wgquick_newest scale_up_return_ms "$n")"
		# shellcheck disable=SC2059
		printf "$fmt" "up, $n prefixes: first ping (ms)" "$(scale_get wgdesk scale_first_ping_ms "$n")" "$(scale_get wgquick_newest scale_first_ping_ms "$n")"
	done
	for t in $SCALE_TUNNELS; do
		# shellcheck disable=SC2059
		printf "$fmt" "$t stored tunnels: RSS (MB)" "$(get wgdesk "scale_rss_mb_$t")" ""
		# shellcheck disable=SC2059
		printf "$fmt" "$t stored tunnels: RssAnon (MB)" "$(get wgdesk "scale_rss_anon_mb_$t")" ""
		# shellcheck disable=SC2059
		printf "$fmt" "$t stored tunnels: GET /v1/tunnels (ms)" "$(get wgdesk "scale_list_ms_$t")" ""
	done
	# shellcheck disable=SC2059
	printf "$fmt" "$t stored, one up: RSS (MB)" "$(get wgdesk "scale_rss_mb_${t}_one_up")" ""
	# shellcheck disable=SC2059
	printf "$fmt" "$t stored, one up: GET /v1/tunnels (ms)" "$(get wgdesk "scale_list_ms_${t}_one_up")" ""
	local -a sizes g
	read -ra sizes <<<"$SCALE_TUNNELS"
	if [ "${#sizes[@]}" = 3 ]; then
		read -ra g <<<"$(scale_growth scale_rss_mb "${sizes[@]}")"
		echo "growth with stored tunnels: RSS ${g[0]} MB per tunnel from ${sizes[0]} to ${sizes[1]}, ${g[1]} from ${sizes[1]} to ${sizes[2]}: ${g[*]:2}"
		read -ra g <<<"$(scale_growth scale_list_ms "${sizes[@]}")"
		echo "growth with stored tunnels: GET /v1/tunnels ${g[0]} ms per tunnel from ${sizes[0]} to ${sizes[1]}, ${g[1]} from ${sizes[1]} to ${sizes[2]}: ${g[*]:2}"
	fi
	read -ra sizes <<<"$SCALE_ROUTES"
	if [ "${#sizes[@]}" -ge 3 ]; then
		read -ra g <<<"$(scale_growth scale_first_ping_ms "${sizes[-3]}" "${sizes[-2]}" "${sizes[-1]}")"
		echo "growth with prefixes: wgdesk's first ping ${g[0]} ms per prefix from ${sizes[-3]} to ${sizes[-2]}, ${g[1]} from ${sizes[-2]} to ${sizes[-1]}: ${g[*]:2}"
	fi
	# The figures as summary lines, client_key: value.
	local key
	for key in $(printf '%s\n' "${!R[@]}" | grep '^[a-z_]*\.scale_' | sort -V || true); do
		echo "${key/./_}: ${R[$key]}"
	done
}
