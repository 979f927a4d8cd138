#!/bin/bash
# checkpoint / restore through CRIU (Debian's criu): a container's processes dumped and brought back
# with their memory, their bind mounts and their pipes, as runc does it; and every error path.
# The round trips need a kernel CRIU supports (`criu check`): this host's does not (CRIU 3.17 fails
# on its vDSO), Debian 12's does, so they run in the cgroup v2 lane (v2-lane.sh); the error paths,
# CRIU failing included, run everywhere.
source "$(dirname "$0")/../lib/tap.sh"

need_criu() {
	command -v criu >/dev/null || t_skip "criu is not installed"
	criu check >/dev/null 2>&1 || t_skip "criu check fails on this kernel ($(uname -r)); the v2 lane runs these"
}

# counter_bundle DIR: a shell that counts in its own memory, writes the count to /tmp/n and to
# stdout ("outN"), and a bind mount of a host directory at /data.
counter_bundle() {
	local b=$1
	make_bundle "$b"
	mkdir -p "$TD/host"; echo hello >"$TD/host/f"
	set_args "$b" sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/n; echo out$i; sleep 0.1; done'
	bundle_jq "$b" --arg h "$TD/host" '.mounts += [{"destination": "/data", "type": "bind", "source": $h, "options": ["rbind", "rw"]}]'
}

# start_with_pipes ID BUNDLE OUT: run -d with stdin and stdout+stderr on pipes (CRIU cannot dump a
# container whose stdio are host files, as with runc); OUT collects the output.
start_with_pipes() {
	"$BERTH" --root "$T_ROOT" run -d --bundle "$2" "$1" < <(true) > >(cat >"$3") 2>&1 \
		|| t_fail "run -d $1 failed"
	rt_state "$1"
}

count_in() { rt_ok exec "$1" cat /tmp/n; echo "$RT_OUT"; }
wait_count_above() { # ID N: the container's count passes N within 10 s
	local i=0 n=0
	while [ $i -lt 100 ]; do
		n=$(count_in "$1"); [ "$n" -gt "$2" ] 2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	t_fail "container $1: count $n did not pass $2"
}
last_out() { grep -o 'out[0-9]*' "$1" | tail -n1 | tr -d out; }

