#!/bin/bash
# Debian's podman with `--conmon berth-shim`, once with --runtime /usr/bin/runc and once with --runtime
# $BERTH. Private storage/runroot/tmpdir under the test dir, a private containers.conf set up for this
# host (../shared/notes/host-quirks.md: cgroupfs, file events, ulimits within the hard limits, no
# network), an image imported from the busybox rootfs (no registry), cgroups beneath our own cgroup.
source "$(dirname "$0")/../lib/tap.sh"

SHIM=${SHIM:-$(dirname "$BERTH")/../shim/berth-shim}
SHIM=$(cd "$(dirname "$SHIM")" && pwd)/$(basename "$SHIM")
[ -x "$SHIM" ] || bail "berth-shim not found: $SHIM"
PM_CONMON=$SHIM   # the supervisor podman runs (--conmon); Debian's conmon in the last block

PM_DIR=$T_WORK/podman
# Beneath our own cgroup, but outside $T_CG_BASE: podman leaves its parent (and the shim's "conmon")
# cgroup behind by design; they are removed at the end.
PM_CG=$(t_own_cgroup)/berth-it-pm-$$
IMAGE=localhost/berth-busybox:latest

pm() {
	CONTAINERS_CONF=$PM_DIR/containers.conf podman --root "$PM_DIR/root" --runroot "$PM_DIR/runroot" \
		--tmpdir "$PM_DIR/tmp" --conmon "$PM_CONMON" --runtime "$PM_RT" --cgroup-manager cgroupfs \
		--events-backend file --storage-driver vfs "$@"
}
# pm_run ARGS...: `podman run` with our cgroup parent.
pm_run() { pm run --cgroup-parent="$PM_CG" "$@"; }

pm_setup() {
	mkdir -p "$PM_DIR"
	cat >"$PM_DIR/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=32768:32768"]
log_driver = "k8s-file"
netns = "none"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
	"$T_LIB_DIR/make-rootfs.sh" "$PM_DIR/rootfs" >/dev/null
	tar -C "$PM_DIR/rootfs" -cf "$PM_DIR/rootfs.tar" .
	PM_RT=/usr/bin/runc pm import "$PM_DIR/rootfs.tar" "$IMAGE" >/dev/null
}

# Podman's containers are not in $T_ROOT; clean them here so the leak check stays meaningful.
pm_cleanup() { pm rm -af -t 0 >/dev/null 2>&1 || true; }

