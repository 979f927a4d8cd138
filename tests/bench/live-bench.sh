#!/bin/bash
# live-bench.sh: commands on live containers, berth vs runc vs crun, interleaved rounds, medians.
#   exec      `exec ID /bin/true` into a running container (wall time of the runtime command)
#   list100   `list` with 100 containers (created, each with a waiting init) in the runtime's --root
#   delete-f  `delete -f ID` of a running container (SIGKILL, wait, cgroup and state removal)
# Targets (issue 3): exec <= 0.7x crun, list at 100 <= crun, delete -f <= crun.
#
# crun 1.8 refuses this hybrid host unless the cgroup2 mount's cgroup.controllers looks empty
# (see notes/host-quirks.md). Instead of paying an `unshare` wrapper on every crun call, the whole
# benchmark re-runs itself once in a private mount namespace with an empty file bound over
# /sys/fs/cgroup/unified/cgroup.controllers: every runtime sees the same view, nobody pays a wrapper.
# The host is not changed. Container cgroups go beneath this process's own cgroup.
#
# Usage: tests/bench/live-bench.sh [ROUNDS]   (default 30; env: BERTH, RUNC, CRUN, RUNTIMES, LIST_N)
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
ROUNDS=${1:-30}
: "${BERTH:=$TOP/build/runtime/berth}" "${RUNC:=$(command -v runc || true)}" "${CRUN:=$(command -v crun || true)}"
LIST_N=${LIST_N:-100}
[ "$(id -u)" = 0 ] || { echo "live-bench: needs root" >&2; exit 1; }

if [ -z "${LIVE_BENCH_INNER:-}" ]; then
	export LIVE_BENCH_INNER=1 BERTH RUNC CRUN LIST_N
	u=/sys/fs/cgroup/unified/cgroup.controllers
	if [ -e "$u" ] && grep -q . "$u"; then
		exec unshare -m --propagation private bash -c 'f=$(mktemp); mount --bind "$f" "$1"; rm -f "$f"; shift; exec "$@"' \
			_ "$u" "$0" "$@"
	fi
fi

declare -A BIN=([berth]=$BERTH [runc]=$RUNC [crun]=$CRUN)
RTS=()
for r in ${RUNTIMES:-berth runc crun}; do
	if [ -n "${BIN[$r]}" ] && [ -x "${BIN[$r]}" ]; then RTS+=("$r"); else echo "# $r: not found, skipped" >&2; fi
done

