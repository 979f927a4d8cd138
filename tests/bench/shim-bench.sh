#!/bin/bash
# shim-bench.sh — berth-shim vs conmon, interleaved, same runtime (runc by default):
#   * idle PSS / RSS of the supervisor of a sleeping container (/proc/PID/smaps_rollup)
#   * CPU (user+sys of the supervisor) per MiB of container output through a k8s-file log
#   * create: shim invocation -> PID on the sync pipe (includes the runtime's create)
# Usage: tests/bench/shim-bench.sh [ROUNDS]   env: SHIM=build/shim/berth-shim CONMON=/usr/bin/conmon
#        RUNTIME=/usr/bin/runc LOG_MIB=128 N_IDLE=8 (idle supervisors measured at once)
# Needs root. Containers' cgroups are created beneath this process's own cgroup.
set -euo pipefail
ROUNDS=${1:-5}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SHIM=${SHIM:-$TOP/build/shim/berth-shim}
CONMON=${CONMON:-/usr/bin/conmon}
RUNTIME=${RUNTIME:-/usr/bin/runc}
LOG_MIB=${LOG_MIB:-128}
N_IDLE=${N_IDLE:-8}
[ -x "$SHIM" ] || { echo "no $SHIM (meson compile -C build)" >&2; exit 1; }
[ -x "$CONMON" ] || { echo "no $CONMON (apt-get install conmon)" >&2; exit 1; }

