#!/bin/bash
# events: runc-compatible stats and OOM events through berth-monitor (values under load, OOM, --all,
# end of stream on delete, bad input, the monitor exiting by itself).
source "$(dirname "$0")/../lib/tap.sh"

# A short grace so the monitor is gone before each test's leak check (the socket lives in --root).
export BERTH_MONITOR_GRACE_MS=200

# wait_file PATH [SECONDS]
wait_file() {
	local i=0 limit=$((${2:-10} * 20))
	while [ ! -e "$1" ] && [ $i -lt $limit ]; do sleep 0.05; i=$((i + 1)); done
	[ -e "$1" ] || t_fail "timed out waiting for $1"
}

# The monitor of $T_ROOT has gone (berth only): its socket is removed when it exits.
wait_monitor_gone() {
	[ "$T_RT_KIND" = berth ] || return 0
	local i=0
	while [ -e "$T_ROOT/.monitor.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ ! -e "$T_ROOT/.monitor.sock" ] || t_fail "berth-monitor still running 5 s after its last client"
}

# stats ID: one --stats sample into STATS.
stats() {
	rt_ok events --stats "$1"
	STATS=$(grep '"type":"stats"' <<<"$RT_OUT" | head -n1)
	[ -n "$STATS" ] || t_fail "no stats line from events --stats $1:" "$RT_OUT"
}
sval() { jq -r "$1 // 0" <<<"$STATS"; }

# keep_monitor ID: a background client that keeps berth's monitor running (berth only), so that
# --stats is answered by the monitor (its cached readers) rather than read in-process. KEEPER=pid.
keep_monitor() {
	KEEPER=
	[ "$T_RT_KIND" = berth ] || return 0
	"$BERTH" --root "$T_ROOT" events --interval 1h "$1" >/dev/null 2>&1 </dev/null &
	KEEPER=$!
	local i=0; while [ ! -e "$T_ROOT/.monitor.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -e "$T_ROOT/.monitor.sock" ] || t_fail "no monitor started"
}

t_stats_shape() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sleep 100
	bundle_jq "$b" '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 100}'
	rt_ok run -d --bundle "$b" "$id"; rt_state "$id"
	stats "$id"
	assert_eq "$(jq -r .type <<<"$STATS")" stats type
	assert_eq "$(jq -r .id <<<"$STATS")" "$id" id
	assert_eq "$(jq -c '.data | keys' <<<"$STATS")" \
		'["blkio","cpu","cpuset","hugetlb","intel_rdt","memory","network_interfaces","pids"]' "data keys"
	assert_eq "$(sval .data.memory.usage.limit)" 67108864 "memory limit (bytes)"
	assert_eq "$(sval .data.pids.limit)" 100 "pids limit"
	assert_eq "$(sval .data.pids.current)" 1 "pids current"
	[ "$(sval .data.cpu.usage.total)" -gt 0 ] || t_fail "cpu.usage.total is 0"
	[ "$(sval .data.memory.usage.usage)" -gt 0 ] || t_fail "memory.usage.usage is 0"
	jq -e '.data.memory.raw | length > 5' <<<"$STATS" >/dev/null || t_fail "memory.raw missing"
	jq -e '.data.memory | has("usage") and has("swap") and has("kernel") and has("kernelTCP")' <<<"$STATS" >/dev/null \
		|| t_fail "memory entries missing"
	if [ "$T_RT_KIND" = berth ]; then
		# The container's own network namespace: its loopback, with runc's (Go field) names.
		jq -e '.data.network_interfaces | map(select(.Name == "lo" and has("RxBytes") and has("TxDropped"))) | length == 1' \
			<<<"$STATS" >/dev/null || t_fail "network_interfaces has no lo entry:" "$(jq -c .data.network_interfaces <<<"$STATS")"
		# PSI as runc 1.2 reports it: on v2 (with a PSI kernel), not on v1 or hybrid.
		if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && [ -e /proc/pressure/cpu ]; then
			echo "# v2 with PSI: psi expected in cpu, memory and blkio"
			jq -e '[.data.cpu, .data.memory, .data.blkio] | all(.psi.some | has("avg10") and has("total"))' <<<"$STATS" >/dev/null \
				|| t_fail "v2: no psi in cpu, memory and blkio:" "$STATS"
		else
			assert_eq "$(jq -c '[paths | select(.[-1] == "psi")]' <<<"$STATS")" "[]" "psi keys on v1/hybrid"
		fi
		# No monitor was running: berth read the sample itself and started none.
		assert_no_file "$T_ROOT/.monitor.sock" "a monitor started by --stats"
		# With a monitor running the sample comes from it, in the same layout.
		local alone=$STATS
		keep_monitor "$id"
		stats "$id"
		assert_eq "$(jq -c '[paths]' <<<"$STATS")" "$(jq -c '[paths]' <<<"$alone")" "key paths via the monitor"
		assert_eq "$(sval .data.memory.usage.limit)" 67108864 "memory limit via the monitor"
		kill "$KEEPER"; wait "$KEEPER" 2>/dev/null || true
	fi
	rt_ok kill "$id" KILL; wait_status "$id" stopped; rt_ok delete "$id"
	wait_monitor_gone
}

# Same kind of container under berth and runc: the key paths must be the same, except berth's
# additions (psi, the container's network_interfaces).
t_keys_match_runc() {
	command -v runc >/dev/null || t_skip "runc not installed"
	local b=$TD/b id rid rroot=$TD/runc-root; id=$(new_id); rid=$(new_id); make_bundle "$b"
	set_args "$b" sleep 100
	bundle_jq "$b" '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 100}'
	rt_ok run -d --bundle "$b" "$id"; rt_state "$id"
	stats "$id"; local ours=$STATS
	local rb=$TD/rb; mkdir -p "$rb"; cp -a "$b/rootfs" "$rb/"
	jq --arg cg "$T_CG_BASE/runc-$RANDOM" '.linux.cgroupsPath = $cg' "$b/config.json" >"$rb/config.json"
	runc --root "$rroot" run -d --bundle "$rb" "$rid" </dev/null >/dev/null 2>&1 || t_fail "runc run failed"
	track_pid "$(runc --root "$rroot" state "$rid" | jq -r .pid)"
	local theirs; theirs=$(runc --root "$rroot" events --stats "$rid")
	runc --root "$rroot" delete -f "$rid" >/dev/null 2>&1
	# Left out: berth's documented additions (psi, the container's network_interfaces; on v2 cpuset
	# lists and memory.usage.max, which runc 1.1 leaves out) and memory.cache, omitted by both when 0.
	local extra='^data\\.memory\\.cache$'
	[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && extra+='|^data\\.cpuset\\.(cpus|mems)|^data\\.memory\\.usage\\.max$'
	local filter='[paths | map(if type == "number" then "[]" else . end) | join(".")
		| select(test("\\.psi|network_interfaces\\.|^id$|'"$extra"'") | not)] | unique | .[]'
	local d; d=$(diff <(jq -r "$filter" <<<"$theirs") <(jq -r "$filter" <<<"$ours")) \
		|| t_fail "key paths differ from runc (< runc, > berth):" "$d"
	rt_ok kill "$id" KILL; wait_status "$id" stopped; rt_ok delete "$id"
	wait_monitor_gone
}

# Memory, cpu and pids grow under load; each step is triggered by a file and acknowledged by another.
t_values_under_load() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sh -c '
		w() { while [ ! -e /tmp/$1 ]; do sleep 0.02; done; }
		w mem; dd if=/dev/zero of=/dev/shm/x bs=1M count=48 2>/dev/null; touch /tmp/mem-done
		w cpu; end=$(( $(date +%s) + 2 )); while [ $(date +%s) -lt $end ]; do :; done; touch /tmp/cpu-done
		w fork; for i in 1 2 3 4 5 6 7 8 9 10; do sleep 100 & done; touch /tmp/fork-done
		sleep 100'
	bundle_jq "$b" '.root.readonly = false'
	rt_ok run -d --bundle "$b" "$id"; rt_state "$id"
	local r=$b/rootfs/tmp
	# Through the monitor: its readers skip files whose content cannot have moved.
	keep_monitor "$id"
	stats "$id"
	local mem0 cpu0 pids0
	mem0=$(sval .data.memory.usage.usage); cpu0=$(sval .data.cpu.usage.total); pids0=$(sval .data.pids.current)
	touch "$r/mem"; wait_file "$r/mem-done"
	stats "$id"
	local mem1; mem1=$(sval .data.memory.usage.usage)
	[ $((mem1 - mem0)) -gt $((40 << 20)) ] || t_fail "memory usage grew by $(((mem1 - mem0) >> 20)) MiB, expected > 40 MiB after writing 48 MiB to /dev/shm"
	touch "$r/cpu"; wait_file "$r/cpu-done" 20
	stats "$id"
	local cpu1; cpu1=$(sval .data.cpu.usage.total)
	[ $((cpu1 - cpu0)) -gt 300000000 ] || t_fail "cpu usage grew by $(((cpu1 - cpu0) / 1000000)) ms, expected > 300 ms after a busy loop"
	touch "$r/fork"; wait_file "$r/fork-done"
	stats "$id"
	local pids1; pids1=$(sval .data.pids.current)
	# sh + 10 sleeps (pids0 may have counted one short-lived sleep of the wait loop)
	[ "$pids1" -ge 11 ] && [ "$pids1" -gt "$pids0" ] || t_fail "pids.current $pids1 (was $pids0), expected >= 11 after forking 10"
	rt_ok kill "$id" KILL; wait_status "$id" stopped; rt_ok delete "$id"
	[ -z "$KEEPER" ] || wait "$KEEPER"
	wait_monitor_gone
}

