#!/bin/bash
# sanitize-lane.sh [BUILD_DIR] — the unit and integration suites again, in an ASan+UBSan build of
# the whole project (gcc -fsanitize=address,undefined -fno-sanitize-recover=all), so that the
# integration tests run the sanitized berth, berth-shim and berth-monitor. TAP on stdout: one line
# per inner test, then one line for the sanitizer reports (every report is a file in
# BUILD_DIR/sanitizer-reports, written whoever started the process: tests/ci/sanitizer-defaults.c).
# Run by `meson test` (suite "sanitize", BUILD_DIR = build/sanitize) or by hand.
# Not in this lane: the OCI validation suite and the cgroup v2 VM lane (time; they exercise the
# same code paths as the integration suite).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build-sanitize}
reports=$build/sanitizer-reports

echo "# sanitizer lane: $build"
if ! flock "$build.lock" sh -c '[ -f "$1/build.ninja" ] || meson setup "$1" "$2" -Db_sanitize=address,undefined -Db_lundef=false >&2' \
	sh "$build" "$top" || ! meson compile -C "$build" >&2; then
	echo "1..1"
	echo "not ok 1 - sanitizer build ($build)"
	exit 0
fi
rm -rf "$reports"
install -d -m 1777 "$reports"
# GLib's slice allocator would hide buffer overflows and leaks of g_slice memory from ASan.
export G_SLICE=always-malloc G_DEBUG=gc-friendly
# Tests with memory bounds (shim.sh's RSS check) allow for ASan's shadow memory and quarantine.
export BERTH_TEST_SANITIZED=1
start=$(date +%s)
meson test -C "$build" --suite unit --suite integration --print-errorlogs --timeout-multiplier 3 \
	--num-processes 2 >&2
echo "# inner meson test: $(($(date +%s) - start)) s"

log=$build/meson-logs/testlog.json
n=0
tap=$(jq -r '"\(.result)\t\(.name)\t\(.duration | floor)"' "$log" 2>/dev/null) || tap=""
count=$(printf '%s\n' "$tap" | grep -c . || true)
echo "1..$((count + 1))"
while IFS=$'\t' read -r result name secs; do
	[ -n "$name" ] || continue
	n=$((n + 1))
	case $result in
	OK | EXPECTEDFAIL) echo "ok $n - $name (${secs}s)" ;;
	SKIP) echo "ok $n - $name # SKIP" ;;
	*) echo "not ok $n - $name: $result" ;;
	esac
done <<<"$tap"
n=$((n + 1))
mapfile -t files < <(find "$reports" -type f | sort)
if [ "${#files[@]}" -eq 0 ]; then
	echo "ok $n - 0 sanitizer reports"
else
	echo "not ok $n - ${#files[@]} sanitizer reports (in $reports)"
	for f in "${files[@]}"; do
		echo "# ---- $f"
		grep -E "ERROR|runtime error|SUMMARY|^    #[0-9]+ " "$f" | head -20 | sed 's/^/# /'
	done
fi
