#!/bin/bash
# berth-shim driven directly, as Podman drives conmon (../shared/notes/conmon-interface.md): sync and
# start pipes from the environment, --conmon-pidfile, exit files, k8s-file logs, the attach socket, ctl,
# terminals, exec sessions, OOM, robustness (SIGKILL of the shim, full log filesystem, 1 GiB of output).
# Every test runs once with --runtime /usr/bin/runc and once with --runtime $BERTH.
source "$(dirname "$0")/../lib/tap.sh"

SHIM=${SHIM:-$(dirname "$BERTH")/../shim/berth-shim}
SHIM=$(cd "$(dirname "$SHIM")" && pwd)/$(basename "$SHIM")
[ -x "$SHIM" ] || bail "berth-shim not found: $SHIM"
command -v python3 >/dev/null || bail "python3 is needed for the attach-socket client"

# ------------------------------------------------------------------------------------------ helpers
# rt ARGS...: the runtime the shim is using, with the same --root.
rt() { "$SHIM_RT" --root "$RT_ROOT" "$@"; }

# shim_start BUNDLE ID [shim args...]: start the shim as Podman does. Sets SHIM_PID, CPID, SYNC,
# SYNC_FD (kept open for later messages), EXITS. Fails when the first process does not exit 0.
shim_start() {
	local b=$1 id=$2; shift 2
	EXITS=$TD/exits; mkdir -p "$EXITS" "$TD/run"
	rm -f "$TD/sync.$id" "$TD/start.$id"
	mkfifo "$TD/sync.$id" "$TD/start.$id"
	exec {SYNC_FD}<>"$TD/sync.$id" {START_FD}<>"$TD/start.$id"
	printf '\0' >&"$START_FD"
	local rc=0
	_OCI_SYNCPIPE=$SYNC_FD _OCI_STARTPIPE=$START_FD "$SHIM" --api-version 1 -c "$id" -u "$id" -r "$SHIM_RT" \
		-b "$b" -p "$TD/run/$id.pid" -n "name-$id" --exit-dir "$EXITS" --full-attach \
		--runtime-arg --root --runtime-arg "$RT_ROOT" --conmon-pidfile "$TD/run/$id.shim.pid" "$@" || rc=$?
	exec {START_FD}>&-
	SYNC=
	read -r -t 30 -u "$SYNC_FD" SYNC || t_fail "no sync message from the shim (first process exit $rc)"
	[ "$rc" = 0 ] || t_fail "shim's first process exited $rc"
	CPID=$(jq -r .data <<<"$SYNC")
	SHIM_PID=$(cat "$TD/run/$id.shim.pid" 2>/dev/null || true)
	if [ "$CPID" -gt 0 ] 2>/dev/null; then track_pid "$CPID"; fi
	return 0
}

# sync_next: the next sync-pipe message (exec sessions send the exit code there).
sync_next() { SYNC=; read -r -t "${1:-30}" -u "$SYNC_FD" SYNC || t_fail "no further sync message"; }

# wait_file FILE [SECONDS]
wait_file() {
	local i=0
	while [ ! -e "$1" ] && [ $i -lt $((${2:-10} * 20)) ]; do sleep 0.05; i=$((i + 1)); done
	[ -e "$1" ] || t_fail "$1 did not appear within ${2:-10}s"
}
# wait_gone PID [SECONDS]
wait_gone() {
	local i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $((${2:-10} * 20)) ]; do sleep 0.05; i=$((i + 1)); done
	! kill -0 "$1" 2>/dev/null || t_fail "process $1 still alive after ${2:-10}s"
}

# attach_client SOCKET OUT [INPUT]: background client; writes "<tag> <repr(data)>" per packet to OUT,
# sends INPUT (then shuts down writing) when given. Sets CLIENT_PID.
attach_client() {
	python3 - "$@" <<'EOF' &
import socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(path)
if len(sys.argv) > 3:
    s.send(sys.argv[3].encode())
    s.shutdown(socket.SHUT_WR)
with open(out, "w") as f:
    f.write("connected\n"); f.flush()
    while True:
        try:
            d = s.recv(8193)
        except ConnectionResetError:
            break
        if not d:
            break
        f.write("%d %r\n" % (d[0], d[1:])); f.flush()
    f.write("eof\n")
EOF
	CLIENT_PID=$!
	local i=0
	while ! grep -q connected "$2" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
}

# SHIM_ONLY=REGEX runs only the tests whose name matches (for development).
t_run_sel() { if [ -n "${SHIM_ONLY:-}" ] && ! [[ "$1" =~ $SHIM_ONLY ]]; then return 0; fi; t_run "$@"; }

# log_text LOG: the container's output rebuilt from the records (P records joined with the next).
log_text() { awk '{ m = $0; sub(/^[^ ]+ [a-z]+ [FP] /, "", m); if ($3 == "P") printf "%s", m; else print m }' "$1"; }
log_messages() { sed -E 's/^[^ ]+ (stdout|stderr) [FP] //' "$1"; }

# ------------------------------------------------------------------------------------------ tests
t_version_and_usage() {
	local v; v=$("$SHIM" --version)
	assert_match "$v" '^conmon version 2\.[0-9]+\.[0-9]+' version
	local err rc=0; err=$("$SHIM" --no-such-flag 2>&1) || rc=$?
	assert_ne "$rc" 0 "unknown flag exit"
	assert_contains "$err" "no-such-flag"
	rc=0; err=$("$SHIM" -c x -r /nonexistent/rt 2>&1) || rc=$?
	assert_ne "$rc" 0; assert_contains "$err" "--runtime"
}

