#!/bin/bash
# cgroups: every resource written and read back from the cgroup files on the host (v1, hybrid and
# v2), limits that really bite (OOM kill, pids, devices), pause/resume, update, kill --all, ps, delete.
# Runs on this v1 hybrid host and, unchanged, in the pure cgroup v2 guest (tests/integration/v2-lane.sh).
source "$(dirname "$0")/../lib/tap.sh"

if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then CG_MODE=v2; else CG_MODE=v1; fi
UNIFIED=
if [ "$CG_MODE" = v2 ]; then UNIFIED=/sys/fs/cgroup
elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then UNIFIED=/sys/fs/cgroup/unified; fi

# cg_dir PID CONTROLLER: the directory of PID's cgroup holding CONTROLLER ("unified" = the v2 one).
cg_dir() {
	local pid=$1 ctrl=$2 mnt rel
	if [ "$CG_MODE" = v2 ] || [ "$ctrl" = unified ]; then
		rel=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
		echo "$UNIFIED$rel"
		return
	fi
	mnt=$(awk -v c="$ctrl" '$9 == "cgroup" { n = split($NF, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) { print $5; exit } }' /proc/self/mountinfo)
	[ -n "$mnt" ] || { echo "no v1 mount for $ctrl" >&2; return 1; }
	rel=$(awk -F: -v c="$ctrl" '{ n = split($2, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) print $3 }' "/proc/$pid/cgroup")
	echo "$mnt$rel"
}
# cg_read PID CONTROLLER FILE
cg_read() { local d; d=$(cg_dir "$1" "$2") && cat "$d/$3"; }

# A bundle whose process runs `sh -c SCRIPT`.
sh_bundle() { make_bundle "$1"; set_args "$1" sh -c "$2"; bundle_jq "$1" '.root.readonly = false'; }
init_pid() { rt_state "$1"; jq -r .pid <<<"$STATE"; }

# wait_file FILE [SECONDS]: until FILE exists and is not empty.
wait_file() {
	local i=0
	while [ ! -s "$1" ] && [ $i -lt $((${2:-5} * 20)) ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$1" ] || t_fail "$1 did not appear"
}

# --------------------------------------------------------------------------------------- lifecycle
# create/start/state/kill/delete with the cgroup's life followed on the host.
t_lifecycle_cgroup() {
	local b=$TD/b id; id=$(new_id)
	sh_bundle "$b" 'trap "exit 3" TERM; echo ready > /tmp/ready; while :; do sleep 0.1; done'
	rt_ok create --bundle "$b" "$id"
	rt_state "$id"
	assert_eq "$(jq -r .status <<<"$STATE")" created "status after create"
	local pid; pid=$(jq -r .pid <<<"$STATE")
	local dir; dir=$(cg_dir "$pid" pids)
	assert_match "$dir" "$(jq -r .linux.cgroupsPath "$b/config.json")\$" "the init is in its cgroup before start"
	assert_contains "$(cat "$dir/cgroup.procs")" "$pid" "cgroup.procs"
	rt_ok start "$id"
	wait_file "$b/rootfs/tmp/ready"
	rt_state "$id"
	assert_eq "$(jq -r .status <<<"$STATE")" running "status after start"
	rt_ok kill "$id" TERM
	wait_status "$id" stopped 10
	assert_file "$dir" "the cgroup stays until delete"
	rt_ok delete "$id"
	assert_no_file "$dir" "cgroup removed by delete"
	rt_fails state "$id"
}

# --------------------------------------------------------------------------------------- read back
t_memory_readback() {
	local b=$TD/b id; id=$(new_id)
	sh_bundle "$b" 'sleep 100'
	if [ "$CG_MODE" = v1 ]; then
		bundle_jq "$b" '.linux.resources.memory = {limit: 67108864, reservation: 33554432, swap: 100663296,
			swappiness: 30, disableOOMKiller: true}'
	else
		bundle_jq "$b" '.linux.resources.memory = {limit: 67108864, reservation: 33554432, swap: 100663296}'
	fi
	rt_ok run -d --bundle "$b" "$id"
	local pid; pid=$(init_pid "$id")
	if [ "$CG_MODE" = v1 ]; then
		assert_eq "$(cg_read "$pid" memory memory.limit_in_bytes)" 67108864 memory.limit_in_bytes
		assert_eq "$(cg_read "$pid" memory memory.soft_limit_in_bytes)" 33554432 memory.soft_limit_in_bytes
		if [ -e "$(cg_dir "$pid" memory)/memory.memsw.limit_in_bytes" ]; then
			assert_eq "$(cg_read "$pid" memory memory.memsw.limit_in_bytes)" 100663296 memory.memsw.limit_in_bytes
		fi
		assert_eq "$(cg_read "$pid" memory memory.swappiness)" 30 memory.swappiness
		assert_contains "$(cg_read "$pid" memory memory.oom_control)" "oom_kill_disable 1" memory.oom_control
	else
		assert_eq "$(cg_read "$pid" memory memory.max)" 67108864 memory.max
		assert_eq "$(cg_read "$pid" memory memory.low)" 33554432 memory.low
		assert_eq "$(cg_read "$pid" memory memory.swap.max)" 33554432 "memory.swap.max (swap - limit)"
	fi
	rt_ok delete -f "$id"
}

