#!/bin/bash
# checkpoint-bench.sh — `checkpoint` and `restore -d` of the same kind of busybox container (a shell
# loop holding ~8 MiB of memory) with berth and with runc, interleaved in one run: wall time of each
# command (CRIU's work included; both runtimes run the same criu), median, ratio berth/runc.
# runc always leaves the network namespace empty (criu --empty-ns net: "runc doesn't manage network
# devices"); berth dumps and restores it unless told --empty-ns network. Both are measured: "berth"
# (default, more work) and "berth-emptyns" (the same work as runc).
# Needs a kernel CRIU 3.17 supports: this host's does not, so run it in the v2 VM:
#     ../shared/v2vm/run-in-v2vm "$PWD" bash tests/bench/checkpoint-bench.sh [ROUNDS (default 5)]
# (times there are under software emulation: compare the ratios, not the absolute times).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
BERTH=${BERTH:-$top/build/runtime/berth}
RUNC=${RUNC:-runc}
N=${1:-5}
[ "$(id -u)" = 0 ] || { echo "checkpoint-bench: needs root" >&2; exit 1; }
criu check >/dev/null 2>&1 || { echo "checkpoint-bench: criu check fails on this kernel ($(uname -r))" >&2; exit 1; }
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd   # the v2 VM has no /dev/fd (process substitution)

work=$(mktemp -d /tmp/berth-cr-bench.XXXXXX)
own=/; while IFS= read -r l; do p=${l#*:*:}; [ ${#p} -gt ${#own} ] && own=$p; done </proc/self/cgroup
cgbase=${own%/}/berth-cr-bench-$$
cleanup() {
	set +e
	"$BERTH" --root "$work/berth" delete -f c >/dev/null 2>&1
	"$BERTH" --root "$work/berth-emptyns" delete -f c >/dev/null 2>&1
	"$RUNC" --root "$work/runc" delete -f c >/dev/null 2>&1
	local m; for m in $(awk '$9 ~ /^cgroup2?$/ { print $5 }' /proc/self/mountinfo); do
		[ -d "$m$cgbase" ] && find "$m$cgbase" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT

"$top/tests/lib/make-rootfs.sh" "$work/rootfs" >/dev/null
(cd "$work" && "$RUNC" spec)
jq --arg r "$work/rootfs" --arg cg "$cgbase/c" '.root.path = $r | .root.readonly = false | .process.terminal = false
	| .linux.cgroupsPath = $cg
	| .process.args = ["sh", "-c", "x=$(head -c 8388608 /dev/zero | tr \"\\\\0\" a); while :; do sleep 0.2; done"]' \
	"$work/config.json" >"$work/c.json" && mv "$work/c.json" "$work/config.json"

ms() { echo "$(( (${EPOCHREALTIME/./} - $1) / 1000 ))"; }
# one RUNTIME: run -d, let it settle, then time checkpoint and restore -d; prints "CKPT_MS RESTORE_MS"
one() {
	local rt=$1 root=$work/$2 img=$work/img-$2 t extra=()
	[ "$2" = berth-emptyns ] && extra=(--empty-ns network)
	rm -rf "$img"
	"$rt" --root "$root" run -d --bundle "$work" c < <(true) > >(cat >/dev/null) 2>&1
	sleep 1
	t=${EPOCHREALTIME/./}
	"$rt" --root "$root" checkpoint "${extra[@]}" --image-path "$img" c >/dev/null 2>&1 || { echo "checkpoint with $rt failed" >&2; return 1; }
	local c; c=$(ms "$t")
	t=${EPOCHREALTIME/./}
	"$rt" --root "$root" restore -d "${extra[@]}" --bundle "$work" --image-path "$img" c < <(true) > >(cat >/dev/null) 2>&1 \
		|| { echo "restore with $rt failed" >&2; return 1; }
	local r; r=$(ms "$t")
	"$rt" --root "$root" delete -f c >/dev/null 2>&1
	echo "$c $r"
}

med() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
: >"$work/berth.t"; : >"$work/berth-emptyns.t"; : >"$work/runc.t"
echo "# checkpoint / restore -d, $N interleaved rounds, wall ms (kernel $(uname -r), $(criu --version | head -n1))"
order=(berth berth-emptyns runc)
for i in $(seq "$N"); do
	line="round $i:"
	for k in 0 1 2; do
		name=${order[$(( (i + k) % 3 ))]}
		rt=$BERTH; [ "$name" = runc ] && rt=$RUNC
		t=$(one "$rt" "$name")
		echo "$t" >>"$work/$name.t"
		line="$line $name $t;"
	done
	echo "$line"
done
rc=$(cut -d' ' -f1 "$work/runc.t" | med); rr=$(cut -d' ' -f2 "$work/runc.t" | med)
for name in berth berth-emptyns; do
	bc=$(cut -d' ' -f1 "$work/$name.t" | med); br=$(cut -d' ' -f2 "$work/$name.t" | med)
	echo "$name: median checkpoint $bc ms (runc $rc, ratio $(echo "scale=3; $bc / $rc" | bc)), restore -d $br ms (runc $rr, ratio $(echo "scale=3; $br / $rr" | bc))"
done