t_basic_lifecycle() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sh -c 'echo hello; printf partial; sleep 0.3; echo; echo err >&2; exit 3'
	shim_start "$b" "$id" -l "k8s-file:$TD/ctr.log"
	assert_match "$SYNC" '^\{"data": [0-9]+\}$' "sync message"
	[ -n "$SHIM_PID" ] && kill -0 "$SHIM_PID" || t_fail "conmon pidfile: no live shim ($SHIM_PID)"
	assert_eq "$(cat "$TD/run/$id.pid")" "$CPID" "container pid file"
	# The init is the shim's child (subreaper).
	assert_eq "$(awk '{print $4}' "/proc/$CPID/stat")" "$SHIM_PID" "init's parent"
	assert_file "$b/attach"; assert_file "$b/ctl"
	[ -p "$b/ctl" ] || t_fail "ctl is not a fifo"
	rt start "$id"
	wait_file "$EXITS/$id"
	assert_eq "$(cat "$EXITS/$id")" 3 "exit file"
	wait_gone "$SHIM_PID"
	local re='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}[+-][0-9]{2}:[0-9]{2} (stdout|stderr) [FP] '
	local line n=0
	while IFS= read -r line; do assert_match "$line" "$re" "k8s line"; n=$((n + 1)); done <"$TD/ctr.log"
	assert_eq "$n" 4 "log lines"
	assert_match "$(sed -n 1p "$TD/ctr.log")" ' stdout F hello$'
	assert_match "$(sed -n 2p "$TD/ctr.log")" ' stdout P partial$'
	assert_match "$(sed -n 3p "$TD/ctr.log")" ' stdout F $'
	assert_match "$(sed -n 4p "$TD/ctr.log")" ' stderr F err$'
	rt delete -f "$id"
}

t_sigkill_137() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sleep 100
	shim_start "$b" "$id" -l none
	rt start "$id"
	rt kill "$id" KILL
	wait_file "$EXITS/$id"
	assert_eq "$(cat "$EXITS/$id")" 137 "exit file after SIGKILL"
	wait_gone "$SHIM_PID"
	rt delete -f "$id"
}

t_exit_command() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	EXITS=$TD/exits
	set_args "$b" true
	# In the C locale, as conmon's: a non-UTF-8 argument is passed on as bytes.
	LC_ALL=C LANG= shim_start "$b" "$id" -l none --exit-command /bin/sh --exit-command-arg -c \
		--exit-command-arg "cat $EXITS/$id > $TD/seen; printf %s \"\$0\" > $TD/arg0" \
		--exit-command-arg $'arg-\xc3\xbc-\xff' --exit-delay 1
	rt start "$id"
	wait_file "$TD/seen" 10
	sleep 0.1
	assert_eq "$(cat "$TD/seen")" 0 "exit command ran after the exit file"
	assert_eq "$(od -An -tx1 "$TD/arg0" | tr -d ' \n')" "6172672dc3bc2dff" "its non-UTF-8 argument"
	wait_gone "$SHIM_PID"
	rt delete -f "$id"
}

# -l passthrough: the container writes straight to the shim's stdio, which the shim itself then lets
# go (as conmon): the exit command's output does not land there (podman's cleanup printed the
# container ID into `podman run --log-driver passthrough` output), and the shim holds no copy of it.
t_passthrough() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	EXITS=$TD/exits
	set_args "$b" sh -c 'echo to-stdout; echo to-stderr >&2; sleep 0.5; exit 5'
	shim_start "$b" "$id" -l passthrough --exit-command /bin/sh --exit-command-arg -c \
		--exit-command-arg "echo exit-command-noise; echo ran > $TD/ran" >"$TD/pt.out" 2>"$TD/pt.err"
	assert_eq "$(readlink "/proc/$SHIM_PID/fd/1")" /dev/null "the shim's own stdout"
	rt start "$id"
	wait_file "$TD/ran" 10
	wait_gone "$SHIM_PID"
	assert_eq "$(cat "$EXITS/$id")" 5 "exit file"
	assert_eq "$(cat "$TD/pt.out")" to-stdout "stdout: the container's output only"
	assert_contains "$(cat "$TD/pt.err")" to-stderr "stderr"
	assert_not_contains "$(cat "$TD/pt.err")" exit-command-noise "stderr"
	rt delete -f "$id"
}

t_attach_output() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sh -c 'echo out; echo err >&2; exit 0'
	shim_start "$b" "$id" -l none
	attach_client "$b/attach" "$TD/a1"; local c1=$CLIENT_PID
	attach_client "$b/attach" "$TD/a2"; local c2=$CLIENT_PID
	rt start "$id"
	wait_file "$EXITS/$id"
	wait "$c1" "$c2" || true
	local f
	for f in "$TD/a1" "$TD/a2"; do
		assert_contains "$(cat "$f")" "2 b'out\\n'" "stdout packet ($f)"
		assert_contains "$(cat "$f")" "3 b'err\\n'" "stderr packet ($f)"
		assert_contains "$(cat "$f")" "eof" "closed after exit ($f)"
	done
	wait_gone "$SHIM_PID"
	rt delete -f "$id"
}