t_round_trip() {
	need_criu
	local b=$TD/b id; id=$(new_id)
	counter_bundle "$b"
	start_with_pipes "$id" "$b" "$TD/out1"
	local pid1; pid1=$(jq -r .pid <<<"$STATE")
	wait_count_above "$id" 3
	rt_ok checkpoint --image-path "$TD/img" --work-path "$TD/work" "$id"
	# As runc: the checkpointed container is gone, its record too.
	assert_fails_with 'does not exist' state "$id"
	t_alive "$pid1" && t_fail "the init $pid1 still runs after checkpoint"
	assert_file "$TD/work/dump.log"
	[ "$(ls "$TD/img" | grep -c '^netdev-' || true)" -gt 0 ] || t_fail "the network namespace was not dumped"
	assert_eq "$(jq -c . "$TD/img/descriptors.json" | grep -c 'pipe:')" 1 "descriptors.json names the pipes"
	assert_eq "$(jq -r '.[] | select(.destination == "/data") | .source' "$TD/img/berth-mounts.json")" "$TD/host" "bind source recorded"
	assert_contains "$(jq -r '.[].destination' "$TD/img/berth-mounts.json")" /proc/kcore "masked path recorded"
	local at_dump; at_dump=$(last_out "$TD/out1")
	echo 0 >"$b/rootfs/tmp/n" # the next count can only come from the restored memory
	# Restored into the cgroup the bundle names now, not the one the images recorded (the leak
	# check after the test finds the old one if CRIU made it again).
	bundle_jq "$b" --arg cg "$T_CG_BASE/restored-$RANDOM" '.linux.cgroupsPath = $cg'

	"$BERTH" --root "$T_ROOT" restore -d --bundle "$b" --image-path "$TD/img" --work-path "$TD/work2" \
		--pid-file "$TD/pid" "$id" < <(true) > >(cat >"$TD/out2") 2>&1 || t_fail "restore failed: $(tail -n 5 "$TD/work2/restore.log")"
	rt_state "$id"
	assert_eq "$(jq -r .status <<<"$STATE")" running status
	local pid2; pid2=$(jq -r .pid <<<"$STATE")
	assert_eq "$(cat "$TD/pid")" "$pid2" "--pid-file"
	assert_ne "$pid2" "$pid1" "a new host pid"
	wait_count_above "$id" "$at_dump"
	rt_ok exec "$id" cat /data/f
	assert_eq "$RT_OUT" hello "bind mount restored"
	rt_ok exec "$id" cat /proc/kcore
	assert_eq "$RT_OUT" "" "masked path restored"
	# Output goes to restore's own stdout, and the numbers go on.
	local i=0; while [ ! -s "$TD/out2" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	local first; first=$(grep -o 'out[0-9]*' "$TD/out2" | head -n1 | tr -d out)
	[ "$first" -gt "$at_dump" ] 2>/dev/null || t_fail "restored output starts at '$first', dump was at $at_dump"
	# It lives in the cgroup the bundle names.
	local cg; cg=$(jq -r .linux.cgroupsPath "$b/config.json")
	assert_contains "$(cat "/proc/$pid2/cgroup")" "$cg" cgroup
	assert_contains "$(cat "$(t_cgroup_mounts | head -n1)$cg/cgroup.procs" 2>/dev/null)" "$pid2" "the init in the bundle's cgroup"
	rt_ok delete -f "$id"
}

t_leave_running_and_pre_dump() {
	need_criu
	local b=$TD/b id; id=$(new_id)
	counter_bundle "$b"
	start_with_pipes "$id" "$b" "$TD/out1"
	local pid; pid=$(jq -r .pid <<<"$STATE")
	rt_ok checkpoint --pre-dump --image-path "$TD/pre" "$id"
	rt_ok checkpoint --leave-running --parent-path ../pre --image-path "$TD/img" "$id"
	rt_state "$id"
	assert_eq "$(jq -r .status <<<"$STATE")" running "status after --leave-running"
	assert_eq "$(jq -r .pid <<<"$STATE")" "$pid" "same init"
	assert_file "$TD/img/pstree.img"
	grep -q 'prev-images-dir\|parent' "$TD/img/dump.log" || t_fail "the dump did not use the pre-dump's images"
	rt_ok delete -f "$id"
	# The images restore as the same ID once the original is gone.
	"$BERTH" --root "$T_ROOT" restore -d --bundle "$b" --image-path "$TD/img" "$id" < <(true) > >(cat >"$TD/out2") 2>&1 \
		|| t_fail "restore failed: $(tail -n 5 "$TD/img/restore.log")"
	rt_state "$id"
	wait_count_above "$id" 1
	rt_ok delete -f "$id"
}

t_restore_foreground() {
	need_criu
	local b=$TD/b id; id=$(new_id)
	make_bundle "$b"
	set_args "$b" sh -c 'i=0; while [ $i -lt 30 ]; do i=$((i+1)); echo $i > /tmp/n; sleep 0.1; done; echo done-$i; exit 7'
	start_with_pipes "$id" "$b" "$TD/out1"
	wait_count_above "$id" 2
	# --empty-ns network (runc always adds it): the network namespace's devices, addresses and
	# rules are not dumped.
	rt_ok checkpoint --empty-ns network --image-path "$TD/img" "$id"
	assert_eq "$(ls "$TD/img" | grep -c '^netdev-' || true)" 0 "network devices dumped with --empty-ns network"
	# Not detached: restore waits for the container, returns its exit status, deletes it.
	local rc=0
	"$BERTH" --root "$T_ROOT" restore --empty-ns network --bundle "$b" --image-path "$TD/img" "$id" < <(true) > >(cat >"$TD/out2") 2>&1 || rc=$?
	assert_eq "$rc" 7 "foreground restore's exit status"
	assert_fails_with 'does not exist' state "$id"
	local i=0; while ! grep -q done-30 "$TD/out2" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	assert_contains "$(cat "$TD/out2")" done-30 "restored output"
}

t_restore_hooks() {
	need_criu
	# As runc: prestart and createRuntime hooks run when CRIU has set up the namespaces (its
	# "setup-namespaces" action), with the restored init's pid; a failing one fails the restore,
	# which leaves nothing behind; the images still restore after it.
	local b=$TD/b id; id=$(new_id)
	counter_bundle "$b"
	start_with_pipes "$id" "$b" "$TD/out1"
	wait_count_above "$id" 1
	rt_ok checkpoint --image-path "$TD/img" "$id"
	bundle_jq "$b" --arg d "$TD" '.hooks = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "cat > \($d)/prestart.json"]}],
		"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "cat > \($d)/createRuntime.json; echo hook-refused >&2; exit 3"]}]}'
	run_rt restore -d --bundle "$b" --image-path "$TD/img" "$id"
	[ "$RT_RC" != 0 ] || t_fail "restore with a failing createRuntime hook succeeded"
	assert_match "$RT_ERR" "restore \"$id\": .*createRuntime.*" "the hook's failure is the error"
	assert_eq "$(printf '%s\n' "$RT_ERR" | grep -c .)" 1 "one line"
	assert_fails_with 'does not exist' state "$id"
	bundle_jq "$b" '.hooks.createRuntime[0].args[2] = (.hooks.createRuntime[0].args[2] | sub("; echo.*"; ""))'
	rm -f "$TD/prestart.json" "$TD/createRuntime.json"
	"$BERTH" --root "$T_ROOT" restore -d --bundle "$b" --image-path "$TD/img" "$id" < <(true) > >(cat >"$TD/out2") 2>&1 \
		|| t_fail "restore failed: $(tail -n 5 "$TD/img/restore.log")"
	rt_state "$id"
	local pid; pid=$(jq -r .pid <<<"$STATE")
	assert_eq "$(jq -r .pid "$TD/prestart.json")" "$pid" "prestart got the restored init's pid"
	assert_eq "$(jq -r .id "$TD/createRuntime.json")" "$id" "createRuntime got the state"
	assert_eq "$(jq -r .status "$TD/createRuntime.json")" creating "createRuntime's status"
	rt_ok delete -f "$id"
}

# Everything below runs on any host: CRIU is not needed to fail cleanly.

t_checkpoint_errors() {
	local b=$TD/b id; id=$(new_id)
	make_bundle "$b"
	assert_fails_with 'container "nope" does not exist' checkpoint --image-path "$TD/img" nope
	set_args "$b" sleep 100
	rt_ok create --bundle "$b" "$id"
	assert_fails_with "cannot checkpoint container \"$id\": it is created, not running" checkpoint --image-path "$TD/img" "$id"
	rt_ok start "$id"
	assert_fails_with '^[^ ]+ --manage-cgroups-mode: bogus: must be soft, full, strict or ignore|--manage-cgroups-mode: bogus' \
		checkpoint --manage-cgroups-mode bogus --image-path "$TD/img" "$id"
	: >"$TD/file"
	assert_fails_with '--image-path .*file' checkpoint --image-path "$TD/file/img" "$id"
	# Without criu in PATH: said so, before anything is written.
	run_rt_env PATH=/nonexistent -- checkpoint --image-path "$TD/img2" "$id"
	[ "$RT_RC" != 0 ] || t_fail "checkpoint without criu succeeded"
	assert_contains "$RT_ERR" "criu not found in PATH"
	assert_no_file "$TD/img2" "image dir made before criu was found"
	rt_state "$id"
	assert_eq "$(jq -r .status <<<"$STATE")" running "the container is untouched"
	rt_ok delete -f "$id"
	# A terminal container: refused by name.
	[ -x "${RECVTTY:-}" ] || t_skip "RECVTTY not built"
	local t=$TD/t tid; tid=$(new_id)
	make_bundle "$t"; set_args "$t" sleep 100
	bundle_jq "$t" '.process.terminal = true'
	"$RECVTTY" "$TD/tty.sock" >/dev/null 2>&1 &
	local rp=$!
	local i=0; while [ ! -S "$TD/tty.sock" ] && [ $i -lt 100 ]; do sleep 0.02; i=$((i + 1)); done
	rt_ok run -d --console-socket "$TD/tty.sock" --bundle "$t" "$tid"
	assert_fails_with 'process.terminal containers are not supported' checkpoint --image-path "$TD/img" "$tid"
	rt_ok delete -f "$tid"
	wait "$rp" || true
}

t_criu_failure_keeps_container() {
	command -v criu >/dev/null || t_skip "criu is not installed"
	# stdout and stderr on a host file (run_rt's): CRIU refuses that on a kernel it supports ("Can't
	# lookup mount"), and fails earlier on one it does not. Either way: one line naming CRIU's error
	# and its log, and the container running on.
	local b=$TD/b id; id=$(new_id)
	make_bundle "$b"; set_args "$b" sleep 100
	rt_ok run -d --bundle "$b" "$id"
	rt_state "$id"
	local pid; pid=$(jq -r .pid <<<"$STATE")
	assert_fails_with "checkpoint \"$id\": criu dump failed \(exit status [0-9]+\): Error \(.*\(log: $TD/img/dump.log\)" \
		checkpoint --image-path "$TD/img" "$id"
	rt_state "$id"
	assert_eq "$(jq -r .status <<<"$STATE")" running "status after a failed checkpoint"
	assert_eq "$(jq -r .pid <<<"$STATE")" "$pid" "same init"
	rt_ok exec "$id" true
	rt_ok delete -f "$id"
}

t_restore_errors() {
	local b=$TD/b id; id=$(new_id)
	make_bundle "$b"; set_args "$b" sleep 100
	assert_fails_with '--image-path .*missing.*No such file' restore --bundle "$b" --image-path "$TD/missing" "$id"
	mkdir -p "$TD/empty"
	assert_fails_with '--image-path: .*descriptors.json' restore --bundle "$b" --image-path "$TD/empty" "$id"
	echo '{}' >"$TD/empty/descriptors.json"
	assert_fails_with 'descriptors.json: not a JSON array' restore --bundle "$b" --image-path "$TD/empty" "$id"
	echo '["pipe:[1]", "/dev/null", "/dev/null"]' >"$TD/empty/descriptors.json"
	echo '[{"destination": "/x"}]' >"$TD/empty/berth-mounts.json"
	assert_fails_with 'berth-mounts.json: entry 0: needs "destination" and "source"' restore --bundle "$b" --image-path "$TD/empty" "$id"
	rm "$TD/empty/berth-mounts.json"
	assert_fails_with '--no-subreaper: only with --detach' restore --no-subreaper --bundle "$b" --image-path "$TD/empty" "$id"
	assert_fails_with '--lsm-profile: LSM labels are not applied on restore' restore --lsm-profile apparmor:x --bundle "$b" --image-path "$TD/empty" "$id"
	run_rt_env PATH=/nonexistent -- restore --bundle "$b" --image-path "$TD/empty" --work-path "$TD/w" "$id"
	[ "$RT_RC" != 0 ] || t_fail "restore without criu succeeded"
	assert_contains "$RT_ERR" "criu not found in PATH"
	assert_no_file "$TD/w" "work dir made before criu was found"
	assert_fails_with '--empty-ns: ipc: only "network" can be left empty' restore --empty-ns ipc --bundle "$b" --image-path "$TD/empty" "$id"
	assert_fails_with '--manage-cgroups-mode: x: must be' restore --manage-cgroups-mode x --bundle "$b" --image-path "$TD/empty" "$id"
	assert_fails_with 'bad id|container ID|invalid' restore --bundle "$b" --image-path "$TD/empty" '../x'
	local t=$TD/t; make_bundle "$t"; bundle_jq "$t" '.process.terminal = true'
	assert_fails_with 'restore: process.terminal containers are not supported' restore --bundle "$t" --image-path "$TD/empty" "$id"
	# An ID in use: refused, and the container that has it is untouched.
	rt_ok run -d --bundle "$b" "$id"
	rt_state "$id"
	local pid; pid=$(jq -r .pid <<<"$STATE")
	assert_fails_with "$id.*exists" restore -d --bundle "$b" --image-path "$TD/empty" "$id"
	rt_state "$id"
	assert_eq "$(jq -r .pid <<<"$STATE")" "$pid" "the existing container"
	assert_eq "$(jq -r .status <<<"$STATE")" running
	rt_ok delete -f "$id"
}

t_restore_criu_failure_cleans_up() {
	command -v criu >/dev/null || t_skip "criu is not installed"
	# Images without a process tree: CRIU fails; the state dir and cgroup made for the restore are
	# removed (the leak check after every test looks at both), nothing runs.
	local b=$TD/b id; id=$(new_id)
	make_bundle "$b"; set_args "$b" sleep 100
	mkdir -p "$TD/img"
	echo '["/dev/null", "/dev/null", "/dev/null"]' >"$TD/img/descriptors.json"
	assert_fails_with "restore \"$id\": criu restore failed \(exit status [0-9]+\): .*\(log: $TD/img/restore.log\)" \
		restore -d --bundle "$b" --image-path "$TD/img" "$id"
	assert_fails_with 'does not exist' state "$id"
	rt_ok list -q
	assert_eq "$RT_OUT" "" "list after a failed restore"
}

t_run "checkpoint, restore -d: memory, bind mount, masked paths, pipes, cgroup" t_round_trip berth_only
t_run "checkpoint --pre-dump, --parent-path, --leave-running" t_leave_running_and_pre_dump berth_only
t_run "restore in the foreground returns the exit status; --empty-ns network" t_restore_foreground berth_only
t_run "restore runs prestart and createRuntime hooks; a failing one fails it cleanly" t_restore_hooks berth_only
t_run "checkpoint: errors (unknown, created, bad mode, bad path, no criu, terminal)" t_checkpoint_errors berth_only
t_run "checkpoint: CRIU's failure is one line and the container runs on" t_criu_failure_keeps_container berth_only
t_run "restore: errors leave nothing behind" t_restore_errors berth_only
t_run "restore: CRIU's failure leaves nothing behind" t_restore_criu_failure_cleans_up berth_only
t_done
