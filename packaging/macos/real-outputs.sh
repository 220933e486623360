#!/usr/bin/env bash
# Records what a real Mac's network tools print, in the layout of
# platform/testdata/macos-real (its README.md), and compares two phases.
# Used by .github/workflows/macos.yml on GitHub's Mac runners, as root.
#
#   real-outputs.sh record DIR PHASE   writes DIR/PHASE/<command>.txt
#   real-outputs.sh compare DIR A B    fails unless phases A and B have the
#                                      same routes (cloned and link-layer
#                                      entries, which come and go, left out)
#                                      and the same DNS settings
#
# Environment: SOURCE_URL (the header's source; default the workflow
# run's URL), PF_ANCHOR (the kill switch's pf anchor, recorded in the
# full-up phase).
#
# Written for macOS's own bash 3.2 (sudo runs /bin/bash).
set -euo pipefail

PF_ANCHOR=${PF_ANCHOR:-com.apple/190.wgdesk}
SOURCE_URL=${SOURCE_URL:-${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-wgdesk/wgdesk}/actions/runs/${GITHUB_RUN_ID:-0}}

usage() {
	echo "usage: real-outputs.sh record DIR PHASE | compare DIR PHASE_A PHASE_B" >&2
	exit 2
}

# service_file NAME: the service's name as a file name part.
service_file() {
	printf '%s' "$1" | tr -c 'A-Za-z0-9.-' '_'
}

# services: the network services networksetup lists, disabled ones too.
services() {
	networksetup -listallnetworkservices | sed -e '1d' -e 's/^\*//'
}

# record_one FILE COMMAND...: the header, then what the command prints
# on both streams; a failing command is recorded too ("not in table").
record_one() {
	local file=$1
	shift
	{
		echo "# source: $SOURCE_URL"
		echo "# command: $*"
		echo "# note: macOS $(sw_vers -productVersion) on $(uname -m), phase $phase"
		"$@" 2>&1 || true
	} >"$out/$file"
}

record() {
	local dir=$1
	phase=$2
	out=$dir/$phase
	mkdir -p "$out"
	record_one route-get-default.txt route -n get default
	record_one route-get-default-inet6.txt route -n get -inet6 default
	record_one netstat-nr-inet.txt netstat -nr -f inet
	record_one netstat-nr-inet6.txt netstat -nr -f inet6
	record_one ifconfig.txt ifconfig
	record_one networksetup-listallnetworkservices.txt networksetup -listallnetworkservices
	local service name
	while IFS= read -r service; do
		[ -n "$service" ] || continue
		name=$(service_file "$service")
		record_one "networksetup-getdnsservers-$name.txt" networksetup -getdnsservers "$service"
		record_one "networksetup-getsearchdomains-$name.txt" networksetup -getsearchdomains "$service"
	done < <(services)
	record_one scutil-dns.txt scutil --dns
	case $phase in
	full-up) record_one pfctl-wgdesk-rules.txt pfctl -a "$PF_ANCHOR" -s rules ;;
	esac
}

# body FILE: the output without the header.
body() {
	sed '/^# /d' "$1"
}

# routes FILE: netstat's routes that stay put: no cloned (W) or
# link-layer (L) entries, no expiry column.
routes() {
	body "$1" | awk 'NF >= 4 && $1 != "Destination" && $3 !~ /[WL]/ { print $1, $2, $3, $4 }' | sort
}

compare() {
	local dir=$1 a=$2 b=$3 f name failed=0
	for f in netstat-nr-inet.txt netstat-nr-inet6.txt; do
		if ! diff -u <(routes "$dir/$a/$f") <(routes "$dir/$b/$f"); then
			echo "routes differ between $a and $b ($f)" >&2
			failed=1
		fi
	done
	for f in "$dir/$a"/networksetup-*.txt; do
		name=$(basename "$f")
		if ! diff -u <(body "$f") <(body "$dir/$b/$name"); then
			echo "$name differs between $a and $b" >&2
			failed=1
		fi
	done
	return "$failed"
}

[ $# -ge 1 ] || usage
case $1 in
record)
	[ $# -eq 3 ] || usage
	record "$2" "$3"
	;;
compare)
	[ $# -eq 4 ] || usage
	compare "$2" "$3" "$4"
	;;
*) usage ;;
esac