t_attach_stdin() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sh -c 'cat; echo done'
	shim_start "$b" "$id" -i -l "k8s-file:$TD/ctr.log"
	attach_client "$b/attach" "$TD/a1" $'line one\nline two\n'
	rt start "$id"
	wait_file "$EXITS/$id"
	assert_eq "$(cat "$EXITS/$id")" 0
	assert_eq "$(log_messages "$TD/ctr.log")" $'line one\nline two\ndone' "stdin reached the container, EOF closed it"
	wait_gone "$SHIM_PID"
	rt delete -f "$id"
}

# Stdin packets as podman writes them (32 KiB each, io.Copy's buffer) and larger: every byte reaches the
# container (the shim read one byte less than a packet and lost a byte of each).
t_attach_stdin_big_packets() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sh -c 'wc -c'
	shim_start "$b" "$id" -i -l "k8s-file:$TD/ctr.log"
	python3 - "$b/attach" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(sys.argv[1])
for size in [32768] * 30 + [100000, 1, 65536]:
    s.sendall(b"x" * size)
s.shutdown(socket.SHUT_WR)
while s.recv(8193):
    pass
EOF
	local client=$!
	rt start "$id"
	wait_file "$EXITS/$id"
	wait "$client" || true
	assert_eq "$(log_messages "$TD/ctr.log" | tr -d ' ')" $((32768 * 30 + 100000 + 1 + 65536)) "bytes the container read"
	wait_gone "$SHIM_PID"
	rt delete -f "$id"
}

t_attach_disconnect() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sh -c 'i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); done; sleep 0.2; echo end'
	shim_start "$b" "$id" -l "k8s-file:$TD/ctr.log"
	# A client that reads one packet and goes away, one that never reads.
	python3 - "$b/attach" "$TD/c1" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(sys.argv[1])
open(sys.argv[2], "w").close()
s.recv(100); s.close()
EOF
	local c1=$!
	python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX,socket.SOCK_SEQPACKET); s.connect(sys.argv[1]); open(sys.argv[2], "w").close(); time.sleep(3)' "$b/attach" "$TD/c2" &
	local c2=$!
	wait_file "$TD/c1"; wait_file "$TD/c2"
	sleep 0.3
	rt start "$id"
	wait_file "$EXITS/$id"
	assert_eq "$(cat "$EXITS/$id")" 0
	assert_eq "$(log_text "$TD/ctr.log" | tail -n1)" end "all output logged"
	assert_eq "$(log_text "$TD/ctr.log" | grep -c '^line ')" 2000
	wait "$c1" || true; kill "$c2" 2>/dev/null || true; wait "$c2" 2>/dev/null || true
	wait_gone "$SHIM_PID"
	rt delete -f "$id"
}

# An attach client whose input is still unread when the container exits (podman forwards the ^D
# `script` sends at its stdin's EOF): closing its socket with unread input would be an ECONNRESET
# that the client's next recv() reports ahead of the output still queued for it (podman then showed
# nothing for a short `run -it`). Here the container never reads its stdin, so once 1 MiB waits for
# it the shim stops reading the client, whose input then stays queued. It must get the output, then EOF.
t_attach_unread_input() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sh -c 'echo out; while [ ! -e /go ]; do sleep 0.05; done'
	shim_start "$b" "$id" -i -l "k8s-file:$TD/ctr.log"
	python3 - "$b/attach" "$TD/a1" "$EXITS/$id" <<'EOF' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(sys.argv[1])
open(sys.argv[2], "w").write("connected\n")
stalled_since = None
while True:
    try:
        s.send(b"x" * 32000, socket.MSG_DONTWAIT); stalled_since = None
    except BlockingIOError:
        stalled_since = stalled_since or time.monotonic()
        if time.monotonic() - stalled_since > 0.5:
            break
        time.sleep(0.01)
open(sys.argv[2] + ".stalled", "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.01)
with open(sys.argv[2], "a") as f:
    while True:
        try:
            d = s.recv(8193)
        except ConnectionResetError:
            f.write("reset\n"); break
        if not d:
            f.write("eof\n"); break
        f.write("%d %r\n" % (d[0], d[1:]))
EOF
	local c=$!
	wait_file "$TD/a1"
	rt start "$id"
	wait_file "$TD/a1.stalled"
	touch "$b/rootfs/go"
	wait_file "$EXITS/$id"
	wait "$c" || true
	assert_eq "$(cat "$TD/a1")" $'connected\n2 b\'out\\n\'\neof' "output, then EOF"
	wait_gone "$SHIM_PID"
	rt delete -f "$id"
}

t_terminal_resize() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	bundle_jq "$b" '.process.terminal = true'
	set_args "$b" sh -c 'sleep 0.3; stty size; tty; echo x >&2'
	shim_start "$b" "$id" -t -l "k8s-file:$TD/ctr.log"
	printf '1 33 101\n' >"$b/ctl"
	rt start "$id"
	wait_file "$EXITS/$id"
	assert_eq "$(cat "$EXITS/$id")" 0
	local msgs; msgs=$(log_messages "$TD/ctr.log" | tr -d '\r')
	assert_contains "$msgs" "33 101" "size set through ctl"
	assert_contains "$msgs" "/dev/pts/" "stdio is a pty"
	assert_not_contains "$(cat "$TD/ctr.log")" " stderr " "a tty's output is all stdout"
	ls /tmp/berth-shim-term.* >/dev/null 2>&1 && [ -n "$(find /tmp -maxdepth 1 -name 'berth-shim-term.*' -newer "$b/config.json")" ] &&
		t_fail "console socket directory left behind"
	wait_gone "$SHIM_PID"
	rt delete -f "$id"
}