# A container over its memory limit: an oom event, and the stream ends (exit 0) when the container does.
t_oom_event() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	bundle_jq "$b" '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
	set_args "$b" sh -c 'while [ ! -e /tmp/go ]; do sleep 0.02; done; head -c 209715200 /dev/zero | tail; sleep 0.3'
	rt_ok run -d --bundle "$b" "$id"; rt_state "$id"
	local out=$TD/events.out
	"$BERTH" --root "$T_ROOT" events --interval 100ms "$id" >"$out" 2>"$TD/events.err" &
	local ev=$!
	local i=0
	while ! grep -q '"type":"stats"' "$out" && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
	touch "$b/rootfs/tmp/go"
	i=0
	while ! grep -q '"type":"oom"' "$out" && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	grep -q '"type":"oom"' "$out" || { kill $ev; t_fail "no oom event within 10 s:" "$(tail -c 300 "$out")"; }
	assert_eq "$(grep '"type":"oom"' "$out" | head -n1)" "{\"type\":\"oom\",\"id\":\"$id\"}" "oom line"
	wait_status "$id" stopped
	if [ "$T_RT_KIND" = berth ]; then   # the shim of `run -d` notes the OOM kill in the state dir
		i=0; while [ ! -e "$T_ROOT/$id/oom" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
		assert_file "$T_ROOT/$id/oom" "oom file in the state dir"
		assert_no_file "$TD/oom"
	fi
	# runc keeps its stream open (printing errors) after the container stopped; berth ends it.
	[ "$T_RT_KIND" = berth ] || { kill $ev; wait $ev 2>/dev/null || true; rt_ok delete "$id"; return 0; }
	local rc=0; timeout 5 tail --pid=$ev -f /dev/null || rc=$?
	[ $rc = 0 ] || { kill $ev; t_fail "events did not end after the container stopped"; }
	wait $ev || t_fail "events exited $? after the container stopped" "$(cat "$TD/events.err")"
	rt_ok delete "$id"
	wait_monitor_gone
}