t_cpu_readback() {
	local b=$TD/b id; id=$(new_id)
	sh_bundle "$b" 'sleep 100'
	bundle_jq "$b" '.linux.resources.cpu = {shares: 512, quota: 50000, period: 100000, cpus: "0", mems: "0"}'
	rt_ok run -d --bundle "$b" "$id"
	local pid; pid=$(init_pid "$id")
	if [ "$CG_MODE" = v1 ]; then
		assert_eq "$(cg_read "$pid" cpu cpu.shares)" 512 cpu.shares
		assert_eq "$(cg_read "$pid" cpu cpu.cfs_quota_us)" 50000 cpu.cfs_quota_us
		assert_eq "$(cg_read "$pid" cpu cpu.cfs_period_us)" 100000 cpu.cfs_period_us
	else
		# runc: weight = 1 + ((shares - 2) * 9999) / 262142
		assert_eq "$(cg_read "$pid" cpu cpu.weight)" 20 cpu.weight
		assert_eq "$(cg_read "$pid" cpu cpu.max)" "50000 100000" cpu.max
	fi
	assert_eq "$(cg_read "$pid" cpuset cpuset.cpus)" 0 cpuset.cpus
	assert_eq "$(cg_read "$pid" cpuset cpuset.mems)" 0 cpuset.mems
	# The kernel enforces it: the process may only run on CPU 0.
	assert_match "$(awk '/^Cpus_allowed_list/ { print $2 }' "/proc/$pid/status")" '^0$' Cpus_allowed_list
	rt_ok delete -f "$id"
}

t_pids_readback() {
	local b=$TD/b id; id=$(new_id)
	sh_bundle "$b" 'sleep 100'
	bundle_jq "$b" '.linux.resources.pids = {limit: 42}'
	rt_ok run -d --bundle "$b" "$id"
	assert_eq "$(cg_read "$(init_pid "$id")" pids pids.max)" 42 pids.max
	rt_ok delete -f "$id"
}