t_log_reopen() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sh -c 'echo one; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo two'
	shim_start "$b" "$id" -l "k8s-file:$TD/ctr.log"
	rt start "$id"
	local i=0; while ! grep -q one "$TD/ctr.log" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	mv "$TD/ctr.log" "$TD/ctr.log.1"
	printf '2 0 0\n' >"$b/ctl"
	sleep 0.2
	touch "$b/rootfs/tmp/go"
	wait_file "$EXITS/$id"
	assert_eq "$(log_messages "$TD/ctr.log.1")" one
	assert_eq "$(log_messages "$TD/ctr.log")" two "reopened log"
	wait_gone "$SHIM_PID"
	rt delete -f "$id"
}

t_exec_session() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sleep 100
	shim_start "$b" "$id" -l none
	local main_shim=$SHIM_PID
	rt start "$id"
	if ! exec_detach_works "$id"; then
		rt kill "$id" KILL; wait_file "$EXITS/$id"; wait_gone "$main_shim"; rt delete -f "$id"
		t_skip "$(basename "$SHIM_RT") exec --detach kills the detached process when the runtime exits (runtime bug)"
	fi
	local x=$TD/exec; mkdir -p "$x/exit"
	jq '.process | .args = ["sh", "-c", "echo execout; echo execerr >&2; exit 5"]' "$b/config.json" >"$x/process.json"
	mkfifo "$TD/xsync" "$TD/xstart"
	exec {SYNC_FD}<>"$TD/xsync" {xs}<>"$TD/xstart"
	printf '\0' >&"$xs"
	_OCI_SYNCPIPE=$SYNC_FD _OCI_STARTPIPE=$xs "$SHIM" --api-version 1 -c "$id" -u sid-1 -r "$SHIM_RT" -b "$x" \
		-p "$x/exec_pid" -n n --exit-dir "$x/exit" --full-attach -l "k8s-file:$x/log" \
		--runtime-arg --root --runtime-arg "$RT_ROOT" -e --exec-process-spec "$x/process.json"
	sync_next
	assert_match "$SYNC" '^\{"data": [0-9]+\}$' "exec pid message"
	sync_next
	assert_eq "$SYNC" '{"data": 5}' "exec exit code message"
	assert_eq "$(cat "$x/exit/$id")" 5 "exec exit file named after --cid"
	assert_contains "$(log_messages "$x/log")" execout
	assert_contains "$(log_messages "$x/log")" execerr
	rt kill "$id" KILL
	wait_file "$EXITS/$id"
	wait_gone "$main_shim"
	rt delete -f "$id"
}

# exec_detach_works: does `RT exec --detach` leave the process running once the runtime exits?
exec_detach_works() {
	local id=$1 p
	rt exec -d --pid-file "$TD/probe.pid" "$id" sleep 5 || return 1
	p=$(cat "$TD/probe.pid"); sleep 0.3
	[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = S ]
}

t_exec_timeout() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sleep 100
	shim_start "$b" "$id" -l none
	local main_shim=$SHIM_PID
	rt start "$id"
	if ! exec_detach_works "$id"; then
		rt kill "$id" KILL; wait_file "$EXITS/$id"; wait_gone "$main_shim"; rt delete -f "$id"
		t_skip "$(basename "$SHIM_RT") exec --detach kills the detached process when the runtime exits (runtime bug)"
	fi
	local x=$TD/exec; mkdir -p "$x/exit"
	jq '.process | .args = ["sleep", "10"]' "$b/config.json" >"$x/process.json"
	mkfifo "$TD/xsync" "$TD/xstart"
	exec {SYNC_FD}<>"$TD/xsync" {xs}<>"$TD/xstart"
	printf '\0' >&"$xs"
	_OCI_SYNCPIPE=$SYNC_FD _OCI_STARTPIPE=$xs "$SHIM" --api-version 1 -c "$id" -u sid-2 -r "$SHIM_RT" -b "$x" \
		-p "$x/exec_pid" --exit-dir "$x/exit" --full-attach -l none -T 1 \
		--runtime-arg --root --runtime-arg "$RT_ROOT" -e --exec-process-spec "$x/process.json"
	sync_next; sync_next 10
	assert_eq "$SYNC" '{"data": -1, "message": "command timed out"}' "timeout message"
	assert_eq "$(cat "$x/exit/$id")" -1 "timeout exit file"
	rt kill "$id" KILL
	wait_file "$EXITS/$id"
	wait_gone "$main_shim"
	rt delete -f "$id"
}

t_runtime_failure() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" /no/such/binary
	rm "$b/config.json"
	shim_start "$b" "$id" -l none
	assert_match "$SYNC" '^\{"data": -1, "message": ".+"\}$' "failure message"
	jq -e .message <<<"$SYNC" >/dev/null || t_fail "not JSON: $SYNC"
	[ -n "$SHIM_PID" ] && wait_gone "$SHIM_PID"
	rt delete -f "$id" 2>/dev/null || true
}

