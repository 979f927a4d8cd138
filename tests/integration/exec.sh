#!/bin/bash
# exec: every runc flag, exit status propagation, the namespaces and cgroup it joins, errors.
source "$(dirname "$0")/../lib/tap.sh"

# A running container (sleep) whose id is in $ID and bundle in $B.
start_container() {
	B=$TD/c; ID=$(new_id)
	make_bundle "$B"
	set_args "$B" sleep 1000
	bundle_jq "$B" '.root.readonly = false'
	[ $# -gt 0 ] && bundle_jq "$B" "$@"
	rt_ok run -d --bundle "$B" "$ID"
	rt_state "$ID"
	INIT=$(jq -r .pid <<<"$STATE")
}
stop_container() { rt_ok delete -f "$ID"; }
status_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

t_exit_status() {
	start_container
	run_rt exec "$ID" sh -c 'echo out; echo err >&2; exit 7'
	assert_eq "$RT_RC" 7 "exit status"
	assert_eq "$RT_OUT" out stdout
	assert_eq "$RT_ERR" err stderr
	run_rt exec "$ID" sh -c 'kill -TERM $$'
	assert_eq "$RT_RC" 143 "killed by SIGTERM = 128 + 15"
	run_rt exec "$ID" true
	assert_eq "$RT_RC" 0 "true"
	stop_container
}

t_process_file() {
	start_container
	jq -n '{args: ["sh", "-c", "echo $FOO:$(pwd):$(id -u):$(id -g)"], env: ["FOO=from-process-json", "PATH=/bin:/usr/bin"],
		cwd: "/etc", user: {uid: 1234, gid: 4321}, terminal: false}' >"$TD/process.json"
	rt_ok exec --process "$TD/process.json" "$ID"
	assert_eq "$RT_OUT" "from-process-json:/etc:1234:4321" "process.json applied"
	echo '{"args": []}' >"$TD/bad.json"
	assert_fails_with "args" exec --process "$TD/bad.json" "$ID"
	assert_fails_with "process" exec --process "$TD/missing.json" "$ID"
	stop_container
}

t_tty_console_socket() {
	command -v python3 >/dev/null || t_skip "python3 not installed"
	start_container
	local sock=$TD/console.sock
	python3 "$T_LIB_DIR/console-recv.py" "$sock" >"$TD/tty.out" 2>"$TD/tty.err" &
	local recv=$!
	local i=0; while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	run_rt exec -t --console-socket "$sock" "$ID" sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo interactive; exit 3'
	assert_eq "$RT_RC" 3 "exit status (stderr: $RT_ERR)"
	wait "$recv" || t_fail "console receiver failed: $(cat "$TD/tty.err")"
	assert_match "$(tr -d '\r' <"$TD/tty.out")" "/dev/pts/[0-9]+" "tty inside"
	assert_contains "$(cat "$TD/tty.out")" interactive "stdin and stdout are the terminal"
	# --detach --tty needs a console socket.
	assert_fails_with "console-socket" exec -d -t "$ID" true
	stop_container
}

t_tty_exit_status() {
	command -v python3 >/dev/null || t_skip "python3 not installed"
	start_container
	local sock=$TD/console.sock
	python3 "$T_LIB_DIR/console-recv.py" "$sock" >/dev/null 2>&1 &
	local i=0; while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	run_rt exec -t --console-socket "$sock" "$ID" sh -c 'exit 5'
	assert_eq "$RT_RC" 5 "exit status through a terminal exec"
	wait
	stop_container
}