# wait_pm_status NAME STATUS
wait_pm_status() {
	local i=0 st=
	while [ $i -lt 100 ]; do
		st=$(pm inspect -f '{{.State.Status}}' "$1" 2>/dev/null || true)
		[ "$st" = "$2" ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	t_fail "$1: status '$st', expected '$2'"
}

t_run_rm() {
	local out rc=0
	out=$(pm_run --rm "$IMAGE" sh -c 'echo hello; echo err >&2; exit 3' 2>&1) || rc=$?
	assert_eq "$rc" 3 "run --rm exit code"
	assert_contains "$out" hello; assert_contains "$out" err
	assert_eq "$(pm ps -aq)" "" "container removed"
}

t_run_detached_logs_exec() {
	pm_run -d --name c1 "$IMAGE" sh -c 'echo started; while :; do sleep 0.1; done' >/dev/null
	wait_pm_status c1 running
	local shim_pid; shim_pid=$(pm inspect -f '{{.State.ConmonPid}}' c1)
	[ "$shim_pid" -gt 0 ] || t_fail "no ConmonPid"
	local sup; sup=$(basename "$PM_CONMON")
	assert_eq "$(cat "/proc/$shim_pid/comm")" "${sup:0:15}" "the container's supervisor"
	local i=0; while ! pm logs c1 2>/dev/null | grep -q started && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	assert_eq "$(pm logs c1)" started "podman logs"
	assert_eq "$(pm exec c1 sh -c 'echo from-exec; exit 0')" from-exec "exec output"
	local rc=0; pm exec c1 sh -c 'exit 4' || rc=$?
	assert_eq "$rc" 4 "exec exit code"
	assert_contains "$(pm top c1 pid args)" "sleep" "podman top"
	assert_eq "$(pm stats --no-stream --format '{{.Name}}' c1)" c1 "podman stats"
	pm pause c1 >/dev/null
	assert_eq "$(pm inspect -f '{{.State.Status}}' c1)" paused
	pm unpause c1 >/dev/null
	assert_eq "$(pm inspect -f '{{.State.Status}}' c1)" running
	pm stop -t 1 c1 >/dev/null
	assert_eq "$(pm inspect -f '{{.State.ExitCode}}' c1)" 137 "stop of a process ignoring SIGTERM"
	pm rm c1 >/dev/null
}

t_kill_wait() {
	pm_run -d --name c2 "$IMAGE" sleep 100 >/dev/null
	wait_pm_status c2 running
	pm kill c2 >/dev/null
	assert_eq "$(pm wait c2)" 137 "wait after kill"
	pm_run -d --name c3 "$IMAGE" sh -c 'sleep 0.5; exit 5' >/dev/null
	assert_eq "$(pm wait c3)" 5 "wait for a normal exit"
	pm rm c2 c3 >/dev/null
}

t_attach() {
	pm_run -d --name c4 "$IMAGE" sh -c 'while [ ! -e /tmp/go ]; do sleep 0.1; done; echo attached-output; sleep 0.5' >/dev/null
	wait_pm_status c4 running
	( sleep 3; pm exec c4 touch /tmp/go ) &
	local out; out=$(timeout 30 bash -c "$(declare -f pm); $(declare -p PM_DIR SHIM PM_CONMON PM_RT); pm attach --no-stdin c4" 2>&1 || true)
	wait
	assert_contains "$out" attached-output "podman attach"
	pm rm -f c4 >/dev/null
}

t_stdin_pipe() {
	local out; out=$(printf 'a\nb\n' | pm_run --rm -i "$IMAGE" sh -c 'cat; echo end')
	assert_eq "$out" $'a\nb\nend' "stdin through the attach socket"
	# podman writes 32 KiB packets: none may lose a byte (one per packet was lost).
	out=$(head -c 3000000 /dev/zero | pm_run --rm -i "$IMAGE" wc -c)
	assert_eq "$out" 3000000 "bytes through run -i"
	pm_run -d --name c7 "$IMAGE" sleep 100 >/dev/null
	wait_pm_status c7 running
	out=$(head -c 3000000 /dev/zero | pm exec -i c7 wc -c)
	assert_eq "$out" 3000000 "bytes through exec -i"
	pm rm -f -t 0 c7 >/dev/null
}

t_restart() {
	pm_run -d --name c5 "$IMAGE" sh -c 'echo run; exit 0' >/dev/null
	pm wait c5 >/dev/null
	pm start c5 >/dev/null
	pm wait c5 >/dev/null
	assert_eq "$(pm logs c5)" $'run\nrun' "log grows across restarts"
	pm rm c5 >/dev/null
}

t_rm_force() {
	pm_run -d --name c6 "$IMAGE" sleep 100 >/dev/null
	wait_pm_status c6 running
	local shim_pid; shim_pid=$(pm inspect -f '{{.State.ConmonPid}}' c6)
	pm rm -f -t 0 c6 >/dev/null
	local i=0; while kill -0 "$shim_pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	! kill -0 "$shim_pid" 2>/dev/null || t_fail "shim $shim_pid still alive after rm -f"
	assert_eq "$(pm ps -aq)" ""
}

t_oom() {
	local rc=0
	pm_run --name c7 --memory 32m --memory-swap 32m "$IMAGE" sh -c 'x=aaaaaaaaaaaaaaaa; while :; do x=$x$x; done' || rc=$?
	assert_eq "$rc" 137 "OOM-killed exit code"
	assert_eq "$(pm inspect -f '{{.State.OOMKilled}}' c7)" true "OOMKilled"
	pm rm c7 >/dev/null
}

# run -it of a short-lived container: podman connects to the attach socket before `start`, so the
# output must reach it although the container is gone at once (it was lost about 1 run in 3: the
# shim closed the client socket with podman's forwarded ^D unread, an ECONNRESET podman saw before the
# output). PM_TTY_ROUNDS=N repeats it. podman writes the size to ctl right before `start` without
# waiting for the shim to apply it (as with conmon): on a loaded machine stty can run first and print
# only "stty: standard input" (no size yet). That run is not a loss and is reported; every other run
# must show the size, and at least one must. (A container that waited for the size would hide the
# loss: the ^D would then be read before the exit.)
t_tty() {
	command -v script >/dev/null || t_skip "script(1) not installed"
	local out i lost=0 sized=0
	{ declare -f pm pm_run; declare -p PM_DIR SHIM PM_CONMON PM_RT PM_CG IMAGE; echo 'stty rows 33 cols 101; pm_run --rm -it "$IMAGE" stty size'; } >"$TD/tty.sh"
	for i in $(seq "${PM_TTY_ROUNDS:-3}"); do
		out=$(SHELL=/bin/bash timeout 60 script -qec "bash $TD/tty.sh" /dev/null </dev/null 2>&1 || true)
		case $out in
		*"33 101"*) sized=$((sized + 1)) ;;
		"stty: standard input"*) echo "# run $i: the size was not applied yet when stty ran" ;;
		*) lost=$((lost + 1)); echo "# run $i: output '${out//$'\r'/\\r}'" ;;
		esac
	done
	assert_eq "$lost" 0 "runs of run -it whose output was lost"
	[ "$sized" -gt 0 ] || t_fail "no run showed the size set through ctl"
}

