#!/bin/bash
# Every runtime-spec area, run in a real container and checked from inside.
source "$(dirname "$0")/../lib/tap.sh"

# run_in BUNDLE SCRIPT: run `sh -c SCRIPT` in a fresh container from BUNDLE; must exit 0; output in RT_OUT.
run_in() {
	set_args "$1" sh -c "$2"
	rt_ok run --bundle "$1" "$(new_id)"
}
B() { B=$TD/b; make_bundle "$B"; }

t_env() {
	B; bundle_jq "$B" '.process.env += ["FOO=bar baz", "EMPTY="]'
	run_in "$B" 'echo "$FOO|${EMPTY-unset}|$PATH"'
	assert_eq "$RT_OUT" "bar baz||/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}
t_cwd() {
	B; mkdir -p "$B/rootfs/work/dir"; bundle_jq "$B" '.process.cwd = "/work/dir"'
	run_in "$B" pwd; assert_eq "$RT_OUT" /work/dir
}
t_cwd_created() {
	B; bundle_jq "$B" '.process.cwd = "/does/not/exist/yet"'
	run_in "$B" pwd; assert_eq "$RT_OUT" /does/not/exist/yet
}
t_user() {
	B; bundle_jq "$B" '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [5, 100, 2000]}'
	run_in "$B" 'id -u; id -g; id -G'
	assert_eq "$(sed -n 1p <<<"$RT_OUT")" 1000 uid
	assert_eq "$(sed -n 2p <<<"$RT_OUT")" 1001 gid
	assert_eq "$(sed -n 3p <<<"$RT_OUT" | tr ' ' '\n' | sort -n | tr '\n' ' ')" "5 100 1001 2000 " groups
}
t_umask() {
	B; bundle_jq "$B" '.process.user.umask = 63'   # 0077
	run_in "$B" 'umask; touch /tmp/f; stat -c %a /tmp/f'
	assert_eq "$(sed -n 1p <<<"$RT_OUT")" 0077 umask
	assert_eq "$(sed -n 2p <<<"$RT_OUT")" 600 "file mode"
}
t_rlimits() {
	B; bundle_jq "$B" '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654}, {"type": "RLIMIT_NPROC", "soft": 1000, "hard": 2000}]'
	run_in "$B" 'ulimit -n; ulimit -Hn; grep "Max processes" /proc/self/limits'
	assert_eq "$(sed -n 1p <<<"$RT_OUT")" 321 "soft nofile"
	assert_eq "$(sed -n 2p <<<"$RT_OUT")" 654 "hard nofile"
	assert_match "$(sed -n 3p <<<"$RT_OUT")" '1000 +2000' nproc
}
t_nnp() {
	B; bundle_jq "$B" '.process.noNewPrivileges = true'
	run_in "$B" 'grep NoNewPrivs /proc/self/status'
	assert_match "$RT_OUT" 'NoNewPrivs:[[:space:]]+1'
	bundle_jq "$B" '.process.noNewPrivileges = false'
	run_in "$B" 'grep NoNewPrivs /proc/self/status'
	assert_match "$RT_OUT" 'NoNewPrivs:[[:space:]]+0'
}
t_caps() {
	B
	# CAP_CHOWN (0), CAP_KILL (5), CAP_NET_ADMIN (12) = 0x1021
	bundle_jq "$B" '.process.capabilities = {"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_ADMIN"], "effective": ["CAP_CHOWN", "CAP_KILL"], "permitted": ["CAP_CHOWN", "CAP_KILL"], "inheritable": [], "ambient": []}'
	run_in "$B" 'grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status'
	assert_match "$RT_OUT" 'CapInh:[[:space:]]+0000000000000000'
	assert_match "$RT_OUT" 'CapPrm:[[:space:]]+0000000000000021'
	assert_match "$RT_OUT" 'CapEff:[[:space:]]+0000000000000021'
	assert_match "$RT_OUT" 'CapBnd:[[:space:]]+0000000000001021'
	assert_match "$RT_OUT" 'CapAmb:[[:space:]]+0000000000000000'
	# a dropped capability really is unusable: chown works, mknod (CAP_MKNOD) does not
	run_in "$B" 'touch /tmp/x; chown 1:1 /tmp/x && echo chown-ok; mknod /tmp/n c 1 3 2>/dev/null && echo mknod-ok; true'
	assert_eq "$RT_OUT" chown-ok
}
t_ambient() {
	B
	bundle_jq "$B" '.process.user = {"uid": 1000, "gid": 1000} | .process.capabilities = {"bounding": ["CAP_NET_BIND_SERVICE"], "effective": ["CAP_NET_BIND_SERVICE"], "permitted": ["CAP_NET_BIND_SERVICE"], "inheritable": ["CAP_NET_BIND_SERVICE"], "ambient": ["CAP_NET_BIND_SERVICE"]}'
	run_in "$B" 'grep -E "^Cap(Eff|Amb)" /proc/self/status'
	assert_match "$RT_OUT" 'CapEff:[[:space:]]+0000000000000400'
	assert_match "$RT_OUT" 'CapAmb:[[:space:]]+0000000000000400'
}
t_oom() {
	B; bundle_jq "$B" '.process.oomScoreAdj = 123'
	run_in "$B" 'cat /proc/self/oom_score_adj'; assert_eq "$RT_OUT" 123
}
t_hostname() {
	B; bundle_jq "$B" '.hostname = "berth-host" | .domainname = "berth.example"'
	run_in "$B" 'hostname; cat /proc/sys/kernel/domainname'
	assert_eq "$(sed -n 1p <<<"$RT_OUT")" berth-host hostname
	# runc 1.1 ignores .domainname (added in runc 1.2)
	[ "$T_RT_KIND" = runc ] || assert_eq "$(sed -n 2p <<<"$RT_OUT")" berth.example domainname
	assert_ne "$(hostname)" berth-host "host hostname untouched"
}
t_mount_tmpfs() {
	B; bundle_jq "$B" '.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "size=4m", "mode=1750"]}]'
	run_in "$B" 'stat -c %a /scratch; grep " /scratch " /proc/self/mountinfo; df -k /scratch | tail -1'
	assert_eq "$(sed -n 1p <<<"$RT_OUT")" 1750 mode
	assert_contains "$(sed -n 2p <<<"$RT_OUT")" "tmpfs"
	assert_match "$(sed -n 2p <<<"$RT_OUT")" 'nosuid' nosuid
	assert_match "$(sed -n 2p <<<"$RT_OUT")" 'size=4096k' size
}
t_mount_relative_dest() {
	# runtime-spec >= 1.1: a relative destination is relative to "/" (runc 1.1 refuses it).
	B; bundle_jq "$B" '.mounts += [{"destination": "relmnt", "type": "tmpfs", "source": "tmpfs"}]'
	run_in "$B" 'awk "\$5 == \"/relmnt\" { print \$5 }" /proc/self/mountinfo'
	assert_eq "$RT_OUT" /relmnt "relative destination mounted under /"
}
t_mount_bind_ro() {
	B; mkdir -p "$TD/host"; echo host-data >"$TD/host/file"
	bundle_jq "$B" --arg s "$TD/host" '.mounts += [{"destination": "/data", "type": "bind", "source": $s, "options": ["rbind", "ro"]}, {"destination": "/data-rw", "type": "bind", "source": $s, "options": ["bind"]}]'
	run_in "$B" 'cat /data/file; echo x > /data/new 2>/dev/null && echo WROTE; echo rw > /data-rw/new && echo rw-ok'
	assert_eq "$RT_OUT" "host-data"$'\n'"rw-ok"
	assert_eq "$(cat "$TD/host/new")" rw "rw bind writes through"
}
t_mount_proc_sys_mqueue() {
	B
	run_in "$B" 'for m in /proc /sys /dev/mqueue /dev/pts /dev/shm; do awk -v m=$m "\$5 == m { print m, \$(NF-2) }" /proc/self/mountinfo | tail -1; done'
	assert_contains "$RT_OUT" "/proc proc"
	assert_contains "$RT_OUT" "/sys sysfs"
	assert_contains "$RT_OUT" "/dev/mqueue mqueue"
	assert_contains "$RT_OUT" "/dev/pts devpts"
	assert_contains "$RT_OUT" "/dev/shm tmpfs"
	run_in "$B" 'echo $$; ls /proc | grep -c "^[0-9]"'
	assert_eq "$(sed -n 1p <<<"$RT_OUT")" 1 "pid 1 in a new pid namespace"
}
t_masked() {
	B
	mkdir -p "$B/rootfs/secret-dir"; echo secret >"$B/rootfs/secret-dir/f"; echo secret >"$B/rootfs/secret-file"
	bundle_jq "$B" '.linux.maskedPaths += ["/secret-dir", "/secret-file", "/proc/timer_list", "/does-not-exist"]'
	run_in "$B" 'wc -c < /secret-file; stat -c %t:%T /secret-file; ls -A /secret-dir | wc -l; touch /secret-dir/x 2>/dev/null && echo WROTE; wc -c < /proc/timer_list'
	assert_eq "$RT_OUT" "0"$'\n'"1:3"$'\n'"0"$'\n'"0" "masked file is /dev/null, masked dir is empty and read-only"
	assert_eq "$(cat "$B/rootfs/secret-file")" secret "rootfs file untouched"
}
t_readonly_paths() {
	B
	run_in "$B" 'echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo WROTE; grep " /proc/sys " /proc/self/mountinfo | awk "{print \$6}"'
	assert_match "$RT_OUT" '^ro,' "/proc/sys read-only"
}
t_root_readonly() {
	B; bundle_jq "$B" '.root.readonly = true'
	run_in "$B" 'touch /x 2>/dev/null && echo WROTE; touch /dev/shm/ok && echo tmpfs-ok; awk "\$5 == \"/\" {print \$6}" /proc/self/mountinfo | tail -1'
	assert_eq "$(sed -n 1p <<<"$RT_OUT")" tmpfs-ok
	assert_match "$(sed -n 2p <<<"$RT_OUT")" '^ro' "root mount ro"
}
# ns of the container (via state pid) compared with ours
t_namespaces_new() {
	B; local id; id=$(new_id)
	bundle_jq "$B" '.linux.namespaces = [{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"cgroup"}]'
	set_args "$B" sleep 100
	rt_ok run -d --bundle "$B" "$id"; rt_state "$id"
	local pid ns; pid=$(jq -r .pid <<<"$STATE")
	for ns in pid net ipc uts mnt cgroup; do
		assert_ne "$(readlink /proc/$pid/ns/$ns)" "$(readlink /proc/self/ns/$ns)" "$ns namespace is new"
	done
	assert_eq "$(readlink /proc/$pid/ns/user)" "$(readlink /proc/self/ns/user)" "user namespace shared"
	assert_eq "$(readlink /proc/$pid/ns/time)" "$(readlink /proc/self/ns/time)" "time namespace shared"
	rt_ok delete --force "$id"
}
t_loopback_up() {
	# As runc: a network namespace the container creates has lo up (127.0.0.1 works with no hook),
	# in a user namespace too (the init is root there).
	B; run_in "$B" 'ip -o link show lo'
	assert_contains "$RT_OUT" "LOOPBACK,UP" "lo in a new network namespace"
	chown -R 100000:100000 "$B/rootfs"
	bundle_jq "$B" '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] | .mounts = [.mounts[] | if .destination == "/sys" then {"destination": "/sys", "type": "none", "source": "/sys", "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]} else . end] | del(.linux.resources)'
	run_in "$B" 'ip -o link show lo'
	assert_contains "$RT_OUT" "LOOPBACK,UP" "lo in a new network namespace owned by a new user namespace"
}
t_namespaces_join() {
	B; local id1 id2; id1=$(new_id); id2=$(new_id)
	set_args "$B" sleep 100
	rt_ok run -d --bundle "$B" "$id1"; rt_state "$id1"
	local pid1; pid1=$(jq -r .pid <<<"$STATE")
	local b2=$TD/b2; make_bundle "$b2"; set_args "$b2" sleep 100
	bundle_jq "$b2" --arg p "/proc/$pid1/ns" '.linux.namespaces = [.linux.namespaces[] | if .type == "network" then .path = ($p + "/net") elif .type == "ipc" then .path = ($p + "/ipc") elif .type == "uts" then .path = ($p + "/uts") else . end]'
	rt_ok run -d --bundle "$b2" "$id2"; rt_state "$id2"
	local pid2; pid2=$(jq -r .pid <<<"$STATE")
	local ns
	for ns in net ipc uts; do assert_eq "$(readlink /proc/$pid2/ns/$ns)" "$(readlink /proc/$pid1/ns/$ns)" "$ns joined"; done
	for ns in pid mnt; do assert_ne "$(readlink /proc/$pid2/ns/$ns)" "$(readlink /proc/$pid1/ns/$ns)" "$ns separate"; done
	rt_ok delete --force "$id2"; rt_ok delete --force "$id1"
}
t_userns() {
	B
	chown -R 100000:100000 "$B/rootfs" 2>/dev/null || true
	bundle_jq "$B" '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] | .mounts = [.mounts[] | if .destination == "/sys" then {"destination": "/sys", "type": "none", "source": "/sys", "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]} else . end] | del(.linux.resources)'
	run_in "$B" 'cat /proc/self/uid_map /proc/self/gid_map; id -u'
	assert_match "$(sed -n 1p <<<"$RT_OUT")" '^ +0 +100000 +65536$' uid_map
	assert_match "$(sed -n 2p <<<"$RT_OUT")" '^ +0 +100000 +65536$' gid_map
	assert_eq "$(sed -n 3p <<<"$RT_OUT")" 0 "root inside"
}
t_devices() {
	B
	bundle_jq "$B" '.linux.devices = [{"path": "/dev/xyz", "type": "c", "major": 10, "minor": 229, "fileMode": 432, "uid": 0, "gid": 0}] | .linux.resources.devices += [{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rwm"}]'
	run_in "$B" 'stat -c "%F %t:%T %a" /dev/xyz; for d in null zero full random urandom tty; do stat -c "%n %t:%T" /dev/$d; done; for l in ptmx fd stdin stdout stderr; do readlink /dev/$l; done'
	assert_eq "$(sed -n 1p <<<"$RT_OUT")" "character special file a:e5 660" "/dev/xyz"
	assert_contains "$RT_OUT" "/dev/null 1:3"
	assert_contains "$RT_OUT" "/dev/zero 1:5"
	assert_contains "$RT_OUT" "/dev/full 1:7"
	assert_contains "$RT_OUT" "/dev/random 1:8"
	assert_contains "$RT_OUT" "/dev/urandom 1:9"
	assert_contains "$RT_OUT" "/dev/tty 5:0"
	assert_contains "$RT_OUT" "pts/ptmx"$'\n'"/proc/self/fd"$'\n'"/proc/self/fd/0"$'\n'"/proc/self/fd/1"$'\n'"/proc/self/fd/2"
}
t_sysctl() {
	B; bundle_jq "$B" '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "12345"}'
	local host_fwd; host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
	run_in "$B" 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax'
	assert_eq "$RT_OUT" "1"$'\n'"12345"
	assert_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$host_fwd" "host untouched"
}
t_personality() {
	B; bundle_jq "$B" '.linux.personality = {"domain": "LINUX32"}'
	run_in "$B" 'uname -m'; assert_match "$RT_OUT" '^i[3-6]86$'
}
t_annotations() {
	B; local id; id=$(new_id)
	bundle_jq "$B" '.annotations = {"org.example.key": "value", "x": "y z"}'
	rt_ok create --bundle "$B" "$id"; rt_state "$id"
	assert_eq "$(jq -c .annotations <<<"$STATE")" '{"org.example.key":"value","x":"y z"}'
	rt_ok delete --force "$id"
}
t_timens() {
	[ -e /proc/self/ns/time ] || t_skip "no time namespaces"
	B; bundle_jq "$B" '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"boottime": {"secs": 86400, "nanosecs": 0}, "monotonic": {"secs": 3600, "nanosecs": 0}}'
	local host; host=$(cut -d. -f1 /proc/uptime)
	run_in "$B" 'cut -d. -f1 /proc/uptime'
	local diff=$((RT_OUT - host))
	[ "$diff" -ge 86390 ] && [ "$diff" -le 86500 ] || t_fail "uptime shifted by $diff s, expected ~86400"
}
t_terminal() {
	[ -x "${RECVTTY:-}" ] || t_skip "RECVTTY not built"
	B; local id; id=$(new_id)
	bundle_jq "$B" '.process.terminal = true | .process.consoleSize = {"height": 33, "width": 101}'
	set_args "$B" sh -c 'read line; echo "got:$line"; tty; stty size; readlink /dev/console >/dev/null; ls -l /dev/console | cut -c1'
	local sock=$TD/console.sock
	"$RECVTTY" "$sock" $'hello\n' >"$TD/tty.out" 2>"$TD/tty.err" &
	local rpid=$!
	local i=0; while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
	rt_ok create --console-socket "$sock" --bundle "$B" "$id"; rt_state "$id"
	rt_ok start "$id"
	wait_status "$id" stopped 10
	wait "$rpid" || t_fail "recvtty failed: $(cat "$TD/tty.err")"
	local out; out=$(tr -d '\r' <"$TD/tty.out")
	assert_contains "$out" "got:hello" "input via the pty"
	assert_match "$out" '/dev/(pts/[0-9]+|console)' "tty"
	assert_contains "$out" "33 101" "consoleSize"
	rt_ok delete "$id"
}
t_terminal_run_script() {
	B; bundle_jq "$B" '.process.terminal = true'
	set_args "$B" sh -c 'tty; exit 4'
	local rc=0
	script -qec "$(printf '%q ' "$BERTH" --root "$T_ROOT" run --bundle "$B" "$(new_id)")" /dev/null >"$TD/out" </dev/null || rc=$?
	assert_eq "$rc" 4 "exit status through the terminal"
	assert_match "$(tr -d '\r' <"$TD/out")" '/dev/(pts/[0-9]+|console)'
}

t_run "process.env" t_env
t_run "process.cwd" t_cwd
t_run "relative mount destination is relative to / (runtime-spec 1.1)" t_mount_relative_dest berth_only
t_run "process.cwd is created when missing" t_cwd_created
t_run "process.user uid/gid/additionalGids" t_user
t_run "process.user.umask" t_umask
t_run "process.rlimits" t_rlimits
t_run "process.noNewPrivileges" t_nnp
t_run "process.capabilities (all sets)" t_caps
t_run "ambient capabilities for a non-root user" t_ambient
t_run "process.oomScoreAdj" t_oom
t_run "hostname and domainname" t_hostname
t_run "tmpfs mount with size/mode/options" t_mount_tmpfs
t_run "bind mounts ro and rw" t_mount_bind_ro
t_run "proc, sysfs, mqueue, devpts, shm mounts" t_mount_proc_sys_mqueue
t_run "maskedPaths" t_masked
t_run "readonlyPaths" t_readonly_paths
t_run "root.readonly" t_root_readonly
t_run "new namespaces differ from the host's" t_namespaces_new
t_run "namespaces joined by path" t_namespaces_join
t_run "a new network namespace has lo up (as runc)" t_loopback_up
t_run "user namespace with uid/gid mappings" t_userns
t_run "devices, default devices and /dev symlinks" t_devices
t_run "sysctl in a new network namespace" t_sysctl
t_run "personality LINUX32 (runc 1.1 lacks it)" t_personality berth_only
t_run "annotations in state" t_annotations
t_run "time namespace offsets (runc 1.1 lacks them)" t_timens berth_only
t_run "process.terminal with --console-socket" t_terminal
t_run "foreground run with a terminal (script)" t_terminal_run_script needs:script
t_done
