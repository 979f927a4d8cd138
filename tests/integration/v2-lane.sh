#!/bin/bash
# v2-lane.sh: a focused subset of the integration tests (lifecycle, cgroup resources, pause/resume,
# update, OOM, devices, kill --all, exec, Docker driving the runtime, checkpoint/restore with CRIU and
# berth-shim --restore) in a throw-away pure cgroup v2 guest (shared/v2vm). The guest also runs
# Debian 12's own kernel, which CRIU supports (this host's does not).
#
# Host side (default): boots ONE guest with run-in-v2vm, runs this script with --guest inside it, and
# turns what the test files print into one TAP stream. Build on the host first; the guest runs the
# host's binaries (the checkout is shared read-write, / read-only).
#
# Env: BERTH (runtime, default build/runtime/berth), V2VM (path of run-in-v2vm), V2_LANE_BUDGET
# (seconds for the whole lane, default 1700, under meson's 1800), V2_LANE_BOOT_LIMIT / V2_LANE_STALL_LIMIT
# (seconds without a first line / without a new line before the VM counts as not booted / hung),
# T_TEST_TIMEOUT (seconds per test in the guest, default 180), V2_LANE_FILES (test files to run,
# default "cgroups exec docker checkpoint shim podman"; lifecycle.sh is long under emulation, cgroups.sh has
# a lifecycle test; docker.sh is Docker driving runc and berth on pure v2, ~2 min; checkpoint.sh and
# shim.sh's and podman.sh's CRIU tests (SHIM_ONLY, PM_ONLY, default "CRIU") ~3 min),
# V2_LANE_CGROUPS / V2_LANE_EXEC (space-separated test function names of cgroups.sh / exec.sh to run;
# "all" = every test; defaults below).
# It runs under a plain `meson test` (CI); BERTH_V2_LANE=0 turns it off for a quick local run:
#     BERTH_V2_LANE=0 meson test -C build
set -uo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
: "${BERTH:=$TOP/build/runtime/berth}"
export BERTH

DEFAULT_CGROUPS="t_lifecycle_cgroup t_memory_readback t_cpu_readback t_pids_readback t_hugetlb_readback t_oom_kill
t_pids_limit_stops_fork t_devices_deny_read t_linux_devices_allowed t_pause_resume t_exec_paused t_update_live
t_update_errors t_kill_all_host_pidns t_ps t_delete_removes_cgroups"
DEFAULT_EXEC="t_exit_status t_detach_pid_file t_caps t_namespaces_joined t_errors t_exec_sub_cgroup t_exec_sub_cgroup_errors"

# ------------------------------------------------------------------------------------------ guest
if [ "${1:-}" = --guest ]; then
	export TMPDIR=/tmp
	[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd   # bash process substitution
	echo "# guest: $(uname -r), $(stat -fc %T /sys/fs/cgroup), controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
	for f in ${V2_LANE_FILES:-cgroups exec docker checkpoint shim podman}; do
		case $f in
		cgroups) export T_SELECT=${V2_LANE_CGROUPS:-$DEFAULT_CGROUPS} ;;
		exec) export T_SELECT=${V2_LANE_EXEC:-$DEFAULT_EXEC} ;;
		shim) unset T_SELECT; export SHIM_ONLY=${SHIM_ONLY:-CRIU} ;;  # what needs a kernel CRIU supports
		podman) unset T_SELECT; export PM_ONLY=${PM_ONLY:-CRIU} ;;
		*) unset T_SELECT ;;
		esac
		[ "${T_SELECT:-}" = all ] && unset T_SELECT
		echo "### file $f"
		bash "$TOP/tests/integration/$f.sh" 2>&1
		echo "### exit $f $?"
	done
	exit 0
fi

# ------------------------------------------------------------------------------------------- host
if [ "${BERTH_V2_LANE:-1}" = 0 ]; then
	echo "1..0 # SKIP BERTH_V2_LANE=0: the cgroup v2 lane (a VM boot) is turned off"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root"; exit 0; fi
[ -x "$BERTH" ] || { echo "Bail out! runtime not found: $BERTH (build on the host first)"; exit 1; }
V2VM=${V2VM:-}
if [ -z "$V2VM" ]; then
	for c in "$TOP/../shared/v2vm/run-in-v2vm" "$TOP/../../shared/v2vm/run-in-v2vm" /work/shared/v2vm/run-in-v2vm; do
		[ -x "$c" ] && { V2VM=$c; break; }
	done
fi
[ -n "$V2VM" ] && [ -x "$V2VM" ] || { echo "1..0 # SKIP run-in-v2vm not found (set V2VM)"; exit 0; }

export V2VM_ENV="BERTH RECVTTY SHIM SHIM_ONLY PM_ONLY V2_LANE_FILES V2_LANE_CGROUPS V2_LANE_EXEC T_TEST_TIMEOUT ${V2VM_ENV:-}"
export V2_LANE_FILES=${V2_LANE_FILES:-cgroups exec docker checkpoint shim podman} V2_LANE_CGROUPS=${V2_LANE_CGROUPS:-} V2_LANE_EXEC=${V2_LANE_EXEC:-}
[ -z "$V2_LANE_CGROUPS" ] && unset V2_LANE_CGROUPS
[ -z "$V2_LANE_EXEC" ] && unset V2_LANE_EXEC
# A test that hangs in the guest fails alone (tests/lib/tap.sh kills it) and the lane goes on.
export T_TEST_TIMEOUT=${T_TEST_TIMEOUT:-180}