# exec -t: podman writes the session's size to ctl before the runtime has made the pty, so the shim
# must keep it and apply it when the master arrives (it was dropped: stty saw 0 rows). The command
# waits a moment first: the runtime starts it right after sending the master, maybe before the shim
# has read that.
t_exec_tty() {
	command -v script >/dev/null || t_skip "script(1) not installed"
	pm_run -d --name c6 "$IMAGE" sleep 100 >/dev/null
	wait_pm_status c6 running
	{ declare -f pm; declare -p PM_DIR SHIM PM_CONMON PM_RT; echo "stty rows 31 cols 99; pm exec -t c6 sh -c 'sleep 0.3; stty size'"; } >"$TD/exec-tty.sh"
	local out; out=$(SHELL=/bin/bash timeout 60 script -qec "bash $TD/exec-tty.sh" /dev/null </dev/null 2>&1 || true)
	assert_eq "${out//$'\r'/}" "31 99" "the size seen by exec -t"
	pm rm -f -t 0 c6 >/dev/null
}

# --log-driver passthrough: the output is the container's alone (the shim's exit command, podman's
# cleanup, printed the container ID into it while the shim kept podman's stdout).
t_passthrough() {
	local out rc=0
	out=$(pm_run --rm --log-driver passthrough "$IMAGE" sh -c 'echo hi; exit 3' </dev/null 2>&1) || rc=$?
	assert_eq "$rc" 3 "exit code"
	assert_eq "$out" hi "output"
}

