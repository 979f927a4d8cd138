# tap.sh — a tiny TAP-13 library for Berth's integration tests (bash; `source` it).
#
# Runtime-agnostic: the runtime under test is $BERTH (default: $MESON_BUILD_ROOT/runtime/berth, else
# <checkout>/build/runtime/berth). Develop/validate with BERTH=/usr/bin/runc.
#
# A test file looks like:
#     source "$(dirname "$0")/../lib/tap.sh"
#     t_lifecycle_basic() { make_bundle "$TD/b"; set_args "$TD/b" true; rt_ok run --bundle "$TD/b" "$(new_id)"; }
#     t_run "create/start/delete" t_lifecycle_basic
#     t_run "berth wording" t_x berth_only          # skipped when $BERTH is runc
#     t_done
#
# Each test function runs in a subshell with `set -eE`; any failing command or assertion fails the test.
# T_SELECT="t_fn ..." runs only those test functions of a file.
# With T_TEST_TIMEOUT=SECONDS (the v2 lane sets it) a test that runs longer is killed with all it
# started and fails alone; the file goes on with the next test.
# After every test a leak check runs (and then cleans up so later tests start clean):
#   * no container left in the test's private --root ($T_ROOT) and no entries in it,
#   * no new mount under $T_WORK (every bundle and the state root live there; with
#     BERTH_TEST_STRICT_MOUNTS=1, no new mount anywhere in /proc/self/mountinfo),
#   * no live process among the pids the test saw (state/pid-file), nor any process whose root
#     mount is a directory inside $T_WORK (i.e. any container process of this file),
#   * no cgroup left beneath $T_CG_BASE in any mounted hierarchy.

set -o pipefail
shopt -s nullglob

T_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T_TOP=$(cd "$T_LIB_DIR/../.." && pwd)
T_FILE=$(basename "${0%.sh}")

# BERTH_TEST_RUNTIME overrides BERTH (meson sets BERTH; `BERTH_TEST_RUNTIME=/usr/bin/runc meson test`
# runs the same tests against runc).
[ -n "${BERTH_TEST_RUNTIME:-}" ] && BERTH=$BERTH_TEST_RUNTIME
if [ -z "${BERTH:-}" ]; then
	if [ -n "${MESON_BUILD_ROOT:-}" ]; then BERTH=$MESON_BUILD_ROOT/runtime/berth
	else BERTH=$T_TOP/build/runtime/berth; fi
fi
export BERTH
BERTH_NAME=$(basename "$BERTH")
# Which runtime family we are talking to (for the few places where berth and runc legitimately differ).
case $BERTH_NAME in
runc*) T_RT_KIND=runc ;;
crun*) T_RT_KIND=crun ;;
*) T_RT_KIND=berth ;;
esac

T_N=0
T_FAILED=0
T_SKIPPED=0
T_ID_SEQ=0

# ---------------------------------------------------------------------------------------------- output
diag() { local l; while IFS= read -r l; do printf '# %s\n' "$l"; done <<<"$*"; }

bail() { echo "Bail out! $*"; exit 1; }

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP integration tests need root"
	exit 0
fi
if [ ! -x "$BERTH" ]; then
	# With meson this means the runtime was not built; make it loud rather than silently green.
	bail "runtime not found: $BERTH (set BERTH=/path/to/runtime)"
fi

# ---------------------------------------------------------------------------------------- workspace
T_WORK=$(mktemp -d "${TMPDIR:-/tmp}/berth-it-$T_FILE.XXXXXX")
chmod 0755 "$T_WORK"   # a container root mapped to another uid (user namespace) must reach its rootfs
T_ROOT=$T_WORK/state
mkdir -p "$T_ROOT"
T_PIDS=$T_WORK/.pids            # "pid starttime" lines of every container process a test saw