# Budget: the whole lane stays under meson's timeout for it (1800 s). The guest's output is watched
# while it runs: no first line within BOOT_LIMIT is a VM that did not boot (tried once more, the
# VM's fault, not a test's); no new line within STALL_LIMIT is a hang (the lane stops, and says where).
BUDGET=${V2_LANE_BUDGET:-1700} BOOT_LIMIT=${V2_LANE_BOOT_LIMIT:-240} STALL_LIMIT=${V2_LANE_STALL_LIMIT:-420}
CACHE=${V2VM_CACHE:-/var/tmp/v2vm}
t0=$(date +%s)
out=$(mktemp) marker=$(mktemp)
vm_pid= run_dir=
finish_vm() { [ -n "$vm_pid" ] && kill "$vm_pid" 2>/dev/null && wait "$vm_pid" 2>/dev/null; vm_pid=; }
trap 'finish_vm; rm -f "$out" "$marker"; [ -n "$run_dir" ] && rm -rf "$run_dir"' EXIT

# run_guest: one VM boot; sets rc (run-in-v2vm's status, or "boot"/"stall") and run_dir.
run_guest() {
	: >"$out"; touch "$marker"
	local left=$((BUDGET - ($(date +%s) - t0)))
	V2VM_KEEP_LOG=1 V2VM_TIMEOUT=$left "$V2VM" "$TOP" bash "$TOP/tests/integration/v2-lane.sh" --guest >"$out" 2>&1 &
	vm_pid=$!
	local size=0 last now started booted=
	started=$(date +%s); last=$started
	rc=
	while kill -0 "$vm_pid" 2>/dev/null; do
		sleep 2
		now=$(date +%s)
		[ -z "$booted" ] && grep -q '^# guest: ' "$out" && booted=1
		if [ "$(stat -c %s "$out")" != "$size" ]; then size=$(stat -c %s "$out"); last=$now; fi
		if [ -z "$booted" ] && [ $((now - started)) -ge "$BOOT_LIMIT" ]; then rc=boot; break; fi
		if [ -n "$booted" ] && [ $((now - last)) -ge "$STALL_LIMIT" ]; then rc=stall; break; fi
	done
	if [ -n "$rc" ]; then finish_vm; else wait "$vm_pid"; rc=$?; vm_pid=; fi
	run_dir=$(find "$CACHE/runs" -mindepth 1 -maxdepth 1 -name 'run.*' -newer "$marker" \
		-exec grep -lF -- "$TOP/tests/integration/v2-lane.sh" {}/cmd \; 2>/dev/null | head -n1)
	run_dir=${run_dir%/cmd}
}

run_guest
if [ "$rc" = boot ] || { [ "$rc" = 125 ] && ! grep -q '^# guest: ' "$out"; }; then
	echo "# the guest did not start the lane (${rc}); booting it once more"
	[ -n "$run_dir" ] && rm -rf "$run_dir"
	run_guest
fi

n=0 failed=0 file=- plan_seen=
while IFS= read -r line; do
	case $line in
	"### file "*) file=${line#\#\#\# file }; plan_seen= ;;
	"### exit "*)
		set -- $line
		if [ -z "$plan_seen" ]; then
			n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $3: no TAP plan (exit $4)"
		fi ;;
	"ok "* | "not ok "*)
		n=$((n + 1))
		status=${line%% [0-9]*}; rest=${line#"$status "}; rest=${rest#* }
		[ "$status" = "not ok" ] && failed=$((failed + 1))
		echo "$status $n - $file: ${rest#- }" ;;
	[0-9]*..[0-9]*) plan_seen=1; echo "# $file: plan $line" ;;
	"Bail out!"*) n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $file: $line" ;;
	*) echo "# $line" ;;
	esac
done <"$out"
case $rc in
0) ;;
124) n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - v2 guest ran out of the lane's ${BUDGET} s" ;;
boot) n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - v2 guest printed nothing within ${BOOT_LIMIT} s, twice" ;;
stall) n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - v2 guest printed nothing for ${STALL_LIMIT} s (hung; its last lines are on stderr)" ;;
*) n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - run-in-v2vm exited $rc" ;;
esac
echo "1..$n"
echo "# v2 lane: $n tests, $failed failed, $(($(date +%s) - t0)) s"
if [ "$failed" != 0 ]; then
	# meson --print-errorlogs shows stderr: enough to tell a test's failure from the VM's
	{
		echo "v2 lane: $failed of $n failed after $(($(date +%s) - t0)) s (run-in-v2vm: $rc); the guest's last lines:"
		tail -n 40 "$out"
		if [ -n "$run_dir" ]; then
			echo "--- guest console (tail)"; tail -n 25 "$run_dir/console.log" 2>/dev/null
			echo "--- qemu stderr (tail)"; tail -n 10 "$run_dir/qemu.err" 2>/dev/null
		fi
	} >&2
fi
[ "$failed" = 0 ]