t_checkpoint_restore() {
	# podman container checkpoint / restore: the runtime's checkpoint, then the supervisor's
	# --restore calling the runtime's restore. Needs a kernel CRIU supports (the v2 lane runs it).
	command -v criu >/dev/null && criu check >/dev/null 2>&1 || t_skip "criu check fails on this kernel ($(uname -r)); the v2 lane runs this"
	pm_run -d --name cr "$IMAGE" sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/n; echo n$i; sleep 0.1; done' >/dev/null
	wait_pm_status cr running
	local i=0; while ! pm logs cr 2>/dev/null | grep -qx n3 && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	pm container checkpoint cr >/dev/null || t_fail "podman container checkpoint failed"
	wait_pm_status cr exited
	local last; last=$(pm logs cr | tail -n1 | tr -d n)
	pm container restore cr >/dev/null || t_fail "podman container restore failed"
	wait_pm_status cr running
	# The count goes on in memory: the next value written is above the one at the dump.
	local n=0; i=0
	while n=$(pm exec cr cat /tmp/n 2>/dev/null); [ "${n:-0}" -le "$last" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$n" -gt "$last" ] 2>/dev/null || t_fail "after restore the count is '$n', the dump was at $last"
	pm stop -t 0 cr >/dev/null
	assert_eq "$(pm inspect -f '{{.State.ExitCode}}' cr)" 137 "exit code after stop"
}

# PM_ONLY=REGEX runs only the matching tests (for development).
t_run_sel() { if [ -n "${PM_ONLY:-}" ] && ! [[ "$1" =~ $PM_ONLY ]]; then return 0; fi; t_run "$@"; pm_cleanup; }

pm_setup
for PM_RT in /usr/bin/runc "$BERTH"; do
	rtn=$(basename "$PM_RT")
	t_run_sel "podman/$rtn: run --rm, exit code and output" t_run_rm
	t_run_sel "podman/$rtn: run -d, logs, exec, top, stats, pause/unpause, stop (137)" t_run_detached_logs_exec
	t_run_sel "podman/$rtn: kill and wait (137, 5)" t_kill_wait
	t_run_sel "podman/$rtn: attach" t_attach
	t_run_sel "podman/$rtn: run -i with piped stdin" t_stdin_pipe
	t_run_sel "podman/$rtn: restart of a stopped container" t_restart
	t_run_sel "podman/$rtn: rm -f ends the shim" t_rm_force
	t_run_sel "podman/$rtn: run --memory OOM is reported as OOMKilled" t_oom
	t_run_sel "podman/$rtn: run -it under a pty (size), ${PM_TTY_ROUNDS:-3} runs" t_tty
	t_run_sel "podman/$rtn: exec -t gets the size podman sent before the pty existed" t_exec_tty
	t_run_sel "podman/$rtn: --log-driver passthrough output is the container's only" t_passthrough
	t_run_sel "podman/$rtn: container checkpoint and restore (CRIU)" t_checkpoint_restore
done
# berth under Debian's own conmon (Podman's default pairing): the runtime side of the interface.
# Not here: OOMKilled (conmon 2.1.6 reports false on this hybrid host for runc as well) and the short
# run -it (conmon itself can lose that output: it closes the attach socket with podman's forwarded ^D
# unread, the reset berth-shim had before shim/attach.c drained it; seen once in CI with conmon).
if [ -x /usr/bin/conmon ]; then
	PM_CONMON=/usr/bin/conmon PM_RT=$BERTH
	t_run_sel "podman+conmon/berth: run --rm, exit code and output" t_run_rm
	t_run_sel "podman+conmon/berth: run -d, logs, exec, top, stats, pause/unpause, stop (137)" t_run_detached_logs_exec
	t_run_sel "podman+conmon/berth: kill and wait (137, 5)" t_kill_wait
	t_run_sel "podman+conmon/berth: attach" t_attach
	t_run_sel "podman+conmon/berth: container checkpoint and restore (CRIU)" t_checkpoint_restore
	PM_CONMON=$SHIM
fi
PM_RT=/usr/bin/runc pm rmi -af >/dev/null 2>&1 || true
for m in $(t_cgroup_mounts); do
	[ -d "$m$PM_CG" ] && find "$m$PM_CG" -depth -type d -exec rmdir {} + 2>/dev/null
done
t_done