# --all streams every container, including ones created after it started.
t_all_sees_new() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sleep 100
	local out=$TD/all.out
	"$BERTH" --root "$T_ROOT" events --all --interval 100ms >"$out" 2>"$TD/all.err" &
	local ev=$!
	sleep 0.3
	rt_ok run -d --bundle "$b" "$id"; rt_state "$id"
	local i=0
	while ! grep -q "\"id\":\"$id\"" "$out" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	grep -q "\"id\":\"$id\"" "$out" || { kill $ev; t_fail "events --all did not report $id within 5 s" "$(cat "$TD/all.err")"; }
	rt_ok kill "$id" KILL; wait_status "$id" stopped; rt_ok delete "$id"
	kill -0 $ev 2>/dev/null || t_fail "events --all ended when its container went"
	kill $ev; wait $ev || true
	wait_monitor_gone
}

# Deleting the container ends its event stream cleanly (exit 0, no error).
t_delete_ends_stream() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sleep 100
	rt_ok run -d --bundle "$b" "$id"; rt_state "$id"
	"$BERTH" --root "$T_ROOT" events --interval 100ms "$id" >"$TD/ev.out" 2>"$TD/ev.err" &
	local ev=$!
	# Delete once the stream is flowing (slow machines: the v2 VM).
	local i=0
	while ! grep -q '"type":"stats"' "$TD/ev.out" && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
	rt_ok delete --force "$id"
	local rc=0; timeout 5 tail --pid=$ev -f /dev/null || rc=$?
	[ $rc = 0 ] || { kill $ev; t_fail "events still running 5 s after delete"; }
	wait $ev || t_fail "events exited $? after delete:" "$(cat "$TD/ev.err")"
	[ ! -s "$TD/ev.err" ] || t_fail "events wrote to stderr:" "$(cat "$TD/ev.err")"
	grep -q '"type":"stats"' "$TD/ev.out" || t_fail "no stats before the end"
	wait_monitor_gone
}