t_detach_pid_file() {
	start_container
	rt_ok exec -d --pid-file "$TD/exec.pid" "$ID" sleep 1000
	assert_file "$TD/exec.pid"
	local pid; pid=$(cat "$TD/exec.pid")
	assert_match "$pid" '^[0-9]+$' "pid file holds a bare pid"
	track_pid "$pid"
	assert_eq "$(awk '{ print $3 }' "/proc/$pid/stat" | tr -d ' ')" S "exec'd process is alive"
	assert_contains "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "sleep 1000"
	# Relative pid file: against the caller's cwd (runc).
	(cd "$TD" && "$BERTH" --root "$T_ROOT" exec -d --pid-file rel.pid "$ID" true) || t_fail "relative --pid-file"
	assert_file "$TD/rel.pid"
	stop_container
	local i=0; while [ -d "/proc/$pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	assert_no_file "/proc/$pid" "exec'd process killed by delete -f"
}

t_cwd_env() {
	start_container
	rt_ok exec --cwd /etc --env FOO=bar -e BAZ=qux=1 "$ID" sh -c 'echo "$(pwd) $FOO $BAZ"'
	assert_eq "$RT_OUT" "/etc bar qux=1"
	# The container's own environment is kept (PATH from config.json).
	rt_ok exec "$ID" sh -c 'echo $PATH'
	assert_eq "$RT_OUT" "$(jq -r '.process.env[] | select(startswith("PATH=")) | sub("^PATH="; "")' "$B/config.json")"
	assert_fails_with "cwd" exec --cwd relative "$ID" true
	assert_fails_with "env" exec --env NOEQUALS "$ID" true
	run_rt exec --cwd /nonexistent "$ID" true
	assert_ne "$RT_RC" 0 "--cwd to a missing dir"
	stop_container
}

# Option values are bytes, as to runc: in the C locale (how containerd and podman run a runtime) a
# non-ASCII or non-UTF-8 value is passed through, not refused ("Invalid byte sequence in conversion
# input" from GLib's locale conversion of string options, which named no option). runc passes the
# UTF-8 ones too; its JSON round trip of the process turns \xff into U+FFFD, berth keeps the byte.
t_non_ascii_args() {
	start_container
	rt_ok exec "$ID" mkdir -p "/tmp/dir-ü"
	LC_ALL=C LANG= rt_ok exec --cwd "/tmp/dir-ü" --env "U=ü" --env $'RAW=\xff' "$ID" \
		sh -c 'printf "%s|%s|%s" "$(pwd)" "$U" "$RAW" | od -An -tx1 | tr -d " \n"'
	assert_eq "$RT_OUT" "$(printf '%s|%s|%s' "/tmp/dir-ü" "ü" $'\xff' | od -An -tx1 | tr -d ' \n')" "bytes in the container"
	stop_container
}

t_user_groups() {
	start_container
	rt_ok exec --user 1000:1001 "$ID" sh -c 'echo $(id -u) $(id -g)'
	assert_eq "$RT_OUT" "1000 1001" "--user uid:gid"
	rt_ok exec -u 1000 "$ID" sh -c 'echo $(id -u) $(id -g)'
	assert_eq "$RT_OUT" "1000 0" "--user uid (gid 0)"
	rt_ok exec --user 1000:1000 --additional-gids 10 -g 20 "$ID" awk '/^Groups:/ { $1 = ""; print }' /proc/self/status
	assert_eq "$(echo $RT_OUT)" "10 20" "--additional-gids"
	assert_fails_with "user" exec --user nobody:x "$ID" true
	stop_container
}

t_caps() {
	start_container
	local sysadmin=$((1 << 21))
	rt_ok exec "$ID" cat /proc/self/status
	local eff; eff=$(awk '/^CapEff:/ { print $2 }' <<<"$RT_OUT")
	[ $((0x$eff & sysadmin)) = 0 ] || t_fail "CAP_SYS_ADMIN without --cap ($eff)"
	rt_ok exec --cap CAP_SYS_ADMIN -c CAP_NET_ADMIN "$ID" cat /proc/self/status
	eff=$(awk '/^CapEff:/ { print $2 }' <<<"$RT_OUT")
	local bnd; bnd=$(awk '/^CapBnd:/ { print $2 }' <<<"$RT_OUT")
	local inh; inh=$(awk '/^CapInh:/ { print $2 }' <<<"$RT_OUT")
	[ $((0x$eff & sysadmin)) != 0 ] || t_fail "CAP_SYS_ADMIN not effective with --cap ($eff)"
	[ $((0x$eff & (1 << 12))) != 0 ] || t_fail "CAP_NET_ADMIN not effective with -c ($eff)"
	[ $((0x$bnd & sysadmin)) != 0 ] || t_fail "CAP_SYS_ADMIN not in the bounding set ($bnd)"
	[ $((0x$inh & sysadmin)) = 0 ] || t_fail "--cap must not add inheritable (CVE-2022-29162): $inh"
	# Not inherited through execve by an unprivileged user either.
	rt_ok exec --cap CAP_SYS_ADMIN --user 1000:1000 "$ID" cat /proc/self/status
	eff=$(awk '/^CapEff:/ { print $2 }' <<<"$RT_OUT")
	assert_eq "$eff" 0000000000000000 "non-root exec has no effective caps"
	assert_fails_with "CAP_NOPE" exec --cap CAP_NOPE "$ID" true
	stop_container
}

t_no_new_privs() {
	start_container '.process.noNewPrivileges = false'
	rt_ok exec "$ID" cat /proc/self/status
	assert_eq "$(awk '/^NoNewPrivs:/ { print $2 }' <<<"$RT_OUT")" 0 "NoNewPrivs without the flag"
	rt_ok exec --no-new-privs "$ID" cat /proc/self/status
	assert_eq "$(awk '/^NoNewPrivs:/ { print $2 }' <<<"$RT_OUT")" 1 "NoNewPrivs with --no-new-privs"
	stop_container
}

t_preserve_fds() {
	start_container
	echo three >"$TD/f3"; echo four >"$TD/f4"; echo five >"$TD/f5"
	local out rc=0
	out=$("$BERTH" --root "$T_ROOT" exec --preserve-fds 2 "$ID" \
		sh -c 'cat <&3; cat <&4; if [ -e /proc/self/fd/5 ]; then echo fd5-leaked; fi' 3<"$TD/f3" 4<"$TD/f4" 5<"$TD/f5" </dev/null) || rc=$?
	assert_eq "$rc" 0 "exit status"
	assert_eq "$out" "three
four" "fds 3 and 4 passed, 5 not"
	out=$("$BERTH" --root "$T_ROOT" exec "$ID" sh -c 'ls /proc/self/fd | tr "\n" " "' 3<"$TD/f3" </dev/null)
	assert_eq "$out" "0 1 2 3 " "without --preserve-fds only stdio (3 = ls's own dir fd)"
	assert_fails_with "preserve-fds" exec --preserve-fds -1 "$ID" true
	stop_container
}

t_namespaces_joined() {
	start_container '.linux.namespaces += [{type: "cgroup"}]'
	rt_ok exec -d --pid-file "$TD/e.pid" "$ID" sleep 1000
	local pid; pid=$(cat "$TD/e.pid"); track_pid "$pid"
	local ns a c n=0
	for ns in ipc mnt net pid uts cgroup user time pid_for_children time_for_children; do
		[ -e "/proc/$INIT/ns/$ns" ] || continue
		a=$(readlink "/proc/$INIT/ns/$ns"); c=$(readlink "/proc/$pid/ns/$ns")
		assert_eq "$c" "$a" "exec'd process's $ns namespace"
		n=$((n + 1))
	done
	[ $n -ge 8 ] || t_fail "only $n namespaces compared"
	# The container's namespaces are not the host's.
	for ns in ipc mnt net pid uts cgroup; do
		assert_ne "$(readlink "/proc/$pid/ns/$ns")" "$(readlink "/proc/self/ns/$ns")" "$ns differs from the host"
	done
	assert_eq "$(cat "/proc/$pid/cgroup")" "$(cat "/proc/$INIT/cgroup")" "same cgroups as the init"
	assert_eq "$(readlink "/proc/$pid/root")" "$(readlink "/proc/$INIT/root")" "same root"
	# Inside: pid 1 is the container's init.
	rt_ok exec "$ID" sh -c 'tr "\0" " " </proc/1/cmdline'
	assert_eq "$RT_OUT" "sleep 1000 " "pid 1 seen from the exec'd process"
	stop_container
}

t_user_namespace_joined() {
	[ -e /proc/self/ns/user ] || t_skip "no user namespaces"
	# The mapped root (host uid 100000) must reach the rootfs.
	chmod 755 "$T_WORK" "$TD"
	start_container '.linux.namespaces += [{type: "user"}] | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}] | .mounts |= map(select(.destination | startswith("/sys") | not))'
	rt_ok exec -d --pid-file "$TD/e.pid" "$ID" sleep 1000
	local pid; pid=$(cat "$TD/e.pid"); track_pid "$pid"
	assert_eq "$(readlink "/proc/$pid/ns/user")" "$(readlink "/proc/$INIT/ns/user")" "user namespace"
	assert_eq "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" 100000 "host uid of container root"
	stop_container
}

# exec --cgroup (runc's semantics): PATH for every hierarchy, or CONTROLLER[,CONTROLLER]:PATH; always a
# sub-cgroup of the container's, which must exist. Checked from the host in /proc/PID/cgroup.
is_cgroup_v2() { [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; }
# exec_cgroup_line PID CONTROLLER: the cgroup path of PID in the hierarchy of CONTROLLER ("" = v2/unified).
exec_cgroup_line() {
	if [ -z "$2" ]; then awk -F: '$1 == "0" { print $3 }' "/proc/$1/cgroup"
	else awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup"; fi
}
# make_sub_cgroups CGPATH NAME...: the sub-cgroups in every hierarchy, as whoever creates them must
# (a v1 cpuset cgroup takes no process before its cpus and mems are set).
make_sub_cgroups() {
	local cg=$1 m d f; shift
	for m in $(t_cgroup_mounts); do
		[ -d "$m$cg" ] || continue
		for d in "$@"; do
			mkdir -p "$m$cg/$d"
			for f in cpuset.cpus cpuset.mems; do
				[ -e "$m$cg/$d/$f" ] && ! is_cgroup_v2 && cat "$(dirname "$m$cg/$d")/$f" >"$m$cg/$d/$f"
			done
		done
	done
	return 0
}
# exec_in_cgroup ARGS...: exec -d sleep with ARGS, pid in EPID.
exec_in_cgroup() {
	rm -f "$TD/e.pid"
	rt_ok exec -d --pid-file "$TD/e.pid" "$@" "$ID" sleep 1000
	EPID=$(cat "$TD/e.pid"); track_pid "$EPID"
}

t_exec_sub_cgroup() {
	start_container
	local cg ctrl arg; cg=$(jq -r .linux.cgroupsPath "$B/config.json")
	make_sub_cgroups "$cg" sub sub/deeper other
	# One PATH: every hierarchy (a leading / is still below the container's cgroup).
	for arg in sub /sub; do
		exec_in_cgroup --cgroup "$arg"
		if is_cgroup_v2; then
			assert_eq "$(exec_cgroup_line "$EPID" "")" "$cg/sub" "v2 cgroup of exec --cgroup $arg"
		else
			for ctrl in memory pids cpu freezer; do
				assert_eq "$(exec_cgroup_line "$EPID" "$ctrl")" "$cg/sub" "$ctrl cgroup of exec --cgroup $arg"
			done
			[ -d "/sys/fs/cgroup/unified$cg" ] && assert_eq "$(exec_cgroup_line "$EPID" "")" "$cg/sub" "unified cgroup"
		fi
		kill -KILL "$EPID"
	done
	exec_in_cgroup --cgroup sub/deeper
	assert_eq "$(exec_cgroup_line "$EPID" "$(is_cgroup_v2 || echo memory)")" "$cg/sub/deeper" "nested sub-cgroup"
	kill -KILL "$EPID"
	if is_cgroup_v2; then
		# One hierarchy: a controller prefix names it too (pids is enabled in the container's cgroup).
		exec_in_cgroup --cgroup pids:sub
		assert_eq "$(exec_cgroup_line "$EPID" "")" "$cg/sub" "v2: pids:sub"
		kill -KILL "$EPID"
	else
		# Per controller; the others stay in the container's cgroup.
		exec_in_cgroup --cgroup memory:sub --cgroup pids,cpu:other
		assert_eq "$(exec_cgroup_line "$EPID" memory)" "$cg/sub" "memory:sub"
		assert_eq "$(exec_cgroup_line "$EPID" pids)" "$cg/other" "pids,cpu:other (pids)"
		assert_eq "$(exec_cgroup_line "$EPID" cpu)" "$cg/other" "pids,cpu:other (cpu)"
		assert_eq "$(exec_cgroup_line "$EPID" freezer)" "$cg" "freezer not named: the container's cgroup"
		kill -KILL "$EPID"
	fi
	# Without --cgroup: the container's own cgroup.
	exec_in_cgroup
	assert_eq "$(cat "/proc/$EPID/cgroup")" "$(cat "/proc/$INIT/cgroup")" "no --cgroup: same cgroups as the init"
	kill -KILL "$EPID"
	stop_container # removes the sub-cgroups with the container's
}

t_exec_sub_cgroup_errors() {
	start_container
	local cg; cg=$(jq -r .linux.cgroupsPath "$B/config.json")
	make_sub_cgroups "$cg" sub
	assert_fails_with 'must not contain ".."' exec --cgroup ../escape "$ID" true
	assert_fails_with 'must not contain ".."' exec --cgroup sub/../../escape "$ID" true
	assert_fails_with 'must not contain ".."' exec --cgroup memory:.. "$ID" true
	assert_fails_with "names no cgroup" exec --cgroup / "$ID" true
	assert_fails_with "no sub-cgroup .*/nosuch" exec --cgroup nosuch "$ID" true
	assert_fails_with "expected PATH or CONTROLLER" exec --cgroup a:b:c "$ID" true
	assert_fails_with "CONTROLLER: prefix" exec --cgroup sub --cgroup other "$ID" true
	assert_fails_with 'no "bogus" cgroup controller' exec --cgroup bogus:sub "$ID" true
	assert_fails_with "empty controller" exec --cgroup ,memory:sub "$ID" true
	assert_fails_with 'controller "pids" given two paths' exec --cgroup pids:sub --cgroup pids:other "$ID" true
	# Nothing ran: only the init is in the container's cgroup and the sub-cgroup stays empty.
	local m2; m2=$(is_cgroup_v2 && echo /sys/fs/cgroup || echo /sys/fs/cgroup/pids)
	assert_eq "$(cat "$m2$cg/sub/cgroup.procs")" "" "no process left in the sub-cgroup"
	assert_eq "$(cat "$m2$cg/cgroup.procs")" "$INIT" "only the init in the container's cgroup"
	stop_container
}

t_errors() {
	local b=$TD/b id; id=$(new_id)
	make_bundle "$b"
	set_args "$b" true
	rt_ok create --bundle "$b" "$id"
	rt_ok start "$id"
	wait_status "$id" stopped 10
	# Exit status as runc: 255 for a failure once the arguments parse (a process can exit 1).
	assert_fails_with "stopped" exec "$id" true
	assert_eq "$RT_RC" 255 "exit status of exec in a stopped container"
	rt_ok delete "$id"
	assert_fails_with "does not exist" exec nosuchcontainer true
	assert_eq "$RT_RC" 255 "exit status of exec in a missing container"
	start_container
	assert_fails_with "command|args" exec "$ID"
	assert_eq "$RT_RC" 255 "exit status of exec without a command"
	run_rt exec "$ID" /nonexistent/binary
	assert_eq "$RT_RC" 255 "exit status of exec of a missing binary"
	assert_contains "$RT_ERR" "/nonexistent/binary" "error names the binary"
	stop_container
}

t_run "exit status and stdio propagate" t_exit_status
t_run "--process FILE" t_process_file
t_run "--tty with --console-socket" t_tty_console_socket
t_run "--tty: exit status propagates" t_tty_exit_status
t_run "--detach with --pid-file" t_detach_pid_file
t_run "--cwd and --env" t_cwd_env
t_run "non-ASCII and non-UTF-8 option values in the C locale" t_non_ascii_args
t_run "--user uid:gid and --additional-gids" t_user_groups
t_run "--cap adds to bounding/effective/permitted, never inheritable" t_caps
t_run "--no-new-privs" t_no_new_privs
t_run "--preserve-fds" t_preserve_fds
t_run "exec joins every namespace and the cgroup of the container" t_namespaces_joined
t_run "exec joins the container's user namespace" t_user_namespace_joined
t_run "--cgroup PATH and CONTROLLER:PATH place the process in a sub-cgroup" t_exec_sub_cgroup
t_run "--cgroup errors: .. escape, missing sub-cgroup, bad syntax, unknown controller" t_exec_sub_cgroup_errors
t_run "errors: stopped, unknown, missing command, missing binary" t_errors
t_done
