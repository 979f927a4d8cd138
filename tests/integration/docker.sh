#!/bin/bash
# Debian's Docker (docker.io 20.10: dockerd, its own containerd and the io.containerd.runc.v2 shim)
# with `--add-runtime`, once with /usr/bin/runc and once with $BERTH, side by side: the most common
# client of the runc CLI, none of us wrote it. A private dockerd (data and exec roots, socket under the
# test dir; no iptables, no bridge, vfs storage), an image imported from the busybox rootfs (no
# registry), containers' cgroups in $T_CG_BASE (--cgroup-parent) so the leak checks see them.
# The shim keeps the runtime's state in /run/containerd/runc/moby: each test checks that its
# containers leave nothing there. Cgroup v1 and v2 (the v2 lane runs this file too): limits and the
# freezer are read where the host has them.
source "$(dirname "$0")/../lib/tap.sh"

DK_DIR=$T_WORK/docker
DK_PID=
DK_STATE=/run/containerd/runc/moby
# /usr/local/bin may hold another docker client: Debian's, by path.
DOCKER=/usr/bin/docker

dk() { timeout 60 "$DOCKER" --host "unix://$DK_DIR/docker.sock" "$@"; }

dk_setup() {
	mkdir -p "$DK_DIR"
	dockerd --data-root "$DK_DIR/data" --exec-root "$DK_DIR/exec" --pidfile "$DK_DIR/dockerd.pid" \
		-H "unix://$DK_DIR/docker.sock" --iptables=false --ip-masq=false --bridge=none --storage-driver vfs \
		--cgroup-parent "$T_CG_BASE" --add-runtime "berth=$BERTH" >"$DK_DIR/log" 2>&1 &
	DK_PID=$!
	local i=0
	while ! dk version >/dev/null 2>&1 && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
	dk version >/dev/null 2>&1 || bail "dockerd did not start: $(tail -5 "$DK_DIR/log")"
	"$T_LIB_DIR/make-rootfs.sh" "$DK_DIR/rootfs" >/dev/null
	tar -C "$DK_DIR/rootfs" -cf "$DK_DIR/rootfs.tar" . && dk import "$DK_DIR/rootfs.tar" berth-test:bb >/dev/null \
		|| bail "docker import of the busybox rootfs failed"
}

dk_stop() {
	[ -n "$DK_PID" ] || return 0
	dk ps -aq 2>/dev/null | xargs -r timeout 60 "$DOCKER" --host "unix://$DK_DIR/docker.sock" rm -f >/dev/null 2>&1
	kill "$DK_PID" 2>/dev/null
	wait "$DK_PID" 2>/dev/null || true
}

# dk_run ARGS...: `docker run` with the runtime under test.
dk_run() { dk run --runtime "$DK_RT" "$@"; }

# dk_done ID...: remove the containers; no runtime state may be left for them, no runtime failure
# logged by the shim (through dockerd's containerd).
dk_done() {
	local id full
	for id in "$@"; do
		full=$(dk inspect -f '{{.Id}}' "$id" 2>/dev/null || echo "$id")
		dk rm -f "$id" >/dev/null 2>&1 || true
		[ ! -e "$DK_STATE/$full" ] || t_fail "runtime state left for $full in $DK_STATE"
		assert_no_runtime_failure_logged "$DK_DIR/log" "$full" "the shim"
	done
}

state_of() { dk inspect -f "$2" "$1"; }