t_bad_input() {
	assert_fails_with 'does not exist' events --stats nosuchcontainer
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" true
	rt_ok create --bundle "$b" "$id"; rt_state "$id"; rt_ok start "$id"
	wait_status "$id" stopped
	assert_fails_with 'not running' events --stats "$id"
	assert_fails_with 'not running' events "$id"
	rt_ok delete "$id"
	if [ "$T_RT_KIND" = berth ]; then
		# A container still being created (its directory, no state.json yet).
		mkdir "$T_ROOT/$id"
		assert_fails_with "container \"$id\" is not running" events --stats "$id"
		rmdir "$T_ROOT/$id"
	fi
	id=$(new_id); set_args "$b" sleep 100
	rt_ok run -d --bundle "$b" "$id"; rt_state "$id"
	assert_fails_with 'interval.*invalid duration' events --interval 5x "$id"
	assert_fails_with 'interval.*invalid duration' events --interval 5 "$id"
	assert_fails_with 'interval.*negative' events --interval -1s "$id"
	assert_fails_with 'interval.*greater than 0' events --interval 0 "$id"
	rt_ok kill "$id" KILL; wait_status "$id" stopped; rt_ok delete "$id"
	wait_monitor_gone
}

# Go duration syntax is accepted (1m30s, 1.5s, 250ms); the monitor exits by itself after the last client.
t_intervals_and_monitor_exit() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sleep 100
	rt_ok run -d --bundle "$b" "$id"; rt_state "$id"
	local iv
	for iv in 1m30s 1.5s 250ms 1h; do
		timeout 0.3 "$BERTH" --root "$T_ROOT" events --interval "$iv" "$id" >/dev/null 2>"$TD/err" || true
		[ ! -s "$TD/err" ] || t_fail "--interval $iv: $(cat "$TD/err")"
	done
	"$BERTH" --root "$T_ROOT" events --interval 250ms "$id" >"$TD/out" 2>&1 &
	local ev=$! t0; t0=$(date +%s%N)
	local mpid=
	if [ "$T_RT_KIND" = berth ]; then
		local i=0
		while [ -z "$mpid" ] && [ $i -lt 100 ]; do
			mpid=$(pgrep -f "berth-monitor --root $T_ROOT --ready-fd" | head -n1 || true); sleep 0.05; i=$((i + 1))
		done
		[ -n "$mpid" ] || t_fail "no berth-monitor for $T_ROOT while a client is connected"
		[ "$(readlink "/proc/$mpid/cwd")" = / ] || t_fail "berth-monitor's cwd is not /"
	fi
	sleep 1.5
	kill $ev; wait $ev 2>/dev/null || true
	local ms=$((($(date +%s%N) - t0) / 1000000)) n; n=$(grep -c '"type":"stats"' "$TD/out" || true)
	# one sample per 250 ms after the first interval (loose bounds: a loaded machine)
	[ "$n" -ge 2 ] && [ "$n" -le $((ms / 250 + 1)) ] || t_fail "--interval 250ms for $ms ms gave $n samples"
	if [ -n "$mpid" ]; then
		wait_monitor_gone
		local i=0; while kill -0 "$mpid" 2>/dev/null && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done
		kill -0 "$mpid" 2>/dev/null && t_fail "berth-monitor $mpid did not exit after its last client"
	fi
	rt_ok kill "$id" KILL; wait_status "$id" stopped; rt_ok delete "$id"
	wait_monitor_gone
}