t_hugetlb_readback() {
	[ -n "$UNIFIED" ] && grep -qw hugetlb "$UNIFIED/cgroup.controllers" 2>/dev/null || t_skip "no hugetlb controller in cgroup2"
	# Enabling it above our own cgroup would touch cgroups that are not ours: only test when delegated.
	local anc=$UNIFIED${T_CG_BASE%/*}
	while [ ! -d "$anc" ]; do anc=${anc%/*}; done
	grep -qw hugetlb "$anc/cgroup.controllers" ||
		t_skip "hugetlb is not delegated to ${anc#$UNIFIED} in $UNIFIED (enabling it would change a parent cgroup)"
	# The smallest page size; the kernel rounds a limit down to whole pages.
	local sizes; sizes=$(ls /sys/kernel/mm/hugepages 2>/dev/null | sort -t- -k2 -n | head -1)
	[ -n "$sizes" ] || t_skip "no huge page sizes"
	local kb=${sizes#hugepages-} ps
	kb=${kb%kB}
	if [ "$kb" -ge 1048576 ]; then ps=$((kb / 1048576))GB; elif [ "$kb" -ge 1024 ]; then ps=$((kb / 1024))MB; else ps=${kb}KB; fi
	local b=$TD/b id; id=$(new_id)
	sh_bundle "$b" 'sleep 100'
	local limit=$((4 * kb * 1024))
	bundle_jq "$b" --arg ps "$ps" --argjson l "$limit" '.linux.resources.hugepageLimits = [{pageSize: $ps, limit: $l}]'
	rt_ok run -d --bundle "$b" "$id"
	assert_eq "$(cg_read "$(init_pid "$id")" unified "hugetlb.$ps.max")" "$limit" "hugetlb.$ps.max"
	rt_ok delete -f "$id"
}

t_blkio_throttle_readback() {
	command -v losetup >/dev/null || t_skip "no losetup"
	truncate -s 8M "$TD/disk.img"
	local loop; loop=$(losetup -f --show "$TD/disk.img" 2>/dev/null) || t_skip "cannot create a loop device"
	local majmin; majmin=$(printf '%d:%d' "0x$(stat -c %t "$loop")" "0x$(stat -c %T "$loop")")
	local b=$TD/b id; id=$(new_id) rc=0
	sh_bundle "$b" 'sleep 100'
	bundle_jq "$b" --argjson maj "${majmin%:*}" --argjson min "${majmin#*:}" \
		'.linux.resources.blockIO = {throttleReadBpsDevice: [{major: $maj, minor: $min, rate: 1048576}],
		 throttleWriteIOPSDevice: [{major: $maj, minor: $min, rate: 100}]}'
	(
		rt_ok run -d --bundle "$b" "$id"
		local pid; pid=$(init_pid "$id")
		if [ "$CG_MODE" = v1 ]; then
			assert_eq "$(cg_read "$pid" blkio blkio.throttle.read_bps_device)" "$majmin 1048576" read_bps_device
			assert_eq "$(cg_read "$pid" blkio blkio.throttle.write_iops_device)" "$majmin 100" write_iops_device
		else
			assert_contains "$(cg_read "$pid" io io.max)" "$majmin rbps=1048576 wbps=max riops=max wiops=100" io.max
		fi
		rt_ok delete -f "$id"
	) || rc=$?
	losetup -d "$loop"
	return $rc
}

t_devices_readback() {
	[ "$CG_MODE" = v1 ] || t_skip "devices.list is v1 only (v2 uses a BPF program; see the deny tests)"
	local b=$TD/b id; id=$(new_id)
	sh_bundle "$b" 'sleep 100'
	bundle_jq "$b" '.linux.resources.devices += [{allow: true, type: "c", major: 10, minor: 200, access: "rw"},
		{allow: true, type: "b", major: 7, access: "r"}]
		| .linux.devices = [{path: "/dev/tuntest", type: "c", major: 10, minor: 229}]'
	rt_ok run -d --bundle "$b" "$id"
	local list; list=$(cg_read "$(init_pid "$id")" devices devices.list)
	assert_contains "$list" "c 10:200 rw" "resources.devices rule"
	assert_contains "$list" "b 7:* r" "wildcard minor"
	assert_contains "$list" "c 10:229 rwm" "linux.devices entry gets an allow rule"
	assert_contains "$list" "c 1:3 rwm" "default rule for /dev/null"
	assert_not_contains "$list" "a *:* rwm" "deny-all by default"
	rt_ok delete -f "$id"
}

# --------------------------------------------------------------------------------- limits that bite
t_oom_kill() {
	local b=$TD/b
	# A string that doubles until the memory limit stops it.
	sh_bundle "$b" 'echo before; exec awk "BEGIN { s = \"x\"; while (1) s = s s }"'
	# swap == limit: no swap to escape to (v1 memsw; v2 swap.max 0).
	bundle_jq "$b" '.linux.resources.memory = {limit: 16777216, swap: 16777216}'
	run_rt run --bundle "$b" "$(new_id)"
	assert_eq "$RT_RC" 137 "exit status of an OOM-killed container"
	assert_eq "$RT_OUT" before "stdout"
}

t_pids_limit_stops_fork() {
	local b=$TD/b id; id=$(new_id)
	# The subshell dies at the first failed fork ("can't fork"); the init goes on.
	sh_bundle "$b" '(i=0; while [ $i -lt 20 ]; do sleep 100 & i=$((i + 1)); done) 2>/tmp/err; echo done > /tmp/done; exec sleep 100'
	bundle_jq "$b" '.linux.resources.pids = {limit: 8}'
	rt_ok run -d --bundle "$b" "$id"
	wait_file "$b/rootfs/tmp/done"
	local pid; pid=$(init_pid "$id")
	local cur; cur=$(cg_read "$pid" pids pids.current)
	[ "$cur" -le 8 ] && [ "$cur" -ge 5 ] || t_fail "pids.current $cur with pids.max 8"
	assert_match "$(cat "$b/rootfs/tmp/err")" "fork" "the shell could not fork"
	assert_match "$(cg_read "$pid" pids pids.events)" "max [1-9]" "pids.events counts the refused forks"
	local n; n=$(wc -l <"$(cg_dir "$pid" pids)/cgroup.procs")
	[ "$n" -le 8 ] || t_fail "$n processes with pids.max 8"
	rt_ok delete -f "$id"
}

# A device node the container makes itself (CAP_MKNOD): the device cgroup decides whether it may
# be created ('m') and opened ('r'/'w'). /dev/net/tun (c 10:200) opens without privileges.
dev_bundle() {
	sh_bundle "$1" "$2"
	bundle_jq "$1" '.process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"]
		| .process.capabilities.permitted += ["CAP_MKNOD"]'
}

t_devices_deny_mknod() {
	local b=$TD/b
	# runc's default rules allow mknod of any device ("c *:* m"), not its use.
	dev_bundle "$b" 'mknod /dev/xtun c 10 200 || exit 9; mknod /dev/xnull c 1 3 || exit 8
		if (exec 3</dev/xtun) 2>/tmp/err; then echo OPEN-OK; else echo OPEN-DENIED; cat /tmp/err; fi
		echo x > /dev/xnull && echo NULL-OK'
	run_rt run --bundle "$b" "$(new_id)"
	assert_eq "$RT_RC" 0 "exit status (stderr: $RT_ERR)"
	assert_contains "$RT_OUT" "OPEN-DENIED" "open of a device not allowed (deny-all default)"
	assert_contains "$RT_OUT" "not permitted" "EPERM"
	assert_contains "$RT_OUT" "NULL-OK" "write to a node with /dev/null's numbers (default rule)"
}

t_devices_deny_read() {
	[ -e /dev/net/tun ] || modprobe tun 2>/dev/null || true
	local b=$TD/b
	dev_bundle "$b" 'mknod /dev/xtun c 10 200 || exit 9
		if (exec 3</dev/xtun) 2>/tmp/err; then echo READ-OPEN; else echo READ-DENIED; cat /tmp/err; fi
		if (exec 4>/dev/xtun); then echo WRITE-OPEN; else echo WRITE-DENIED; fi'
	bundle_jq "$b" '.linux.resources.devices += [{allow: true, type: "c", major: 10, minor: 200, access: "rwm"},
		{allow: false, type: "c", major: 10, minor: 200, access: "r"}]'
	run_rt run --bundle "$b" "$(new_id)"
	assert_eq "$RT_RC" 0 "exit status (stderr: $RT_ERR)"
	assert_contains "$RT_OUT" "READ-DENIED" "read access denied by the later deny rule"
	assert_contains "$RT_OUT" "WRITE-OPEN" "write access still allowed"
	assert_contains "$RT_ERR$RT_OUT" "not permitted" "EPERM"
}

t_linux_devices_allowed() {
	[ -e /dev/net/tun ] || modprobe tun 2>/dev/null || true
	local b=$TD/b
	sh_bundle "$b" 'if (exec 3</dev/tuntest); then echo OPEN-OK; else echo OPEN-DENIED; fi'
	bundle_jq "$b" '.linux.devices = [{path: "/dev/tuntest", type: "c", major: 10, minor: 200}]'
	run_rt run --bundle "$b" "$(new_id)"
	assert_eq "$RT_RC" 0 "exit status (stderr: $RT_ERR)"
	assert_contains "$RT_OUT" "OPEN-OK" "a linux.devices entry is allowed in the device cgroup"
}

# --------------------------------------------------------------------------------- pause / resume
# A container with a counter and two more processes.
counter_bundle() {
	sh_bundle "$1" 'sleep 100 & sleep 100 & i=0; while :; do i=$((i + 1)); echo $i > /tmp/c.new; mv /tmp/c.new /tmp/c; done'
}

proc_states() { local p; for p in "$@"; do awk '/^State:/ { print $2 }' "/proc/$p/status" 2>/dev/null; done | sort -u | tr '\n' ' '; }

t_pause_resume() {
	local b=$TD/b id; id=$(new_id)
	counter_bundle "$b"
	rt_ok run -d --bundle "$b" "$id"
	wait_file "$b/rootfs/tmp/c"
	local pid; pid=$(init_pid "$id")
	rt_ok pause "$id"
	rt_state "$id"
	assert_eq "$(jq -r .status <<<"$STATE")" paused "status after pause"
	run_rt list
	assert_match "$RT_OUT" "$id +[0-9]+ +paused" "list shows paused"
	if [ "$CG_MODE" = v1 ]; then
		assert_eq "$(cg_read "$pid" freezer freezer.state)" FROZEN freezer.state
	else
		assert_contains "$(cg_read "$pid" unified cgroup.events)" "frozen 1" cgroup.events
	fi
	local pids; pids=$(cat "$(cg_dir "$pid" pids)/cgroup.procs")
	[ "$(wc -w <<<"$pids")" -ge 3 ] || t_fail "expected >= 3 processes, got: $pids"
	# v1 freezer: frozen tasks show as "D"; v2 (cgroup.freeze) parks them in an interruptible
	# sleep ("S"). Either way none is running.
	local states; states=$(proc_states $pids)
	if [ "$CG_MODE" = v1 ]; then assert_eq "$states" "D " "process states while frozen"
	else assert_not_contains "$states" "R" "process states while frozen"; fi
	local c1 c2; c1=$(cat "$b/rootfs/tmp/c"); sleep 0.3; c2=$(cat "$b/rootfs/tmp/c")
	assert_eq "$c2" "$c1" "the counter does not advance while paused"
	rt_fails pause "$id"
	rt_ok resume "$id"
	rt_state "$id"
	assert_eq "$(jq -r .status <<<"$STATE")" running "status after resume"
	sleep 0.3
	c2=$(cat "$b/rootfs/tmp/c")
	[ "$c2" -gt "$c1" ] || t_fail "counter did not advance after resume ($c1 -> $c2)"
	assert_not_contains "$(proc_states $pids)" "D" "no process frozen after resume"
	rt_fails resume "$id"
	rt_ok delete -f "$id"
}

t_delete_paused() {
	local b=$TD/b id; id=$(new_id)
	counter_bundle "$b"
	rt_ok run -d --bundle "$b" "$id"
	rt_ok pause "$id"
	rt_fails delete "$id"
	rt_ok delete -f "$id"
	rt_fails state "$id"
}

t_exec_paused() {
	local b=$TD/b id; id=$(new_id)
	sh_bundle "$b" 'sleep 100'
	rt_ok run -d --bundle "$b" "$id"
	rt_ok pause "$id"
	assert_fails_with "paused" exec "$id" true
	# --ignore-paused: the process joins the frozen cgroup and runs once the container resumes.
	"$BERTH" --root "$T_ROOT" exec -d --ignore-paused "$id" touch /tmp/after-resume &
	local bg=$!
	sleep 0.5
	assert_no_file "$b/rootfs/tmp/after-resume" "ran while paused"
	rt_ok resume "$id"
	wait "$bg" || t_fail "exec --ignore-paused failed"
	local i=0; while [ ! -e "$b/rootfs/tmp/after-resume" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	assert_file "$b/rootfs/tmp/after-resume" "the exec'd process ran after resume"
	rt_ok delete -f "$id"
}

# --------------------------------------------------------------------------------------- update
t_update_live() {
	local b=$TD/b id; id=$(new_id)
	sh_bundle "$b" 'sleep 100'
	bundle_jq "$b" '.linux.resources.memory = {limit: 67108864} | .linux.resources.pids = {limit: 50}'
	rt_ok run -d --bundle "$b" "$id"
	local pid; pid=$(init_pid "$id") mem=memory.limit_in_bytes
	[ "$CG_MODE" = v2 ] && mem=memory.max
	rt_ok update --memory 128m --pids-limit 30 "$id"
	assert_eq "$(cg_read "$pid" memory $mem)" 134217728 "$mem after update"
	assert_eq "$(cg_read "$pid" pids pids.max)" 30 "pids.max after update"
	rt_ok update --memory-swap -1 --memory 1g --cpu-share 256 --cpu-quota 20000 --cpu-period 100000 "$id"
	assert_eq "$(cg_read "$pid" memory $mem)" 1073741824 "$mem (suffix g)"
	if [ "$CG_MODE" = v1 ]; then
		assert_eq "$(cg_read "$pid" cpu cpu.shares)" 256 cpu.shares
		assert_eq "$(cg_read "$pid" cpu cpu.cfs_quota_us)" 20000 cpu.cfs_quota_us
	else
		assert_eq "$(cg_read "$pid" cpu cpu.max)" "20000 100000" cpu.max
	fi
	# -r FILE and -r - (stdin); the other flags are then ignored.
	echo '{"pids": {"limit": 25}, "memory": {"limit": 100663296}}' >"$TD/r.json"
	rt_ok update -r "$TD/r.json" "$id"
	assert_eq "$(cg_read "$pid" pids pids.max)" 25 "pids.max after -r"
	assert_eq "$(cg_read "$pid" memory $mem)" 100663296 "$mem after -r"
	"$BERTH" --root "$T_ROOT" update -r - "$id" <<<'{"pids": {"limit": 24}}' || t_fail "update -r -"
	assert_eq "$(cg_read "$pid" pids pids.max)" 24 "pids.max after -r -"
	# A live limit that really bites after the update.
	rt_ok update --pids-limit 2 "$id"
	run_rt exec "$id" sh -c 'sleep 1 & sleep 1 & wait'
	assert_ne "$RT_RC" 0 "fork beyond an updated pids limit"
	rt_ok update --pids-limit -1 "$id"
	assert_eq "$(cg_read "$pid" pids pids.max)" max "pids.max unlimited"
	rt_ok delete -f "$id"
}

t_update_recorded() {
	local b=$TD/b id; id=$(new_id)
	sh_bundle "$b" 'sleep 100'
	rt_ok run -d --bundle "$b" "$id"
	rt_ok update --memory 64m "$id"
	rt_ok update --pids-limit 33 "$id"
	local cfg=$T_ROOT/$id/config.json
	assert_eq "$(jq -c '.linux.resources | {memory, pids}' "$cfg")" '{"memory":{"limit":67108864},"pids":{"limit":33}}' "recorded resources"
	# The bundle's own config.json is not touched.
	assert_eq "$(jq -c '.linux.resources.pids' "$b/config.json")" null "bundle config unchanged"
	rt_ok delete -f "$id"
}

t_update_errors() {
	local b=$TD/b id; id=$(new_id)
	sh_bundle "$b" 'head -c 24m /dev/zero > /dev/shm/fill; echo ready > /tmp/ready; sleep 100'
	bundle_jq "$b" '.linux.resources.memory = {limit: 134217728}'
	rt_ok run -d --bundle "$b" "$id"
	wait_file "$b/rootfs/tmp/ready"
	assert_fails_with "--memory.*12x" update --memory 12x "$id"
	assert_fails_with "--cpu-quota" update --cpu-quota abc "$id"
	assert_fails_with "--pids-limit" update --pids-limit many "$id"
	assert_fails_with "--blkio-weight" update --blkio-weight 5000 "$id"
	assert_fails_with "--cpu-share" update --cpu-share -3 "$id"
	assert_fails_with "not supported" update --l3-cache-schema L3:0=f "$id"
	assert_fails_with "not supported" update --mem-bw-schema MB:0=50 "$id"
	assert_fails_with "does not exist" update --memory 64m nosuchcontainer
	echo '{"memory": {"limit": "lots"}}' >"$TD/bad.json"
	assert_fails_with "memory\.limit" update -r "$TD/bad.json" "$id"
	echo '{"memory": {"limit": 8388608, "checkBeforeUpdate": true}}' >"$TD/cbu.json"
	assert_fails_with "checkBeforeUpdate" update -r "$TD/cbu.json" "$id"
	rt_ok delete -f "$id"
	local id2; id2=$(new_id)
	sh_bundle "$TD/b2" 'true'
	rt_ok create --bundle "$TD/b2" "$id2"
	rt_ok start "$id2"
	wait_status "$id2" stopped 10
	assert_fails_with "stopped" update --memory 64m "$id2"
	rt_ok delete "$id2"
}

# ------------------------------------------------------------------------------ kill --all, ps
several_bundle() { sh_bundle "$1" 'sleep 100 & sleep 100 & sleep 100 & echo up > /tmp/up; wait'; }

kill_all_case() {
	local b=$1 id; id=$(new_id)
	rt_ok run -d --bundle "$b" "$id"
	wait_file "$b/rootfs/tmp/up"
	local pid; pid=$(init_pid "$id")
	local procs; procs=$(cat "$(cg_dir "$pid" pids)/cgroup.procs")
	[ "$(wc -w <<<"$procs")" -ge 4 ] || t_fail "expected >= 4 processes, got: $procs"
	local p; for p in $procs; do track_pid "$p"; done
	rt_ok kill --all "$id" KILL
	wait_status "$id" stopped 10
	local i=0 alive
	while :; do
		alive=
		for p in $procs; do t_alive "$p" && alive="$alive $p"; done
		[ -z "$alive" ] && break
		i=$((i + 1)); [ $i -lt 100 ] || t_fail "still alive after kill --all:$alive"
		sleep 0.05
	done
	rt_ok delete "$id"
}

t_kill_all_host_pidns() {
	local b=$TD/b
	several_bundle "$b"
	bundle_jq "$b" '.linux.namespaces |= map(select(.type != "pid"))'
	kill_all_case "$b"
}

t_kill_all_pidns() {
	local b=$TD/b
	several_bundle "$b"
	kill_all_case "$b"
}

t_ps() {
	local b=$TD/b id; id=$(new_id)
	several_bundle "$b"
	rt_ok run -d --bundle "$b" "$id"
	wait_file "$b/rootfs/tmp/up"
	local pid; pid=$(init_pid "$id")
	local procs; procs=$(sort -n "$(cg_dir "$pid" pids)/cgroup.procs" | tr '\n' ' ')
	rt_ok ps --format json "$id"
	assert_eq "$(jq -r 'sort | map(tostring) | join(" ")' <<<"$RT_OUT") " "$procs" "ps --format json = cgroup.procs"
	rt_ok ps "$id"
	assert_match "$(head -1 <<<"$RT_OUT")" "PID" "table header"
	assert_eq "$(grep -c ' sleep 100$' <<<"$RT_OUT")" 3 "three sleeps in the table"
	rt_ok ps "$id" -o pid,comm
	assert_eq "$(tail -n +2 <<<"$RT_OUT" | awk '{ print $1 }' | sort -n | tr '\n' ' ')" "$procs" "ps -o pid,comm"
	rt_ok delete -f "$id"
	assert_fails_with "does not exist" ps "$id"
}

t_delete_removes_cgroups() {
	local b=$TD/b id; id=$(new_id)
	several_bundle "$b"
	bundle_jq "$b" '.linux.resources.pids = {limit: 100} | .linux.resources.memory = {limit: 67108864}'
	rt_ok run -d --bundle "$b" "$id"
	wait_file "$b/rootfs/tmp/up"
	local pid; pid=$(init_pid "$id")
	local rel; rel=$(jq -r .linux.cgroupsPath "$b/config.json")
	local dirs=() m
	for m in $(t_cgroup_mounts); do [ -d "$m$rel" ] && dirs+=("$m$rel"); done
	[ ${#dirs[@]} -ge 1 ] || t_fail "no cgroup directory found for $rel"
	[ "$CG_MODE" = v1 ] && { [ ${#dirs[@]} -ge 5 ] || t_fail "expected a directory per v1 hierarchy, got ${dirs[*]}"; }
	rt_ok delete -f "$id"
	for m in "${dirs[@]}"; do assert_no_file "$m" "cgroup left after delete"; done
}

t_run "lifecycle: the cgroup from create to delete" t_lifecycle_cgroup
t_run "memory: limit, reservation, swap, swappiness, disableOOMKiller read back" t_memory_readback
t_run "cpu: shares, quota, period, cpus, mems read back" t_cpu_readback
t_run "pids.max read back" t_pids_readback
t_run "hugetlb limit read back (cgroup2)" t_hugetlb_readback
t_run "blkio throttle on a loop device read back" t_blkio_throttle_readback
t_run "devices.list: resources.devices, linux.devices, defaults" t_devices_readback
t_run "memory limit OOM-kills (exit 137)" t_oom_kill
t_run "pids limit stops fork" t_pids_limit_stops_fork
t_run "device cgroup denies mknod, allows the default devices" t_devices_deny_mknod
t_run "device cgroup: a deny rule refuses read access (EPERM)" t_devices_deny_read
t_run "linux.devices entries are allowed in the device cgroup" t_linux_devices_allowed
t_run "pause freezes every process, resume thaws" t_pause_resume
t_run "delete of a paused container: refused, --force works" t_delete_paused
t_run "exec into a paused container: error; --ignore-paused waits for resume" t_exec_paused berth_only
t_run "update changes live limits (flags, -r FILE, -r -)" t_update_live
t_run "update records the resources in the state" t_update_recorded berth_only
t_run "update: errors name the flag; checkBeforeUpdate; stopped container" t_update_errors berth_only
t_run "kill --all, host pid namespace: every process dies" t_kill_all_host_pidns
t_run "kill --all with a pid namespace" t_kill_all_pidns
t_run "ps: table, -o, --format json" t_ps
t_run "delete removes the cgroup in every hierarchy" t_delete_removes_cgroups
t_done