t_oom() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	bundle_jq "$b" '.linux.resources.memory = {"limit": 16777216}'
	set_args "$b" sh -c 'x=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; while :; do x=$x$x; done'
	shim_start "$b" "$id" -l none --persist-dir "$TD/persist"
	mkdir -p "$TD/persist"
	rt start "$id"
	wait_file "$EXITS/$id" 30
	assert_eq "$(cat "$EXITS/$id")" 137 "OOM-killed exit status"
	assert_file "$b/oom" "oom file in the bundle"
	assert_file "$TD/persist/oom" "oom file in --persist-dir"
	assert_eq "$(cat "$TD/persist/exit")" 137 "persist-dir exit"
	wait_gone "$SHIM_PID"
	rt delete -f "$id"
}

t_no_oom_file_without_oom() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	bundle_jq "$b" '.linux.resources.memory = {"limit": 16777216}'
	set_args "$b" sh -c 'exit 137'
	shim_start "$b" "$id" -l none
	rt start "$id"
	wait_file "$EXITS/$id"
	assert_no_file "$b/oom"
	wait_gone "$SHIM_PID"
	rt delete -f "$id"
}

t_shim_sigkill() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sleep 100
	shim_start "$b" "$id" -l "k8s-file:$TD/ctr.log"
	rt start "$id"
	kill -9 "$SHIM_PID"
	wait_gone "$SHIM_PID"
	assert_eq "$(rt state "$id" | jq -r .status)" running "state with the shim gone"
	kill -0 "$CPID" || t_fail "container died with its shim"
	rt kill "$id" KILL
	local i=0
	while [ "$(rt state "$id" | jq -r .status)" != stopped ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	assert_eq "$(rt state "$id" | jq -r .status)" stopped "state after the container died"
	rt delete -f "$id"
	assert_no_file "$EXITS/$id"
}

t_full_log_fs() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	mkdir -p "$TD/full"
	mount -t tmpfs -o size=64k tmpfs "$TD/full"
	set_args "$b" sh -c 'i=0; while [ $i -lt 20000 ]; do echo "line $i of a container that writes more than its log can hold"; i=$((i+1)); done; echo to-stderr >&2; exit 7'
	local rc=0
	( shim_start "$b" "$id" -l "k8s-file:$TD/full/ctr.log"
	  attach_client "$b/attach" "$TD/a1"
	  rt start "$id"
	  wait_file "$EXITS/$id" 30
	  assert_eq "$(cat "$EXITS/$id")" 7 "exit status with a full log fs"
	  wait "$CLIENT_PID" || true
	  assert_contains "$(cat "$TD/a1")" "3 b'to-stderr\\n'" "attach still served"
	  wait_gone "$SHIM_PID"
	  rt delete -f "$id" ) || rc=$?
	umount "$TD/full"
	return $rc
}

t_one_gib_bounded_rss() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sh -c 'yes "$(head -c 1000 /dev/zero | tr "\0" a)" | head -c 1073741824; echo; echo end'
	shim_start "$b" "$id" -l "k8s-file:$TD/ctr.log" --log-size-max 1048576
	local slow; attach_client "$b/attach" "$TD/a1"; slow=$CLIENT_PID
	kill -STOP "$slow"   # a client that stops reading
	rt start "$id"
	local max=0 rss t0; t0=$(date +%s)
	while [ ! -e "$EXITS/$id" ] && [ $(($(date +%s) - t0)) -lt 120 ]; do
		rss=$(awk '/^VmRSS/ {print $2}' "/proc/$SHIM_PID/status" 2>/dev/null || echo 0)
		[ "${rss:-0}" -gt "$max" ] && max=$rss
		sleep 0.1
	done
	local hwm; hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$SHIM_PID/status" 2>/dev/null || echo 0)
	[ "${hwm:-0}" -gt "$max" ] && max=$hwm
	kill -CONT "$slow"; kill "$slow" 2>/dev/null || true; wait "$slow" 2>/dev/null || true
	wait_file "$EXITS/$id" 5
	echo "shim peak RSS ${max} KiB while logging 1 GiB"
	# An ASan build (tests/ci/sanitize-lane.sh) adds shadow memory and a free quarantine.
	local limit=16384; [ -n "${BERTH_TEST_SANITIZED:-}" ] && limit=65536
	[ "$max" -lt "$limit" ] || t_fail "shim RSS grew to $max KiB"
	local size; size=$(stat -c %s "$TD/ctr.log")
	[ "$size" -le 1048576 ] || t_fail "--log-size-max 1MiB: log is $size bytes"
	assert_eq "$(log_messages "$TD/ctr.log" | tail -n1)" end
	wait_gone "$SHIM_PID"
	rt delete -f "$id"
}

# --log-size-max as conmon: the limit is checked before every record, so a burst that arrives in one
# read still leaves at most the limit in the file: the lines since the last truncation, ending with the
# last one (it was checked per read chunk: 200 lines in one chunk left 10.7 KB under a 1000-byte
# limit; conmon 2.1.6 leaves 54 bytes, "line-199" alone, and so does the shim now).
t_log_size_max_small() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sh -c 'i=0; while [ $i -lt 200 ]; do echo line-$i; i=$((i + 1)); done >/tmp/l; cat /tmp/l'
	shim_start "$b" "$id" -l "k8s-file:$TD/ctr.log" --log-size-max 1000
	rt start "$id"
	wait_file "$EXITS/$id"
	wait_gone "$SHIM_PID"
	local size; size=$(stat -c %s "$TD/ctr.log")
	[ "$size" -le 1000 ] && [ "$size" -gt 0 ] || t_fail "--log-size-max 1000: log is $size bytes"
	local msgs first; msgs=$(log_messages "$TD/ctr.log")
	assert_eq "$(tail -n1 <<<"$msgs")" line-199 "last line"
	first=$(head -n1 <<<"$msgs"); first=${first#line-}
	assert_eq "$msgs" "$(seq -f 'line-%g' "$first" 199)" "the log holds the last lines, in order"
	rt delete -f "$id"
}