own_cgroup() {
	local best=/ line path
	while IFS= read -r line; do path=${line#*:*:}; [ ${#path} -gt ${#best} ] && best=$path; done </proc/self/cgroup
	echo "${best%/}"
}
WORK=$(mktemp -d /tmp/live-bench.XXXXXX)
CG_BASE=$(own_cgroup)/live-bench-$$
cleanup() {
	local r id
	for r in "${RTS[@]}"; do
		for id in $("${BIN[$r]}" --root "$WORK/root-$r" list -q 2>/dev/null); do
			"${BIN[$r]}" --root "$WORK/root-$r" delete -f "$id" >/dev/null 2>&1 || true
		done
	done
	local m
	for m in $(awk '$9 ~ /^cgroup2?$/ { print $5 }' /proc/self/mountinfo); do
		[ -d "$m$CG_BASE" ] && find "$m$CG_BASE" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

B=$WORK/bundle
mkdir -p "$B"
"$TOP/tests/lib/make-rootfs.sh" "$B/rootfs" >/dev/null
(cd "$B" && "$BERTH" spec)
jq --arg cg "$CG_BASE" '.process.terminal = false | .process.args = ["sleep", "100000"]
	| .linux.cgroupsPath = ($cg + "/placeholder")' "$B/config.json" >"$B/c" && mv "$B/c" "$B/config.json"

SEQ=0
# new_bundle_cg ID: point the shared bundle's cgroupsPath at a fresh dir (runtimes read config.json
# at create time only).
set_cg() { jq --arg cg "$CG_BASE/$1" '.linux.cgroupsPath = $cg' "$B/config.json" >"$B/c" && mv "$B/c" "$B/config.json"; }
rt() { local r=$1; shift; "${BIN[$r]}" --root "$WORK/root-$r" "$@"; }
new_running() { local r=$1 id="$1-$((SEQ += 1))"; set_cg "$id"; rt "$r" run -d --bundle "$B" "$id" </dev/null >/dev/null; echo "$id"; }

# time_ms CMD...: wall time in ms (3 decimals) of CMD, output discarded; fails if CMD fails.
time_ms() {
	local t0=$EPOCHREALTIME t1
	"$@" >/dev/null 2>&1 </dev/null || { echo "live-bench: failed: $*" >&2; return 1; }
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A SAMPLES
add() { SAMPLES[$1/$2]+="$3 "; }

# ---------------------------------------------------------------------------------------- exec
declare -A EXEC_ID
for r in "${RTS[@]}"; do EXEC_ID[$r]=$(new_running "$r"); done
for r in "${RTS[@]}"; do rt "$r" exec "${EXEC_ID[$r]}" /bin/true >/dev/null; done # warm-up
for ((i = 0; i < ROUNDS; i++)); do
	for r in "${RTS[@]}"; do add exec "$r" "$(time_ms rt "$r" exec "${EXEC_ID[$r]}" /bin/true)"; done
done
for r in "${RTS[@]}"; do rt "$r" delete -f "${EXEC_ID[$r]}"; done

# ------------------------------------------------------------------------------------ delete -f
for ((i = 0; i < ROUNDS; i++)); do
	for r in "${RTS[@]}"; do
		id=$(new_running "$r")
		add delete-f "$r" "$(time_ms rt "$r" delete -f "$id")"
	done
done

# -------------------------------------------------------------------------------------- list
for r in "${RTS[@]}"; do
	for ((k = 0; k < LIST_N; k++)); do
		id="$r-list-$k"; set_cg "$id"
		rt "$r" create --bundle "$B" "$id" </dev/null >/dev/null
	done
	n=$(rt "$r" list -q | wc -l)
	[ "$n" = "$LIST_N" ] || echo "# $r: list shows $n containers, expected $LIST_N" >&2
	rt "$r" list >/dev/null
done
for ((i = 0; i < ROUNDS; i++)); do
	for r in "${RTS[@]}"; do add list$LIST_N "$r" "$(time_ms rt "$r" list)"; done
done

# ------------------------------------------------------------------------------------- report
echo "# live-bench: $ROUNDS interleaved rounds, medians in ms ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); kernel $(uname -r))"
echo "# cgroups: $(stat -f -c %T /sys/fs/cgroup)$([ -d /sys/fs/cgroup/unified ] && echo " + unified cgroup2, controllers seen: '$(cat /sys/fs/cgroup/unified/cgroup.controllers)'"); every runtime called bare in one private mount namespace"
for r in "${RTS[@]}"; do echo "# $r: $("${BIN[$r]}" --version 2>/dev/null | head -1)"; done
# Ratio columns: berth against each other runtime measured in this run (none without berth).
PEERS=()
if [[ " ${RTS[*]} " == *" berth "* ]]; then for r in "${RTS[@]}"; do [ "$r" = berth ] || PEERS+=("$r"); done; fi
printf '%-10s' bench; for r in "${RTS[@]}"; do printf '%10s' "$r"; done
for p in "${PEERS[@]}"; do printf '%14s' "berth/$p"; done; echo
declare -A TARGET=([exec]=0.7 [delete-f]=1.0 [list$LIST_N]=1.0)
status=0
for bench in exec "list$LIST_N" delete-f; do
	declare -A MED=()
	printf '%-10s' "$bench"
	for r in "${RTS[@]}"; do MED[$r]=$(tr ' ' '\n' <<<"${SAMPLES[$bench/$r]}" | grep . | median); printf '%10s' "${MED[$r]}"; done
	verdict=
	for p in "${PEERS[@]}"; do
		ratio=$(awk -v a="${MED[berth]}" -v b="${MED[$p]}" 'BEGIN { printf "%.2f", a / b }')
		printf '%14s' "$ratio"
		[ "$p" = crun ] || continue # the targets are against crun
		if awk -v x="$ratio" -v t="${TARGET[$bench]}" 'BEGIN { exit !(x <= t) }'; then verdict="ok (<= ${TARGET[$bench]})"
		else verdict="MISSED (target <= ${TARGET[$bench]})"; status=1; fi
	done
	echo "  $verdict"
	unset MED
done
exit $status