# Where stdout goes. A pipe, a regular file, /dev/null: berth-monitor writes the stream there itself
# and the client sleeps until the end (it passes its stdout with the request); a terminal is relayed.
# A reader that goes away ends the stream (exit 0); a stdout the client may not write (read-only) or a
# write error ends it with one error line, and nothing is ever written through a read-only stdout.
t_stdout_kinds() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sleep 100
	rt_ok run -d --bundle "$b" "$id"; rt_state "$id"
	local ev="$BERTH --root $T_ROOT events --interval 100ms $id" n
	# A pipe whose reader stops after 3 lines: the stream ends (berth exits 0, runc dies of SIGPIPE).
	n=$(timeout 10 $ev 2>"$TD/err" | head -n 3 | grep -c '"type":"stats"'; echo "${PIPESTATUS[0]}")
	[ "$n" = $'3\n0' ] || [ "$n" = $'3\n141' ] || t_fail "events | head -n 3: lines, exit status: $n" "$(cat "$TD/err")"
	# A regular file: whole lines, one sample per interval; the client does not wake per sample.
	$ev >"$TD/file.out" 2>"$TD/err" &
	local pid=$!
	sleep 1.2
	local ctx; ctx=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$pid/status")
	kill $pid; wait $pid || true
	n=$(grep -c '"type":"stats"' "$TD/file.out" || true)
	[ "$n" -ge 5 ] || t_fail "events >file: $n samples in 1.2 s" "$(cat "$TD/err")"
	jq -e . "$TD/file.out" >/dev/null || t_fail "events >file: not whole JSON lines" "$(head -c 600 "$TD/file.out")"
	if [ "$T_RT_KIND" = berth ]; then
		[ "$ctx" -le 4 ] || t_fail "events >file: the client woke $ctx times in 1.2 s (the monitor should write the samples)"
	fi
	# /dev/null.
	local rc=0; timeout 0.5 $ev >/dev/null 2>"$TD/err" || rc=$?
	[ $rc = 124 ] && [ ! -s "$TD/err" ] || t_fail "events >/dev/null: exit $rc" "$(cat "$TD/err")"
	# A terminal: relayed by the client.
	if command -v script >/dev/null; then
		timeout -s INT 1 script -qec "$ev" /dev/null >"$TD/tty.out" 2>&1 </dev/null || true
		n=$(tr -d '\r' <"$TD/tty.out" | grep -c '"type":"stats"' || true)
		[ "$n" -ge 3 ] || t_fail "events on a terminal: $n samples in 1 s" "$(head -c 600 "$TD/tty.out")"
	fi
	if [ "$T_RT_KIND" = berth ]; then
		# Read-only stdouts: a file and a pipe the monitor must not reopen for writing.
		echo kept >"$TD/ro"
		rc=0; timeout 5 $ev 1<"$TD/ro" 2>"$TD/err" || rc=$?
		[ $rc = 1 ] && grep -q 'write to stdout: Bad file descriptor' "$TD/err" || t_fail "events 1<file: exit $rc" "$(cat "$TD/err")"
		[ "$(cat "$TD/ro")" = kept ] || t_fail "events 1<file changed the file"
		mkfifo "$TD/fifo"
		exec 8<>"$TD/fifo"
		rc=0; timeout 5 $ev 1<"$TD/fifo" 2>"$TD/err" || rc=$?
		local got=; read -r -t 0.3 -u 8 got || true
		exec 8<&-
		[ $rc = 1 ] && [ -z "$got" ] || t_fail "events 1<fifo: exit $rc, the pipe got \"${got:0:80}\"" "$(cat "$TD/err")"
		# A write error (a full file system), reported once.
		mkdir "$TD/full"
		mount -t tmpfs -o size=8k tmpfs "$TD/full"
		dd if=/dev/zero of="$TD/full/fill" bs=4k count=2 2>/dev/null || true
		rc=0; timeout 5 $ev >"$TD/full/out" 2>"$TD/err" || rc=$?
		umount "$TD/full"
		[ $rc = 1 ] && [ "$(cat "$TD/err")" = "berth: events: write to stdout: No space left on device" ] \
			|| t_fail "events >full: exit $rc" "$(cat "$TD/err")"
	fi
	rt_ok kill "$id" KILL; wait_status "$id" stopped; rt_ok delete "$id"
	wait_monitor_gone
}

# EVENTS_ONLY="t_stats_shape t_oom_event": run only these (e.g. a focused subset in the slow v2 VM).
run() { if [ -z "${EVENTS_ONLY:-}" ] || [[ " $EVENTS_ONLY " == *" $2 "* ]]; then t_run "$@"; fi; }
run "events --stats: shape, units, limits" t_stats_shape
run "events --stats: same key paths as runc" t_keys_match_runc berth_only
run "events: memory, cpu and pids grow under load" t_values_under_load
run "events: OOM event, stream ends with the container" t_oom_event
run "events --all: sees containers created later" t_all_sees_new berth_only
run "events: delete ends the stream cleanly" t_delete_ends_stream
run "events: bad input (unknown, stopped, bad interval)" t_bad_input berth_only
run "events: Go durations; monitor exits after the last client" t_intervals_and_monitor_exit
run "events: stdout a pipe, file, /dev/null (written by the monitor), terminal; errors" t_stdout_kinds
t_done
