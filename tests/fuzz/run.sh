#!/bin/bash
# run.sh TARGET SECONDS [BUILD_DIR] — run one libFuzzer harness for SECONDS with its seed corpus.
#   TARGET: config | process | resources | sync | shim-attach | shim-ctl | shim-notify | shim-k8s-log
#   (binary BUILD_DIR/tests/fuzz/fuzz-TARGET). BERTH_FUZZ_SECONDS, when set, overrides SECONDS.
# Sets up and builds BUILD_DIR (default build-fuzz) under a lock if needed:
#   CC=clang meson setup BUILD_DIR -Dfuzzing=true -Dwerror=false
# New inputs go to a scratch corpus (the checked-in seeds are never modified); crashes are written to
# BUILD_DIR/fuzz-artifacts/TARGET/. Exits non-zero on any crash, leak, timeout or sanitizer report.
# Last line: "fuzz-TARGET: N executions in S s, K crashes" (also in BUILD_DIR/fuzz-stats/TARGET).
set -euo pipefail
target=${1:?usage: run.sh TARGET SECONDS [BUILD_DIR]}
seconds=${BERTH_FUZZ_SECONDS:-${2:?usage: run.sh TARGET SECONDS [BUILD_DIR]}}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${3:-$top/build-fuzz}
seeds=$here/corpus/$target
[ -d "$seeds" ] || { echo "run.sh: no seed corpus $seeds" >&2; exit 2; }
flock "$build.lock" sh -c '
	[ -f "$1/build.ninja" ] || CC=clang meson setup "$1" "$2" -Dfuzzing=true -Dwerror=false >/dev/null
	meson compile -C "$1" "tests/fuzz/fuzz-$3" >/dev/null' sh "$build" "$top" "$target"
bin=$build/tests/fuzz/fuzz-$target
work=$build/fuzz-corpus/$target
artifacts=$build/fuzz-artifacts/$target
rm -rf "$artifacts"
mkdir -p "$work" "$artifacts" "$build/fuzz-stats"
dict=()
case $target in json | config | process | resources) dict=(-dict="$here/json.dict") ;; esac
# GLib's slice allocator hides leaks/overflows from ASan; make g_malloc plain malloc.
export G_SLICE=always-malloc G_DEBUG=gc-friendly
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
out=$build/fuzz-stats/$target.log
rc=0
# Phase 1, fuzzing: crashes, overflows, UB and leaks are fatal.
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1} \
	"$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -detect_leaks=1 \
	"${dict[@]}" -artifact_prefix="$artifacts/" -print_final_stats=1 "$work" "$seeds" >"$out" 2>&1 || rc=$?
grep -E "^#[0-9]+ +(INITED|DONE)|^stat::|^Done|ERROR|SUMMARY|^artifact_prefix|Test unit written" "$out" || true
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)
# Phase 2: every input of the grown corpus replayed once with LeakSanitizer (full stacks).
if [ "$rc" = 0 ]; then
	echo "# leak check over $(find "$work" "$seeds" -type f | wc -l) corpus inputs"
	ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:fast_unwind_on_malloc=0} \
		"$bin" -runs=0 -artifact_prefix="$artifacts/" "$work" "$seeds" >>"$out" 2>&1 || rc=$?
fi
crashes=$(find "$artifacts" -type f | wc -l)
if [ "$rc" != 0 ]; then
	tail -60 "$out"
	[ "$crashes" -gt 0 ] || crashes=1  # a report without an artifact still counts
fi
summary="fuzz-$target: ${execs:-0} executions in $seconds s, $crashes crashes"
echo "$summary" | tee "$build/fuzz-stats/$target"
[ "$rc" = 0 ] && [ "$crashes" = 0 ]