# shim_code_rss PID: KiB of the shim's own code mapped in process PID (smaps r-xp of $SHIM).
shim_code_rss() {
	awk -v exe="$SHIM" '/^[0-9a-f]+-[0-9a-f]+ / { code = ($2 == "r-xp" && $6 == exe) } code && /^Rss:/ { kb += $2 } END { print kb + 0 }' "/proc/$1/smaps"
}

t_idle_gives_back_code() {
	# Once the container runs, the waiting shim unmaps its start-up code (berth_release_idle_memory_before_next_wait);
	# what it needs later faults back in: output after the idle period is still logged and relayed.
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sh -c 'sleep 3; echo late; exit 5'
	shim_start "$b" "$id" -l "k8s-file:$TD/ctr.log"
	rt start "$id"
	local kb i=0
	while kb=$(shim_code_rss "$SHIM_PID"); [ "$kb" -gt 256 ] && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done
	echo "shim code mapped while idle: ${kb} KiB"
	[ "$kb" -le 256 ] || t_fail "idle shim still maps $kb KiB of its code"
	attach_client "$b/attach" "$TD/a1"
	wait_file "$EXITS/$id" 10
	assert_eq "$(cat "$EXITS/$id")" 5 "exit file"
	assert_eq "$(log_messages "$TD/ctr.log")" late
	wait "$CLIENT_PID" || true
	assert_contains "$(cat "$TD/a1")" "2 b'late\\n'" "attach client got the late output"
	wait_gone "$SHIM_PID"
	rt delete -f "$id"
}

t_restore_call() {
	# CRIU cannot checkpoint on this host's kernel (shim/README.md), so a stand-in runtime plays
	# `runc restore --detach`: it records its arguments, starts the "restored" process detached
	# and writes its pid file. The shim's side is real: the call, the pid, the reparented process
	# supervised to its exit, its output logged.
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	mkdir -p "$TD/checkpoint"
	cat >"$TD/restore-rt" <<-EOF
	#!/bin/sh
	printf '%s\n' "\$@" >"$TD/restore-rt.args"
	prev=; for a; do [ "\$prev" = --pid-file ] && pidfile=\$a; prev=\$a; done
	sh -c 'echo restored; sleep 0.5; exit 7' &
	echo \$! >"\$pidfile"
	EOF
	chmod +x "$TD/restore-rt"
	local SHIM_RT=$TD/restore-rt
	shim_start "$b" "$id" -l "k8s-file:$TD/ctr.log" --restore "$TD/checkpoint" --runtime-opt --tcp-established
	assert_match "$SYNC" '^\{"data": [0-9]+\}$' "sync message"
	assert_eq "$(tr '\n' ' ' <"$TD/restore-rt.args")" \
		"--root $RT_ROOT restore --bundle $b --pid-file $TD/run/$id.pid --detach --image-path $TD/checkpoint --work-path $b --tcp-established $id " \
		"runtime arguments"
	wait_file "$EXITS/$id" 10
	assert_eq "$(cat "$EXITS/$id")" 7 "exit file of the restored process"
	assert_eq "$(log_messages "$TD/ctr.log")" restored
	wait_gone "$SHIM_PID"
	local rc=0 err; err=$("$SHIM" -c x -r /bin/true --exec --exec-process-spec /x --restore /y 2>&1) || rc=$?
	assert_ne "$rc" 0 "--restore with --exec"
	assert_contains "$err" "--restore"
}