W=$(mktemp -d /tmp/shim-bench.XXXXXX)
ROOT=$W/rt-root
own_cg() { local best=/ line path; while IFS= read -r line; do path=${line#*:*:}; [ ${#path} -gt ${#best} ] && best=$path; done </proc/self/cgroup; echo "${best%/}"; }
CG=$(own_cg)/shim-bench-$$
cleanup() {
	local id
	for id in $("$RUNTIME" --root "$ROOT" list -q 2>/dev/null); do "$RUNTIME" --root "$ROOT" delete -f "$id" >/dev/null 2>&1 || true; done
	rm -rf "$W"
	local m
	for m in $(awk '$9 ~ /^cgroup2?$/ { print $5 }' /proc/self/mountinfo); do
		[ -d "$m$CG" ] && find "$m$CG" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
}
trap cleanup EXIT

"$TOP/tests/lib/make-rootfs.sh" "$W/rootfs" >/dev/null
mk_bundle() { # DIR ARGS-JSON
	mkdir -p "$1"
	(cd "$1" && "$RUNTIME" spec)
	jq --argjson a "$2" --arg rootfs "$W/rootfs" --arg cg "$CG/$(basename "$1")-$RANDOM" \
		'.process.terminal = false | .process.args = $a | .linux.cgroupsPath = $cg | .root.readonly = false | .root.path = $rootfs' \
		"$1/config.json" >"$1/c" && mv "$1/c" "$1/config.json"
}

SEQ=0
# run_shim BIN BUNDLE LOG -> sets ID SHIMPID CREATE_NS
run_shim() {
	local bin=$1 b=$2 log=$3
	SEQ=$((SEQ + 1)); ID=bench-$$-$SEQ
	rm -f "$W/sync" "$W/start"; mkfifo "$W/sync" "$W/start"
	exec {sfd}<>"$W/sync" {tfd}<>"$W/start"
	printf '\0' >&"$tfd"
	local t0 t1 line
	t0=$(date +%s%N)
	_OCI_SYNCPIPE=$sfd _OCI_STARTPIPE=$tfd "$bin" --api-version 1 -c "$ID" -u "$ID" -r "$RUNTIME" -b "$b" \
		-p "$W/$ID.pid" -n "$ID" --exit-dir "$W/exits" --full-attach -l "k8s-file:$log" \
		--runtime-arg --root --runtime-arg "$ROOT" --conmon-pidfile "$W/$ID.shim" --log-level error
	read -r -t 30 -u "$sfd" line
	t1=$(date +%s%N)
	exec {sfd}>&- {tfd}>&-
	CREATE_NS=$((t1 - t0))
	SHIMPID=$(cat "$W/$ID.shim")
	case $line in *'"data": -'*) echo "create failed: $line" >&2; exit 1 ;; esac
}
finish() { # ID SHIMPID
	"$RUNTIME" --root "$ROOT" kill "$1" KILL 2>/dev/null || true
	local i=0; while kill -0 "$2" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	"$RUNTIME" --root "$ROOT" delete -f "$1" >/dev/null 2>&1 || true
}
cpu_ticks() { local s; s=$(cat "/proc/$1/stat"); s=${s##*) }; set -- $s; echo $((${12} + ${13})); }
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

mkdir -p "$W/exits"
mk_bundle "$W/idle" '["sleep","1000"]'
mk_bundle "$W/log" "$(jq -nc --arg n "$LOG_MIB" '["sh","-c",("while [ ! -e /go ]; do sleep 0.02; done; yes \"$(head -c 99 /dev/zero | tr \"\\0\" a)\" | head -c " + (($n|tonumber) * 1048576 | tostring) + "; echo; echo END; sleep 1000")]')"
TCK=$(getconf CLK_TCK)

for r in $(seq "$ROUNDS"); do
	# The order alternates between rounds: whoever goes first meets the previous round's cleanup.
	kinds="berth-shim conmon"; [ $((r % 2)) = 0 ] && kinds="conmon berth-shim"
	for kind in $kinds; do
		bin=$SHIM; [ $kind = conmon ] && bin=$CONMON
		# idle memory (N_IDLE supervisors at once: PSS divides pages shared between them) + create time
		ids=() pids=()
		for n in $(seq "$N_IDLE"); do
			run_shim "$bin" "$W/idle" "$W/idle.log"
			echo "$CREATE_NS" >>"$W/$kind.create"
			"$RUNTIME" --root "$ROOT" start "$ID"
			ids+=("$ID"); pids+=("$SHIMPID")
		done
		sleep 0.5
		for p in "${pids[@]}"; do cat "/proc/$p/smaps_rollup"; done |
			awk -v n="$N_IDLE" '/^Pss:/ { p += $2 } /^Rss:/ { r += $2 } /^Pss_Anon:/ { a += $2 } END { print p / n, r / n, a / n }' >>"$W/$kind.mem"
		for n in "${!ids[@]}"; do finish "${ids[$n]}" "${pids[$n]}"; done
		# log throughput
		rm -f "$W/log/rootfs/go" "$W/ctr.log"
		run_shim "$bin" "$W/log" "$W/ctr.log"
		"$RUNTIME" --root "$ROOT" start "$ID"
		c0=$(cpu_ticks "$SHIMPID")
		touch "$W/rootfs/go"
		i=0; while ! tail -c 200 "$W/ctr.log" 2>/dev/null | grep -q ' F END$' && [ $i -lt 6000 ]; do sleep 0.05; i=$((i + 1)); done
		c1=$(cpu_ticks "$SHIMPID")
		rm -f "$W/rootfs/go"
		echo "$(( (c1 - c0) * 1000 / TCK ))" >>"$W/$kind.logcpu"
		finish "$ID" "$SHIMPID"
	done
done

report() { # NAME FILE-SUFFIX COLUMN SCALE UNIT
	local b c
	b=$(awk -v c="$3" '{ print $c }' "$W/berth-shim.$2" | median)
	c=$(awk -v c="$3" '{ print $c }' "$W/conmon.$2" | median)
	awk -v n="$1" -v b="$b" -v c="$c" -v s="$4" -v u="$5" \
		'BEGIN { printf "%-34s berth-shim %9.3f %-7s conmon %9.3f %-7s ratio %.2f\n", n, b / s, u, c / s, u, (c ? b / c : 0) }'
}
echo "# $ROUNDS interleaved rounds, runtime $RUNTIME, $N_IDLE idle supervisors at once, ${LOG_MIB} MiB of log, medians"
report "idle PSS per supervisor" mem 1 1024 MiB
report "idle RSS per supervisor" mem 2 1024 MiB
report "idle anonymous PSS per supervisor" mem 3 1024 MiB
report "log CPU per MiB (k8s-file)" logcpu 1 "$LOG_MIB" ms/MiB
report "create (invocation -> sync pid)" create 1 1000000 ms
