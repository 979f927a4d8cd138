#!/bin/bash
# Debian's containerd (1.6) and its runc shim (io.containerd.runc.v2) with `--runc-binary`, once with
# /usr/bin/runc and once with $BERTH: a client of the runc CLI none of us wrote (go-runc:
# --log/--log-format json, create --pid-file --console-socket, exec --process --detach, ps --format
# json, pause/resume, kill, delete --force). A private containerd (config, root, state, socket under
# the test dir), `ctr run --rootfs` on the busybox rootfs (no image, no registry), the runtime's state
# in $T_ROOT (--runc-root) and cgroups beneath $T_CG_BASE, so the leak checks see everything.
source "$(dirname "$0")/../lib/tap.sh"

CTD_DIR=$T_WORK/containerd
CTD_PID=

ctd_setup() {
	mkdir -p "$CTD_DIR/fifo"
	cat >"$CTD_DIR/config.toml" <<EOF
version = 2
root = "$CTD_DIR/root"
state = "$CTD_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CTD_DIR/containerd.sock"
EOF
	containerd --config "$CTD_DIR/config.toml" >"$CTD_DIR/log" 2>&1 &
	CTD_PID=$!
	local i=0
	while ! ctr_ version >/dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	ctr_ version >/dev/null 2>&1 || bail "containerd did not start: $(tail -5 "$CTD_DIR/log")"
	"$T_LIB_DIR/make-rootfs.sh" "$CTD_DIR/rootfs" >/dev/null
}

ctd_stop() {
	[ -n "$CTD_PID" ] || return 0
	kill "$CTD_PID" 2>/dev/null
	wait "$CTD_PID" 2>/dev/null || true
	# The shims outlive containerd by design and exit once their task is deleted; a failed test
	# can leave one: end those of this containerd (its socket path is ours alone), by PID.
	local p
	for p in $(pgrep -f -- "-address $CTD_DIR/containerd.sock" || true); do kill "$p" 2>/dev/null || true; done
}

# ctr_ ARGS...: ctr against our containerd, never hanging the suite.
ctr_() { timeout 30 ctr --address "$CTD_DIR/containerd.sock" "$@"; }