# Own cgroup: the deepest of our v1 paths (on this host every other controller is at "/", which is
# a prefix of it), so "$T_CG_BASE/x" is beneath our own cgroup in every hierarchy. Absolute
# cgroupsPath is interpreted the same way by runc, crun and berth.
t_own_cgroup() {
	local best=/ line path
	while IFS= read -r line; do
		path=${line#*:*:}
		[ ${#path} -gt ${#best} ] && best=$path
	done </proc/self/cgroup
	while IFS= read -r line; do
		path=${line#*:*:}
		[[ "$best/" == "${path%/}/"* ]] || echo "# warning: cgroup $path is not a prefix of $best: test cgroups may not nest under ours" >&2
	done </proc/self/cgroup
	echo "${best%/}"
}
T_CG_BASE=$(t_own_cgroup)/berth-it-$T_FILE-$$
T_CG_BASE=${T_CG_BASE#/}; T_CG_BASE=/$T_CG_BASE

t_cleanup_all() {
	t_force_cleanup >/dev/null 2>&1 || true
	local m
	for m in $(t_cgroup_mounts); do rmdir "$m$T_CG_BASE" 2>/dev/null || true; done
	if [ -n "${T_KEEP:-}" ]; then echo "# kept $T_WORK" >&2; return; fi
	# Never rm -rf through a mount that may still be there.
	if grep -q " ${T_WORK}[/ ]" /proc/self/mountinfo; then
		echo "# not removing $T_WORK: still has mounts" >&2
	else
		rm -rf "$T_WORK"
	fi
}
trap t_cleanup_all EXIT

# ------------------------------------------------------------------------------------------ helpers
new_id() { T_ID_SEQ=$((T_ID_SEQ + 1)); echo "bt-$T_FILE-$$-$BASHPID-$T_ID_SEQ"; }

# make_bundle DIR: busybox rootfs + "$BERTH spec" config, edited for tests: no terminal, args
# ["true"], writable root, cgroupsPath beneath our cgroup.
make_bundle() {
	local dir=$1
	mkdir -p "$dir"
	"$T_LIB_DIR/make-rootfs.sh" "$dir/rootfs" >/dev/null
	(cd "$dir" && "$BERTH" spec) || { echo "make_bundle: $BERTH spec failed" >&2; return 1; }
	bundle_jq "$dir" --arg cg "$T_CG_BASE/$(basename "$dir")-$RANDOM" \
		'.process.terminal = false | .process.args = ["true"] | .root.readonly = false | .linux.cgroupsPath = $cg'
}

# bundle_jq DIR [jq options...] FILTER: edit DIR/config.json in place.
bundle_jq() {
	local dir=$1; shift
	local tmp=$dir/config.json.tmp
	jq "$@" <"$dir/config.json" >"$tmp" && [ -s "$tmp" ] && mv "$tmp" "$dir/config.json"
}

# json_array ARG...: a JSON array of strings (jq's --args would parse "-c" as its own option).
json_array() {
	local a arr='[]'
	for a in "$@"; do arr=$(jq -nc --argjson arr "$arr" --arg x "$a" '$arr + [$x]'); done
	echo "$arr"
}

# set_args DIR ARG...: process.args
set_args() {
	local dir=$1; shift
	bundle_jq "$dir" --argjson a "$(json_array "$@")" '.process.args = $a'
}

# run_rt ARGS...: run "$BERTH --root $T_ROOT ARGS", never fails; sets RT_RC, RT_OUT, RT_ERR.
run_rt() { run_rt_env -- "$@"; }
# run_rt_env VAR=VALUE... -- ARGS...: the same with those variables in the runtime's environment.
run_rt_env() {
	local o=$T_WORK/.rt.out.$BASHPID e=$T_WORK/.rt.err.$BASHPID envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	RT_RC=0
	if [ ${#envs[@]} -gt 0 ]; then
		env "${envs[@]}" "$BERTH" --root "$T_ROOT" "$@" >"$o" 2>"$e" </dev/null || RT_RC=$?
	else
		"$BERTH" --root "$T_ROOT" "$@" >"$o" 2>"$e" </dev/null || RT_RC=$?
	fi
	RT_OUT=$(cat "$o"); RT_ERR=$(cat "$e")
	rm -f "$o" "$e"
	return 0
}

# rt_ok ARGS...: run_rt and require exit 0.
rt_ok() {
	run_rt "$@"
	if [ "$RT_RC" != 0 ]; then
		t_fail "'$BERTH_NAME $*' exited $RT_RC" "stdout: $RT_OUT" "stderr: $RT_ERR"
	fi
}

# rt_fails ARGS...: run_rt and require a non-zero exit with something on stderr.
rt_fails() {
	run_rt "$@"
	if [ "$RT_RC" = 0 ]; then
		t_fail "'$BERTH_NAME $*' succeeded but should fail" "stdout: $RT_OUT" "stderr: $RT_ERR"
	fi
	[ -n "$RT_ERR" ] || t_fail "'$BERTH_NAME $*' failed (exit $RT_RC) without a message on stderr"
}

# rt_state ID: state JSON into STATE; records the pid for the leak check. Fails the test if state fails.
rt_state() {
	rt_ok state "$1"
	STATE=$RT_OUT
	local pid
	pid=$(jq -r '.pid // 0' <<<"$STATE")
	[ "$pid" -gt 0 ] 2>/dev/null && track_pid "$pid"
	return 0
}

state_field() { jq -r ".$2" <<<"$(rt_ok state "$1" && echo "$RT_OUT")"; }

# track_pid PID: remember PID (with its start time) for the leak check.
track_pid() {
	local st
	st=$(t_starttime "$1") || return 0
	echo "$1 $st" >>"$T_PIDS"
}
t_starttime() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; s=${s##*) }; set -- $s; echo "${20}"; }
# t_alive PID: PID exists and is not a zombie (PID 1 here does not reap orphans, so a killed
# process may stay a zombie).
t_alive() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; s=${s##*) }; [ "${s%% *}" != Z ]; }

# wait_status ID STATUS [SECONDS]: poll state until .status == STATUS.
wait_status() {
	local id=$1 want=$2 limit=${3:-10} i=0 st=
	while [ "$i" -lt $((limit * 20)) ]; do
		run_rt state "$id"
		st=$(jq -r .status <<<"$RT_OUT" 2>/dev/null || true)
		[ "$st" = "$want" ] && return 0
		sleep 0.05; i=$((i + 1))
	done
	t_fail "container $id: status '$st', expected '$want' within ${limit}s"
}

# assert_no_runtime_failure_logged LOG ID WHO: a containerd shim (containerd's own or dockerd's) logs
# the runtime's failures; none may name ID.
assert_no_runtime_failure_logged() {
	local bad
	bad=$(grep -F "$2" "$1" | grep -iE 'failed to (remove|delete|kill)|did not terminate successfully' || true)
	[ -z "$bad" ] || t_fail "$3 reported a runtime failure for $2:" "$bad"
}

# --------------------------------------------------------------------------------------- assertions
t_fail() {
	local l
	for l in "$@"; do diag "$l"; done >&2
	exit 1
}
assert_eq() { [ "$1" == "$2" ] || t_fail "${3:-assert_eq}: got '$1', expected '$2'"; }
assert_ne() { [ "$1" != "$2" ] || t_fail "${3:-assert_ne}: got '$1', expected something else"; }
assert_contains() { [[ "$1" == *"$2"* ]] || t_fail "${3:-assert_contains}: '$2' not found in:" "$1"; }
assert_not_contains() { [[ "$1" != *"$2"* ]] || t_fail "${3:-assert_not_contains}: '$2' unexpectedly in:" "$1"; }
assert_match() { [[ "$1" =~ $2 ]] || t_fail "${3:-assert_match}: '$1' does not match /$2/"; }
assert_file() { [ -e "$1" ] || t_fail "${2:-assert_file}: $1 does not exist"; }
assert_no_file() { [ ! -e "$1" ] || t_fail "${2:-assert_no_file}: $1 exists"; }
# assert_fails_with PATTERN ARGS...: the runtime must fail and stderr must match PATTERN (case-insensitive
# ERE). The message must be one line for berth (runc's logrus lines are accepted as they are).
assert_fails_with() {
	local pat=$1; shift
	rt_fails "$@"
	shopt -s nocasematch
	if ! [[ "$RT_ERR" =~ $pat ]]; then
		shopt -u nocasematch
		t_fail "'$BERTH_NAME $*': stderr does not match /$pat/:" "$RT_ERR"
	fi
	shopt -u nocasematch
	if [ "$T_RT_KIND" = berth ]; then
		local lines
		lines=$(printf '%s\n' "$RT_ERR" | grep -c .)
		[ "$lines" -le 1 ] || t_fail "'$BERTH_NAME $*': expected one line on stderr, got $lines:" "$RT_ERR"
	fi
}

# ----------------------------------------------------------------------------------------- leak check
t_cgroup_mounts() { awk '$9 ~ /^cgroup2?$/ { print $5 }' /proc/self/mountinfo; }
t_mounts_snapshot() { awk '{ print $1, $5 }' /proc/self/mountinfo | sort; }

# Container processes of this test file: their root mount ("/" in their mountinfo) is a directory
# inside $T_WORK (matched by its unique basename, as the mount root is relative to its filesystem).
# (readlink /proc/PID/root cannot tell: it shows "/" for processes in another mount namespace.)
t_container_procs() {
	local w; w=$(basename "$T_WORK")
	grep -E -l "^[0-9]+ [0-9]+ [0-9]+:[0-9]+ [^ ]*/$w/[^ ]* / " /proc/[0-9]*/mountinfo 2>/dev/null |
		awk -F/ '{ print $3 }' | grep -vx "$$" || true
}

t_live_tracked_pids() {
	[ -f "$T_PIDS" ] || return 0
	local pid st now
	while read -r pid st; do
		now=$(t_starttime "$pid") || continue
		[ "$now" = "$st" ] || continue
		t_alive "$pid" || continue
		echo "$pid"
	done <"$T_PIDS" | sort -u
}

t_leftover_cgroups() {
	local m d
	for m in $(t_cgroup_mounts); do
		[ -d "$m$T_CG_BASE" ] || continue
		for d in "$m$T_CG_BASE"/*/; do echo "${d%/}"; done
	done
}

# Prints one line per leak; empty output = clean.
t_leaks() {
	local ids
	ids=$("$BERTH" --root "$T_ROOT" list -q 2>/dev/null || true)
	[ -n "$ids" ] && echo "containers left in --root: $(echo $ids)"
	local entries
	# .seccomp-cache (compiled profiles, shared by every container of the root) is kept on purpose.
	entries=$(cd "$T_ROOT" 2>/dev/null && ls -A | grep -Fvx '.seccomp-cache' || true)
	[ -n "$entries" ] && echo "entries left in --root $T_ROOT: $(echo $entries)"
	local new
	new=$(comm -13 "$T_WORK/.mounts.before" <(t_mounts_snapshot) | awk '{ print $2 }')
	if [ -n "$new" ]; then
		local m
		for m in $new; do
			case $m in
			"$T_WORK"/*) echo "new mount: $m" ;;
			*) [ "${BERTH_TEST_STRICT_MOUNTS:-0}" = 1 ] && echo "new mount: $m" ;;
			esac
		done
	fi
	local p
	p=$(t_live_tracked_pids); [ -n "$p" ] && echo "container processes still alive: $(echo $p)"
	p=$(t_container_procs); [ -n "$p" ] && echo "processes rooted in the test dir: $(echo $p)"
	p=$(t_leftover_cgroups); [ -n "$p" ] && echo "cgroups left: $(echo $p)"
	return 0
}

# Remove whatever a test left (after it has been reported).
t_force_cleanup() {
	local id
	for id in $("$BERTH" --root "$T_ROOT" list -q 2>/dev/null); do
		"$BERTH" --root "$T_ROOT" delete --force -- "$id" >/dev/null 2>&1 || true
	done
	local p d
	# A paused container's processes die only once thawed.
	for d in $(t_leftover_cgroups); do
		[ ! -f "$d/freezer.state" ] || echo THAWED >"$d/freezer.state" 2>/dev/null || true
		[ ! -f "$d/cgroup.freeze" ] || echo 0 >"$d/cgroup.freeze" 2>/dev/null || true
	done
	for p in $(t_live_tracked_pids) $(t_container_procs); do kill -9 "$p" 2>/dev/null || true; done
	sleep 0.1
	local m
	for m in $(comm -13 "$T_WORK/.mounts.before" <(t_mounts_snapshot) | awk '{ print $2 }' | sort -r); do
		case $m in "$T_WORK"/*) umount -l "$m" 2>/dev/null || true ;; esac
	done
	for d in $(t_leftover_cgroups | sort -r); do
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
	rm -rf "${T_ROOT:?}"/* "${T_ROOT:?}"/.[!.]* 2>/dev/null || true
	: >"$T_PIDS"
}

# ------------------------------------------------------------------------------------------ running
# t_descendants PID: every process below PID (found by parent PID), deepest first.
t_descendants() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do t_descendants "$c"; echo "$c"; done
}

# t_watchdog PID SECONDS OUT: (in the background) after SECONDS, note the timeout in OUT and kill
# the test subshell PID with everything it started, by PID. Killed itself when the test ends in time.
t_watchdog() {
	local sleeper
	trap '[ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null; exit 0' TERM
	sleep "$2" & sleeper=$!
	wait "$sleeper" || exit 0
	# The tree is listed first (once the subshell is gone its children are reparented), and the
	# subshell is killed before its children: alive, it would report their deaths into OUT over the
	# note (its fd there is not O_APPEND).
	local below; below=$(t_descendants "$1")
	echo "# TIMEOUT: the test ran longer than $2 s (T_TEST_TIMEOUT); killed" >>"$3"
	kill -9 "$1" 2>/dev/null
	[ -z "$below" ] || kill -9 $below 2>/dev/null
	exit 0
}

# t_run NAME FUNC [berth_only|runc_skip|skip:REASON|needs:CMD]...
t_run() {
	local name=$1 fn=$2; shift 2
	local flag
	# T_SELECT="t_fn ...": run only these test functions (the v2 lane runs a subset of two files).
	[ -n "${T_SELECT:-}" ] && [[ " $(echo $T_SELECT) " != *" $fn "* ]] && return 0
	T_N=$((T_N + 1))
	for flag in "$@"; do
		case $flag in
		berth_only)
			if [ "$T_RT_KIND" != berth ]; then
				echo "ok $T_N - $name # SKIP berth-only behaviour ($BERTH_NAME)"; T_SKIPPED=$((T_SKIPPED + 1)); return 0
			fi ;;
		skip:*)
			echo "ok $T_N - $name # SKIP ${flag#skip:}"; T_SKIPPED=$((T_SKIPPED + 1)); return 0 ;;
		needs:*)
			if ! command -v "${flag#needs:}" >/dev/null; then
				echo "ok $T_N - $name # SKIP ${flag#needs:} not installed"; T_SKIPPED=$((T_SKIPPED + 1)); return 0
			fi ;;
		esac
	done
	TD=$T_WORK/t$T_N
	mkdir -p "$TD"
	t_mounts_snapshot >"$T_WORK/.mounts.before"
	: >"$T_PIDS"
	local rc=0 out=$T_WORK/.test.out t0 t1
	t0=$(date +%s%N)
	(
		set -eE
		trap 'echo "# failed at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND" >&2' ERR
		cd "$TD"
		"$fn"
	) >"$out" 2>&1 </dev/null &
	local tpid=$! watchdog=
	[ -n "${T_TEST_TIMEOUT:-}" ] && { t_watchdog "$tpid" "$T_TEST_TIMEOUT" "$out" & watchdog=$!; }
	wait "$tpid" 2>/dev/null
	rc=$?   # (the subshell runs apart: `|| rc=$?` there would switch errexit off inside it)
	[ -n "$watchdog" ] && { kill "$watchdog" 2>/dev/null; wait "$watchdog" 2>/dev/null; }
	t1=$(date +%s%N)
	# SKIP from inside a test: the function prints "SKIP: reason" and exits 77.
	if [ "$rc" = 77 ]; then
		echo "ok $T_N - $name # SKIP $(grep -m1 '^SKIP:' "$out" | cut -c7-)"
		T_SKIPPED=$((T_SKIPPED + 1))
		t_force_cleanup >/dev/null 2>&1 || true
		return 0
	fi
	local leaks
	sleep 0.05
	leaks=$(t_leaks)
	if [ "$rc" = 0 ] && [ -z "$leaks" ]; then
		echo "ok $T_N - $name"
	else
		T_FAILED=$((T_FAILED + 1))
		echo "not ok $T_N - $name"
		[ "$rc" != 0 ] && diag "exit status $rc"
		[ -n "$leaks" ] && diag "LEAK: $leaks"
	fi
	# Test output as diagnostics (kept short).
	if [ -s "$out" ]; then sed 's/^/#   /' "$out" | head -n 60; fi
	[ -n "$leaks" ] && t_force_cleanup >/dev/null 2>&1
	diag "time: $(((t1 - t0) / 1000000)) ms"
	return 0
}

# t_skip REASON: call from inside a test function.
t_skip() { echo "SKIP: $*"; exit 77; }

t_done() {
	echo "1..$T_N"
	diag "$BERTH_NAME: $T_N tests, $T_FAILED failed, $T_SKIPPED skipped"
	[ "$T_FAILED" = 0 ]
}