t_restore_criu() {
	# The real thing where CRIU works (the v2 lane's guest): a container under the shim is
	# checkpointed by the runtime, then a new shim restores it (--restore) and supervises it: the
	# restored process writes on to the new log and its exit lands in the exit file.
	command -v criu >/dev/null && criu check >/dev/null 2>&1 || t_skip "criu check fails on this kernel ($(uname -r)); the v2 lane runs this"
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sh -c 'i=0; while :; do i=$((i+1)); echo n$i; sleep 0.1; done'
	shim_start "$b" "$id" -l "k8s-file:$TD/ctr.log"
	rt start "$id"
	local i=0; while ! grep -q ' n3$' "$TD/ctr.log" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	local first=$SHIM_PID
	rt checkpoint --image-path "$TD/img" "$id" || t_fail "checkpoint failed: $(grep -B3 'Error (' "$TD/img/dump.log" | tail -n 12)"
	wait_file "$EXITS/$id" 10
	wait_gone "$first"
	rt delete -f "$id" 2>/dev/null || true
	local last; last=$(log_messages "$TD/ctr.log" | tail -n1 | tr -d n)
	rm -f "$EXITS/$id"
	shim_start "$b" "$id" -l "k8s-file:$TD/ctr2.log" --restore "$TD/img"
	t_alive "$CPID" || t_fail "restored pid $CPID (from the sync pipe) is not alive"
	i=0; while [ ! -s "$TD/ctr2.log" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	local next; next=$(log_messages "$TD/ctr2.log" | head -n1 | tr -d n)
	[ "$next" -gt "$last" ] 2>/dev/null || t_fail "restored output starts at '$next', the dump was at $last"
	rt kill "$id" KILL
	wait_file "$EXITS/$id" 10
	assert_eq "$(cat "$EXITS/$id")" 137 "exit file of the restored container"
	wait_gone "$SHIM_PID"
	rt delete -f "$id"
}

t_journald() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sh -c 'echo to-journal; echo err >&2'
	python3 - "$TD/journal.sock" "$TD/journal.out" <<'EOF' &
import socket, sys, struct
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
open(sys.argv[2] + ".ready", "w").close()
s.settimeout(10)
with open(sys.argv[2], "w") as f:
    for _ in range(2):
        d = s.recv(65536)
        f.write(repr(d) + "\n"); f.flush()
EOF
	local srv=$!
	wait_file "$TD/journal.out.ready"
	BERTH_SHIM_JOURNAL_SOCKET=$TD/journal.sock shim_start "$b" "$id" -l journald: --log-tag mytag
	rt start "$id"
	wait_file "$EXITS/$id"
	wait "$srv" || t_fail "journal listener got fewer than 2 messages"
	local j; j=$(cat "$TD/journal.out")
	assert_contains "$j" "CONTAINER_ID_FULL=$id"
	assert_contains "$j" "CONTAINER_NAME=name-$id"
	assert_contains "$j" "SYSLOG_IDENTIFIER=mytag"
	assert_contains "$j" "to-journal"
	assert_contains "$j" "PRIORITY=3"
	wait_gone "$SHIM_PID"
	rt delete -f "$id"
}

# syslog_listen FILE: a datagram socket at FILE.sock writing each message as a line to FILE until killed.
syslog_listen() {
	python3 - "$1.sock" "$1" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
open(sys.argv[2], "w").close()
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(65536).decode(errors="replace") + "\n"); f.flush()
EOF
	LISTENER=$!
	wait_file "$1"
}

# run_levels LEVEL [--syslog]: one container (exit 3) under a shim with that --log-level; its syslog
# messages end in $TD/sl.LEVEL, the first process's stderr in $TD/err.LEVEL.
run_levels() {
	local level=$1 b=$TD/b-$1 id; shift; id=$(new_id); make_bundle "$b"
	set_args "$b" sh -c 'exit 3'
	syslog_listen "$TD/sl.$level"; local l=$LISTENER
	BERTH_SHIM_SYSLOG_SOCKET=$TD/sl.$level.sock shim_start "$b" "$id" -l none --log-level "$level" "$@" 2>"$TD/err.$level"
	rt start "$id"
	wait_file "$EXITS/$id"
	wait_gone "$SHIM_PID"
	kill "$l"; wait "$l" 2>/dev/null || true
	rt delete -f "$id"
	SL=$(cat "$TD/sl.$level"); ERR=$(cat "$TD/err.$level"); CID20=${id:0:20}
}

t_log_level_syslog() {
	run_levels debug --syslog
	assert_match "$(grep 'runtime child' <<<"$SL")" "^<15>[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} berth-shim\\[[0-9]+\\]: conmon $CID20 <ndebug>: runtime child [0-9]+: .* create " "debug message in syslog form"
	assert_match "$(grep 'container created' <<<"$SL")" "^<14>.*: conmon $CID20 <ninfo>: container created, pid [0-9]+$" "info message"
	assert_match "$SL" "<ninfo>: container pid [0-9]+ exited, status 3" "exit message"
	assert_contains "$ERR" "[berth-shim:d]: start pipe: start byte received" "debug on stderr before daemonizing"
	run_levels info --syslog
	assert_contains "$SL" "<ninfo>: container pid"
	assert_not_contains "$SL" "<ndebug>" "no debug messages at info"
	assert_not_contains "$ERR" "[berth-shim:d]" "no debug on stderr at info"
	run_levels warning --syslog
	assert_eq "$SL" "" "nothing at warning for a clean run"
	run_levels DEBUG
	assert_eq "$SL" "" "no syslog without --syslog"
	assert_contains "$ERR" "[berth-shim:d]: start pipe" "level names are case-insensitive"
	local rc=0 err; err=$("$SHIM" -c x -r /usr/bin/true --log-level loud 2>&1) || rc=$?
	assert_ne "$rc" 0 "unknown log level"
	assert_contains "$err" "--log-level: no such log level 'loud'"
}

t_sdnotify() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sleep 100
	python3 - "$TD/host.sock" "$TD/notify.out" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
open(sys.argv[2] + ".ready", "w").close()
s.settimeout(10)
open(sys.argv[2], "w").write(repr(s.recv(4096)))
EOF
	local srv=$!
	wait_file "$TD/notify.out.ready"
	shim_start "$b" "$id" -l none --sdnotify-socket "$TD/host.sock"
	assert_file "$b/notify/notify.sock"
	# A datagram longer than the shim's 4095-byte buffer is ignored whole: cut there, this one's
	# last line "READY=1X" would read READY=1 (found by fuzz-shim-notify). Sent first: had it been
	# relayed, it would be what the server received.
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); s.sendto(b"S" * 4087 + b"\nREADY=1X\n", sys.argv[1])' "$b/notify/notify.sock"
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); s.sendto(b"STATUS=x\nREADY=1\nWATCHDOG=1\nMAINPID=1", sys.argv[1])' "$b/notify/notify.sock"
	wait "$srv" || t_fail "nothing relayed"
	assert_eq "$(cat "$TD/notify.out")" "b'READY=1\\nWATCHDOG=1\\n'" "only READY=1 and WATCHDOG=1 relayed, from the second datagram"
	rt start "$id"; rt kill "$id" KILL
	wait_file "$EXITS/$id"; wait_gone "$SHIM_PID"
	rt delete -f "$id"
}

