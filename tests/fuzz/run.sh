#!/bin/bash
# run.sh TARGET SECONDS [BUILD_DIR] — run one libFuzzer harness for SECONDS with the seed corpus.
#   TARGET: config | process | resources   (binary tests/fuzz/fuzz-TARGET)
# Builds BUILD_DIR (default build-fuzz) first: CC=clang meson setup build-fuzz -Dfuzzing=true -Dwerror=false
# New inputs go to a scratch corpus (the checked-in seeds are never modified); crashes are written to
# BUILD_DIR/fuzz-artifacts/TARGET/ and make the script exit non-zero.
set -euo pipefail
target=${1:?usage: run.sh TARGET SECONDS [BUILD_DIR]}
seconds=${2:?usage: run.sh TARGET SECONDS [BUILD_DIR]}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${3:-$top/build-fuzz}
if [ ! -d "$build" ]; then
	CC=clang meson setup "$build" "$top" -Dfuzzing=true -Dwerror=false >/dev/null
fi
meson compile -C "$build" "tests/fuzz/fuzz-$target" >/dev/null
work=$build/fuzz-corpus/$target
artifacts=$build/fuzz-artifacts/$target
mkdir -p "$work" "$artifacts"
# GLib's slice allocator hides leaks/overflows from ASan; make g_malloc plain malloc.
export G_SLICE=always-malloc G_DEBUG=gc-friendly
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/lsan.supp:print_suppressions=0}
bin=$build/tests/fuzz/fuzz-$target
# Phase 1, fuzzing: leak detection off (it needs slow full-stack unwinding on every malloc for the
# json-glib suppression to match, which costs ~10x throughput); crashes, overflows, UB are fatal.
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=0} \
	"$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -detect_leaks=0 \
	-dict="$here/json.dict" -artifact_prefix="$artifacts/" -print_final_stats=1 "$work" "$here/corpus/$target"
# Phase 2: every input of the grown corpus replayed once with LeakSanitizer (full stacks).
echo "# leak check over $(ls "$work" "$here/corpus/$target" | wc -l) corpus inputs"
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:fast_unwind_on_malloc=0} \
	"$bin" -runs=0 -artifact_prefix="$artifacts/" "$work" "$here/corpus/$target"