t_run_options() {
	mkdir -p "$DK_DIR/vol"; echo volfile >"$DK_DIR/vol/f"
	local out rc=0
	out=$(dk_run --rm --read-only --tmpfs /scratch -v "$DK_DIR/vol:/vol:ro" -w /vol -e FOO=bar \
		--user 1000:1000 --cap-drop ALL --pids-limit 50 --memory 64m --cpus 0.5 --network none berth-test:bb \
		sh -c 'echo "$FOO $(pwd) $(cat f) $(id -u)"; touch /x 2>/dev/null || echo ro-root
		touch /scratch/y && echo tmpfs-ok; touch /vol/z 2>/dev/null || echo ro-vol
		grep CapEff /proc/self/status | cut -f2
		cg=/sys/fs/cgroup
		if [ -f $cg/cgroup.controllers ]; then cat $cg/pids.max $cg/memory.max; cut -d" " -f1 $cg/cpu.max
		else cat $cg/pids/pids.max $cg/memory/memory.limit_in_bytes $cg/cpu/cpu.cfs_quota_us; fi
		ls /sys/class/net; echo err >&2; exit 3' 2>"$DK_DIR/stderr") || rc=$?
	assert_eq "$rc" 3 "exit code"
	assert_eq "$(tr '\n' ' ' <<<"$out")" "bar /vol volfile 1000 ro-root tmpfs-ok ro-vol 0000000000000000 50 67108864 50000 lo " \
		"what the container saw"
	# stderr comes through its own stream (its order against stdout is not kept); without swap
	# accounting, as in the v2 lane's guest, the client adds a warning there.
	assert_eq "$(grep -v '^WARNING: ' "$DK_DIR/stderr")" err "stderr"
	# seccomp: docker's default profile (filter mode), and unconfined
	out=$(dk_run --rm berth-test:bb grep Seccomp: /proc/self/status | cut -f2)
	assert_eq "$out" 2 "default seccomp profile"
	out=$(dk_run --rm --security-opt seccomp=unconfined berth-test:bb grep Seccomp: /proc/self/status | cut -f2)
	assert_eq "$out" 0 "seccomp=unconfined"
	# --init: docker-init is PID 1, the command its child
	out=$(dk_run --rm --init berth-test:bb cat /proc/1/comm)
	assert_eq "$out" docker-init "--init"
}

t_lifecycle() {
	local c out rc=0
	c=$(dk_run -d berth-test:bb sh -c 'trap "echo got-term; exit 9" TERM; echo started; while true; do sleep 0.1; done') \
		|| t_fail "docker run -d failed: $(tail -3 "$DK_DIR/log")"
	out=$(dk exec "$c" sh -c 'echo exec-ok; exit 4') || rc=$?
	assert_eq "$rc/$out" "4/exec-ok" "exec exit code and output"
	assert_eq "$(echo piped | dk exec -i "$c" cat)" piped "exec stdin"
	local pid; pid=$(state_of "$c" '{{.State.Pid}}')
	dk top "$c" | awk '{ print $2 }' | grep -qx "$pid" || t_fail "docker top does not list the init $pid"
	dk pause "$c" >/dev/null || t_fail "pause failed"
	assert_eq "$(state_of "$c" '{{.State.Status}}')" paused "after pause"
	local cgdir; cgdir=$T_CG_BASE/$(state_of "$c" '{{.Id}}')
	if [ -f "/sys/fs/cgroup/freezer$cgdir/freezer.state" ]; then
		assert_eq "$(cat "/sys/fs/cgroup/freezer$cgdir/freezer.state")" FROZEN "freezer.state"
	else
		assert_eq "$(cat "/sys/fs/cgroup$cgdir/cgroup.freeze" 2>&1)" 1 "cgroup.freeze (v2)"
	fi
	dk unpause "$c" >/dev/null || t_fail "unpause failed"
	assert_eq "$(state_of "$c" '{{.State.Status}}')" running "after unpause"
	# update: the new limits reach the cgroup
	dk update --memory 128m --memory-swap 256m --pids-limit 99 "$c" >/dev/null || t_fail "update failed"
	out=$(dk exec "$c" sh -c 'cd /sys/fs/cgroup; if [ -f cgroup.controllers ]; then cat memory.max pids.max
		else cat memory/memory.limit_in_bytes pids/pids.max; fi')
	assert_eq "$(tr '\n' ' ' <<<"$out")" "134217728 99 " "limits after update"
	# a signal the process ignores keeps it running; stop sends TERM (its trap exits 9)
	dk kill -s USR1 "$c" >/dev/null; sleep 0.3
	assert_eq "$(state_of "$c" '{{.State.Status}}')" running "after kill -s USR1"
	dk stop -t 10 "$c" >/dev/null || t_fail "stop failed"
	assert_eq "$(state_of "$c" '{{.State.ExitCode}}')" 9 "exit code after stop"
	assert_eq "$(dk logs "$c" 2>&1 | tr '\n' ' ')" "started got-term " "logs"
	dk restart -t 1 "$c" >/dev/null || t_fail "restart failed"
	assert_eq "$(state_of "$c" '{{.State.Status}}')" running "after restart"
	dk_done "$c"
	# a restart policy: the runtime is driven again by dockerd alone
	c=$(dk_run -d --restart on-failure:2 berth-test:bb sh -c 'exit 1')
	local i=0
	while [ "$(state_of "$c" '{{.RestartCount}} {{.State.Status}}')" != "2 exited" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	assert_eq "$(state_of "$c" '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}')" "2 exited 1" "on-failure:2"
	dk_done "$c"
}

t_oom() {
	local c; c=$(dk_run -d --memory 32m --memory-swap 32m berth-test:bb sh -c 'x=a; while true; do x=$x$x; done')
	local i=0
	while [ "$(state_of "$c" '{{.State.Status}}')" = running ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	assert_eq "$(state_of "$c" '{{.State.Status}} {{.State.OOMKilled}} {{.State.ExitCode}}')" "exited true 137" "OOM kill"
	dk_done "$c"
}

t_tty() {
	command -v script >/dev/null || t_skip "script not installed"
	local out rc=0
	timeout 30 script -qec "$DOCKER --host unix://$DK_DIR/docker.sock run --rm -it --runtime $DK_RT berth-test:bb sh -c 'tty; exit 5'" \
		/dev/null </dev/null >"$DK_DIR/tty.out" 2>&1 || rc=$?
	out=$(tr -d '\r\0' <"$DK_DIR/tty.out")
	grep -q '/dev/pts/[0-9]' <<<"$out" || t_fail "run -it: no pty:" "$out"
	assert_eq "$rc" 5 "run -it exit code"
	local c; c=$(dk_run -d -t berth-test:bb sh)
	out=$(timeout 30 script -qec "$DOCKER --host unix://$DK_DIR/docker.sock exec -it $c tty" /dev/null </dev/null 2>&1 | tr -d '\r\0')
	dk_done "$c"
	grep -q '/dev/pts/[0-9]' <<<"$out" || t_fail "exec -it: no pty:" "$out"
}

[ -x "$DOCKER" ] && command -v dockerd >/dev/null || bail "docker.io not installed"
dk_setup
trap 'dk_stop; t_cleanup_all' EXIT
for DK_RT in runc berth; do
	t_run "docker/$DK_RT: run --rm with options (read-only, tmpfs, bind, user, caps, limits, seccomp, --init)" t_run_options
	t_run "docker/$DK_RT: run -d, exec, top, pause/unpause, update, kill, stop, logs, restart, restart policy" t_lifecycle
	t_run "docker/$DK_RT: OOM kill is reported" t_oom
	t_run "docker/$DK_RT: run -it and exec -it get a pty" t_tty
done
t_done