t_adopt_mode() {
	# The exec'ing process is the parent of the "container": its child becomes the shim's.
	mkdir -p "$TD/exits" "$TD/state"
	sh -c 'sh -c "sleep 0.3; exit 4" & exec "$0" --adopt-pid $! -c adopted --exit-dir "$1" --state-dir "$2"' \
		"$SHIM" "$TD/exits" "$TD/state" &
	local pid=$!
	local rc=0
	wait "$pid" || rc=$?
	assert_eq "$rc" 4 "shim exit status in adopt mode"
	assert_eq "$(cat "$TD/exits/adopted")" 4
	assert_eq "$(cat "$TD/state/exit")" 4 "state dir exit file"
	sh -c 'sleep 100 & echo $! > "$3"; exec "$0" --adopt-pid $! -c a2 --exit-dir "$1"' "$SHIM" "$TD/exits" x "$TD/p" &
	pid=$!
	wait_file "$TD/p"
	# An adopted container is idle at once: the shim unmaps its start-up code then too.
	local kb i=0
	while kb=$(shim_code_rss "$pid"); [ "$kb" -gt 256 ] && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done
	[ "$kb" -le 256 ] || t_fail "idle shim in adopt mode still maps $kb KiB of its code"
	kill -9 "$(cat "$TD/p")"
	wait "$pid" || true
	assert_eq "$(cat "$TD/exits/a2")" 137
}

for SHIM_RT in /usr/bin/runc "$BERTH"; do
	rtn=$(basename "$SHIM_RT")
	if [ "$SHIM_RT" = "$BERTH" ]; then RT_ROOT=$T_ROOT; else RT_ROOT=$T_WORK/runc-root; fi
	if [ ! -x "$SHIM_RT" ]; then t_run "$rtn" true "skip:$SHIM_RT not installed"; continue; fi
	t_run_sel "$rtn: container runs, pid on the sync pipe, k8s-file log, exit file" t_basic_lifecycle
	t_run_sel "$rtn: SIGKILL gives exit status 137" t_sigkill_137
	t_run_sel "$rtn: exit command after the exit file, with --exit-delay" t_exit_command
	t_run_sel "$rtn: attach socket delivers stdout/stderr packets to two clients" t_attach_output
	t_run_sel "$rtn: -l passthrough: the container's stdio is ours, the exit command's is not" t_passthrough
	t_run_sel "$rtn: stdin from an attach client, EOF closes it" t_attach_stdin
	t_run_sel "$rtn: stdin packets of 32 KiB and more arrive whole" t_attach_stdin_big_packets
	t_run_sel "$rtn: attach clients that disconnect or stop reading" t_attach_disconnect
	t_run_sel "$rtn: attach client with unread input at exit gets the output, then EOF" t_attach_unread_input
	t_run_sel "$rtn: terminal via console socket, ctl resize" t_terminal_resize
	t_run_sel "$rtn: ctl '2' reopens the log" t_log_reopen
	t_run_sel "$rtn: exec session: pid, exit code, exit file" t_exec_session
	t_run_sel "$rtn: exec session --timeout" t_exec_timeout
	t_run_sel "$rtn: runtime failure reported on the sync pipe" t_runtime_failure
	t_run_sel "$rtn: OOM kill writes the oom file" t_oom
	t_run_sel "$rtn: no oom file without an OOM kill" t_no_oom_file_without_oom
	t_run_sel "$rtn: SIGKILL of the shim leaves the container and state correct" t_shim_sigkill
	t_run_sel "$rtn: a full log filesystem kills nothing" t_full_log_fs
	t_run_sel "$rtn: --log-size-max keeps at most the limit, a burst included" t_log_size_max_small
	# The log path does not depend on the runtime: the 1 GiB run is done once (it takes minutes on a busy host).
	if [ "$SHIM_RT" = /usr/bin/runc ] || [ ! -x /usr/bin/runc ]; then
		t_run_sel "$rtn: 1 GiB of output, a stalled attach client: RSS bounded, --log-size-max" t_one_gib_bounded_rss
	fi
	t_run_sel "$rtn: the idle shim unmaps its start-up code, output later still flows" t_idle_gives_back_code
	t_run_sel "$rtn: journald native protocol" t_journald
	t_run_sel "$rtn: --sdnotify-socket relays READY=1 and WATCHDOG=1 only, never from a cut datagram" t_sdnotify
	t_run_sel "$rtn: --log-level filters the shim's messages, --syslog sends them to syslog" t_log_level_syslog
	t_run_sel "$rtn: --restore with CRIU: checkpointed under one shim, restored and supervised by another" t_restore_criu
done
t_run_sel "version line and usage errors" t_version_and_usage
t_run_sel "adopt mode records the exit status" t_adopt_mode
t_run_sel "--restore: the runtime's restore call, the restored process supervised" t_restore_call
t_done