# ctr_run ID ARGS...: `ctr run` of the rootfs with our runtime, its root and a cgroup of ours.
ctr_run() {
	local id=$1; shift
	local opts=()
	while [ $# -gt 0 ] && [[ "$1" == -* ]]; do opts+=("$1"); shift; done
	ctr_ run "${opts[@]}" --runc-binary "$CTD_RT" --runc-root "$T_ROOT" --fifo-dir "$CTD_DIR/fifo" \
		--cgroup "$T_CG_BASE/$id" --env PATH=/usr/sbin:/usr/bin:/sbin:/bin --rootfs "$CTD_DIR/rootfs" "$id" "$@"
}

# ctd_gone ID: delete task and container (whatever is left of them); no shim warning about the runtime.
ctd_gone() {
	ctr_ task kill -s KILL "$1" >/dev/null 2>&1 || true
	local i=0
	while ctr_ task ls 2>/dev/null | grep -q "^$1 .*RUNNING" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	ctr_ task delete "$1" >/dev/null 2>&1 || true
	ctr_ container rm "$1" >/dev/null 2>&1 || true
}

# The shim's runtime root is --runc-root/NAMESPACE: once its containers are gone, nothing may be left.
root_done() { [ ! -d "$T_ROOT/default" ] || rmdir "$T_ROOT/default"; }

# task_status ID: RUNNING, PAUSED, STOPPED (ctr task ls).
task_status() { ctr_ task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'; }

# No "failed to ..." from the shim about the runtime for ID (the shim logs them through containerd).
assert_no_shim_warning() { assert_no_runtime_failure_logged "$CTD_DIR/log" "$1" "containerd's shim"; }

t_run_rm() {
	local id out rc=0; id=$(new_id)
	out=$(ctr_run "$id" --rm sh -c 'echo hello; echo err >&2; exit 3' 2>&1) || rc=$?
	assert_eq "$rc" 3 "ctr run --rm exit code"
	assert_eq "$(printf '%s\n' "$out" | grep -v 'level=' | sort | tr '\n' ' ')" "err hello " "output"
	assert_no_shim_warning "$id"
	# --no-pivot (runc's create --no-pivot) runs too.
	id=$(new_id)
	out=$(ctr_run "$id" --rm --no-pivot sh -c 'cat /proc/self/cmdline | tr "\0" " "; exit 0' 2>&1) \
		|| t_fail "ctr run --no-pivot failed:" "$out"
	assert_eq "$out" "cat /proc/self/cmdline " "--no-pivot output"
	root_done
}

t_detached_exec_ps_pause() {
	local id out rc=0; id=$(new_id)
	ctr_run "$id" -d sleep 1000 >/dev/null || t_fail "ctr run -d failed" "$(tail -5 "$CTD_DIR/log")"
	assert_eq "$(task_status "$id")" RUNNING "after run -d"
	local pid; pid=$(ctr_ task ls | awk -v id="$id" '$1 == id { print $2 }')
	# exec: output, exit code, stdin
	out=$(ctr_ task exec --exec-id e1 "$id" sh -c 'echo exec-out; exit 7' 2>&1) || rc=$?
	assert_eq "$rc" 7 "exec exit code"
	assert_eq "$out" exec-out "exec output"
	out=$(echo piped | ctr_ task exec --exec-id e2 "$id" cat 2>&1) || t_fail "exec with stdin failed:" "$out"
	assert_eq "$out" piped "exec stdin"
	# ps (runc ps --format json): the init's pid is listed
	out=$(ctr_ task ps "$id" 2>&1) || t_fail "task ps failed:" "$out"
	grep -qw "^$pid" <<<"$out" || t_fail "task ps does not list the init $pid:" "$out"
	# pause / resume
	ctr_ task pause "$id" || t_fail "task pause failed"
	assert_eq "$(task_status "$id")" PAUSED "after pause"
	local fz=/sys/fs/cgroup/freezer$T_CG_BASE/$id/freezer.state
	[ ! -f "$fz" ] || assert_eq "$(cat "$fz")" FROZEN "freezer.state while paused"
	ctr_ task resume "$id" || t_fail "task resume failed"
	assert_eq "$(task_status "$id")" RUNNING "after resume"
	# kill: the exit status reaches containerd
	ctr_ task kill -s KILL "$id" || t_fail "task kill failed"
	local i=0
	while [ "$(task_status "$id")" != STOPPED ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	assert_eq "$(task_status "$id")" STOPPED "after kill"
	ctr_ task delete "$id" >/dev/null || t_fail "task delete failed"
	ctr_ container rm "$id" || t_fail "container rm failed"
	assert_no_shim_warning "$id"
	root_done
}

t_exec_tty() {
	command -v script >/dev/null || t_skip "script not installed"
	local id out; id=$(new_id)
	ctr_run "$id" -d sleep 1000 >/dev/null || t_fail "ctr run -d failed"
	# The terminal may echo a NUL as "^@" before the output (for runc and berth alike): not anchored.
	out=$(timeout 20 script -qec "ctr --address $CTD_DIR/containerd.sock task exec -t --exec-id t1 $id tty" /dev/null </dev/null 2>&1 | tr -d '\r\0')
	ctd_gone "$id"
	grep -q '/dev/pts/[0-9]' <<<"$out" || t_fail "exec -t: no pty:" "$out"
	assert_no_shim_warning "$id"
	root_done
}

command -v containerd >/dev/null && command -v ctr >/dev/null || bail "containerd/ctr not installed"
ctd_setup
trap 'ctd_stop; t_cleanup_all' EXIT
for CTD_RT in /usr/bin/runc "$BERTH"; do
	rtn=$(basename "$CTD_RT")
	t_run "containerd/$rtn: ctr run --rm exit code, output; --no-pivot" t_run_rm
	t_run "containerd/$rtn: run -d, exec (code, stdin), ps, pause/resume, kill, delete" t_detached_exec_ps_pause
	t_run "containerd/$rtn: exec -t gets a pty" t_exec_tty
done
t_done
