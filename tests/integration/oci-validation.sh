#!/bin/bash
# OCI runtime-tools validation (../shared/oci-validation/run, beside the checkout) against $BERTH.
# One TAP line per suite test: a FAIL listed in oci-validation.expected is "not ok # TODO" (expected),
# any other FAIL is a failure; a last line checks the total: failed <= max_failed.
# Env: OCI_VALIDATION_RUN (path of `run`), OCI_EXPECTED (expectation file; default
# oci-validation.expected, or oci-validation.<runtime>.expected when BERTH is runc/crun and it exists).
set -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${BERTH_TOP:-$(git -C "$here" rev-parse --show-toplevel 2>/dev/null || (cd "$here/../.." && pwd))}

# BERTH_TEST_RUNTIME overrides BERTH (meson sets BERTH; `BERTH_TEST_RUNTIME=/usr/bin/runc meson test`
# runs the same tests against runc).
[ -n "${BERTH_TEST_RUNTIME:-}" ] && BERTH=$BERTH_TEST_RUNTIME
if [ -z "${BERTH:-}" ]; then
	if [ -n "${MESON_BUILD_ROOT:-}" ]; then BERTH=$MESON_BUILD_ROOT/runtime/berth; else BERTH=$top/build/runtime/berth; fi
fi
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
[ -x "$BERTH" ] || { echo "Bail out! runtime not found: $BERTH"; exit 1; }

# CI: a fresh clone with shared/ beside it ($top/../shared). Worktrees may sit deeper: walk up.
runner=${OCI_VALIDATION_RUN:-}
if [ -z "$runner" ]; then
	d=$top/..
	while :; do
		if [ -x "$d/shared/oci-validation/run" ]; then runner=$d/shared/oci-validation/run; break; fi
		[ "$(cd "$d" && pwd)" = / ] && break
		d=$d/..
	done
fi
[ -n "$runner" ] && [ -x "$runner" ] || { echo "Bail out! shared/oci-validation/run not found beside $top"; exit 1; }

rtname=$(basename "$BERTH")
expected=${OCI_EXPECTED:-$here/oci-validation.expected}
if [ -z "${OCI_EXPECTED:-}" ] && [ -f "$here/oci-validation.$rtname.expected" ]; then
	expected=$here/oci-validation.$rtname.expected
fi
[ -f "$expected" ] || { echo "Bail out! $expected missing"; exit 1; }
max_failed=$(sed -n 's/^max_failed=\([0-9]*\).*/\1/p' "$expected" | head -1)
[ -n "$max_failed" ] || { echo "Bail out! no max_failed=N in $expected"; exit 1; }
# flaky=NAME...: suite tests that race a correct runtime; one FAIL is run again, alone, once.
read -r -a flaky <<<"$(sed -n 's/^flaky=\([^#]*\).*/\1/p' "$expected" | head -1)"
# expected failing tests: lines that are a bare test name (comments with #)
mapfile -t expected_fail < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$expected" | grep -v -e '^max_failed=' -e '^flaky=' | grep .)

wrap=()
[ "$rtname" = crun ] && wrap=(--hide-cgroup2)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "# $runner ${wrap[*]} $BERTH (expectations: $expected)"
rc=0
"$runner" "${wrap[@]}" "$BERTH" "$@" >"$out" 2>&1 || rc=$?
sed 's/^/# /' "$out" | grep -E '^# #|^# [0-9]+ passed' || true
if [ "$rc" != 0 ]; then
	tail -20 "$out" | sed 's/^/# /'
	echo "Bail out! oci-validation/run exited $rc"; exit 1
fi

n=0 failed=0
is_expected() { local t; for t in "${expected_fail[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }
is_flaky() { local t; for t in "${flaky[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }
passes_alone() { "$runner" "${wrap[@]}" "$BERTH" "$1" 2>&1 | grep -Eq "^PASS[[:space:]]+$1([[:space:]]|\$)"; }
while read -r result name rest; do
	n=$((n + 1))
	case $result in
	PASS)
		if is_expected "$name"; then echo "ok $n - $name # expected to fail but passes: remove it from $(basename "$expected")"
		else echo "ok $n - $name"; fi ;;
	SKIP) echo "ok $n - $name # SKIP" ;;
	FAIL)
		if is_expected "$name"; then echo "not ok $n - $name # TODO expected failure: $rest"
		elif is_flaky "$name" && passes_alone "$name" </dev/null; then echo "ok $n - $name # flaky: failed once ($rest), passed when run again"
		else echo "not ok $n - $name"; echo "# $rest"; failed=$((failed + 1)); fi ;;
	esac
done < <(grep -E '^(PASS|FAIL|SKIP)[[:space:]]' "$out")

summary=$(tail -1 "$out")
n=$((n + 1))
if [[ "$summary" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
	if [ "${BASH_REMATCH[2]}" -le "$max_failed" ]; then
		echo "ok $n - total: $summary (max_failed=$max_failed)"
	else
		echo "not ok $n - total: $summary: more than max_failed=$max_failed"; failed=$((failed + 1))
	fi
else
	echo "not ok $n - no summary line (got: $summary)"; failed=$((failed + 1))
fi
echo "1..$n"
[ "$failed" = 0 ]
