#!/bin/bash
# Nested: berth running as root inside a user namespace (as inside a user-namespaced container).
# Two long-lived "holder" namespaces (user + mount), entered by every berth call through nsenter:
#   * wide: uid/gid 0-65535 mapped (like a container with a 65536-id range);
#   * single: only id 0 mapped (like `unshare -r`).
# In them mknod is EPERM (host devices are bind-mounted), device-cgroup writes are not allowed
# (berth detects the user namespace and skips them), sysfs without an own network namespace
# needs a bind fallback; a busybox container must still run and the lifecycle work.
source "$(dirname "$0")/../lib/tap.sh"

T_REAL_BERTH=$BERTH
T_HOLDERS=()
chmod 711 "$T_WORK"   # a container root mapped to another id must reach its bundle

# start_holder MAP: a user+mount namespace whose uid/gid map is MAP, kept by a sleeping process;
# its pid in T_HOLDER.
start_holder() {
	local map=$1 pid
	unshare -Um --propagation private sleep infinity </dev/null >/dev/null 2>&1 &
	pid=$!
	local i=0
	while [ "$(readlink "/proc/$pid/ns/user")" = "$(readlink /proc/self/ns/user)" ] && [ $i -lt 200 ]; do
		sleep 0.01; i=$((i + 1))
	done
	echo "$map" >"/proc/$pid/uid_map" && echo "$map" >"/proc/$pid/gid_map" || bail "cannot map holder $pid"
	T_HOLDERS+=("$pid")
	T_HOLDER=$pid
}
# in_ns HOLDER CMD...: CMD as root of the holder's namespaces, in the same cwd.
in_ns() {
	local h=$1; shift
	nsenter -t "$h" -U -m -- /bin/sh -c 'cd "$0" && exec "$@"' "$PWD" "$@"
}
nested_cleanup() {
	t_cleanup_all
	local h; for h in "${T_HOLDERS[@]}"; do kill "$h" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap nested_cleanup EXIT

start_holder "0 0 65536"; T_WIDE=$T_HOLDER
start_holder "0 0 1"; T_SINGLE=$T_HOLDER

# A wrapper so tap.sh's helpers (run_rt, leak check) talk to berth inside the wide namespace.
make_wrapper() { # NAME HOLDER
	cat >"$T_WORK/$1" <<EOF
#!/bin/sh
exec nsenter -t $2 -U -m -- /bin/sh -c 'cd "\$0" && exec "\$@"' "\$PWD" "$T_REAL_BERTH" "\$@"
EOF
	chmod 755 "$T_WORK/$1"
}
make_wrapper berth-nested "$T_WIDE"
make_wrapper berth-nested-single "$T_SINGLE"
BERTH=$T_WORK/berth-nested

wait_file() { local i=0; while [ ! -e "$1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; [ -e "$1" ] || t_fail "$1 did not appear"; }

t_namespace_is_nested() {
	local m
	m=$(in_ns "$T_WIDE" cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //')
	assert_eq "$m" "0 0 65536" "holder uid_map"
	# mknod really is refused there (so the device fallback is exercised).
	local rc=0
	in_ns "$T_WIDE" mknod "$TD/null" c 1 3 2>/dev/null || rc=$?
	assert_ne "$rc" 0 "mknod in the nested user namespace"
}

t_default_spec_runs() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sh -c 'id -u; stat -c "%F %t:%T" /dev/null /dev/zero /dev/tty; echo x > /dev/null && head -c 3 /dev/zero | wc -c;
		cat /proc/self/uid_map; ls /sys/class >/dev/null && echo sys-ok; hostname'
	bundle_jq "$b" '.hostname = "nested"'
	rt_ok run --bundle "$b" "$id"
	local out; out=$(tr -s ' ' <<<"$RT_OUT" | sed 's/^ //')
	assert_eq "$out" "$(printf '0\ncharacter special file 1:3\ncharacter special file 1:5\ncharacter special file 5:0\n3\n0 0 65536\nsys-ok\nnested')"
}

t_cgroup_resources_nested() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	local cg; cg=$(jq -r .linux.cgroupsPath "$b/config.json")
	bundle_jq "$b" '.linux.resources.pids = {limit: 42} | .root.readonly = false'
	set_args "$b" sh -c 'echo > /tmp/up; sleep 100'
	rt_ok run -d --bundle "$b" "$id"
	rt_state "$id"
	wait_file "$b/rootfs/tmp/up"
	[ -d "/sys/fs/cgroup/pids$cg" ] || t_skip "no v1 pids hierarchy"
	assert_eq "$(cat "/sys/fs/cgroup/pids$cg/pids.max")" 42 "pids.max set from inside the user namespace"
	# Device rules need CAP_SYS_ADMIN in the initial namespace: berth leaves them (no EPERM failure).
	if [ -e "/sys/fs/cgroup/devices$cg/devices.list" ]; then
		assert_eq "$(cat "/sys/fs/cgroup/devices$cg/devices.list")" "a *:* rwm" "devices cgroup untouched"
	fi
	rt_ok delete -f "$id"
	[ ! -d "/sys/fs/cgroup/pids$cg" ] || t_fail "cgroup left: $cg"
}

t_lifecycle_nested() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	set_args "$b" sh -c 'sleep 101 & echo > /tmp/up; wait'
	bundle_jq "$b" '.root.readonly = false'
	rt_ok create --bundle "$b" "$id"
	rt_state "$id"
	assert_eq "$(jq -r .status <<<"$STATE")" created
	rt_ok start "$id"
	wait_file "$b/rootfs/tmp/up"
	rt_ok exec "$id" sh -c 'echo exec-ok; id -u'
	assert_eq "$RT_OUT" "$(printf 'exec-ok\n0')"
	rt_ok ps --format json "$id"
	assert_eq "$(jq length <<<"$RT_OUT")" 2 "ps: $RT_OUT"
	rt_ok pause "$id"
	rt_state "$id"
	assert_eq "$(jq -r .status <<<"$STATE")" paused
	rt_ok resume "$id"
	rt_ok kill --all "$id" KILL
	wait_status "$id" stopped 10
	rt_ok delete "$id"
	rt_fails state "$id"
}

t_no_netns_sysfs_fallback() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	# Without an own network namespace, sysfs cannot be mounted in a user namespace: bind fallback.
	bundle_jq "$b" '.linux.namespaces |= map(select(.type != "network"))'
	set_args "$b" sh -c 'ls /sys/class/net >/dev/null && echo sys-ok; ls /proc/self/ns/net >/dev/null && echo proc-ok'
	rt_ok run --bundle "$b" "$id"
	assert_eq "$RT_OUT" "$(printf 'sys-ok\nproc-ok')"
}

t_userns_container_nested() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	# A container with its own user namespace, mapping ids of the nested namespace (root writes the
	# maps directly there: no newuidmap).
	bundle_jq "$b" '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 1000, size: 2000}]
		| .linux.gidMappings = [{containerID: 0, hostID: 1000, size: 2000}]
		| .mounts |= map(if .destination == "/dev/pts" then .options |= map(select(startswith("gid=") | not)) else . end)'
	chown -R 1000:1000 "$b/rootfs"
	chown 1100:1100 "$b/rootfs/etc/hostname"
	set_args "$b" sh -c 'cat /proc/self/uid_map; stat -c "%u" /etc/hostname'
	rt_ok run --bundle "$b" "$id"
	assert_eq "$(tr -s ' ' <<<"$RT_OUT" | sed 's/^ //')" "$(printf '0 1000 2000\n100')"
	chown -R 0:0 "$b/rootfs"
}

t_unmapped_host_ids() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	bundle_jq "$b" '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 10}]
		| .linux.gidMappings = [{containerID: 0, hostID: 0, size: 10}]'
	assert_fails_with 'uidMappings: write uid_map \(berth runs in a user namespace: every host id must be mapped in /proc/self/uid_map\)' \
		run --bundle "$b" "$id"
}

t_single_map_rootless_spec() {
	local b=$TD/b id; id=$(new_id)
	mkdir -p "$b"
	"$T_LIB_DIR/make-rootfs.sh" "$b/rootfs" >/dev/null
	local single=$T_WORK/berth-nested-single
	(cd "$b" && "$single" spec --rootless) || t_fail "spec --rootless in the single-id namespace"
	assert_eq "$(jq -c .linux.uidMappings "$b/config.json")" '[{"containerID":0,"hostID":0,"size":1}]'
	bundle_jq "$b" '.process.terminal = false | .process.args = ["sh", "-c", "id -u; stat -c %t:%T /dev/null"]'
	local out rc=0
	out=$("$single" --root "$T_ROOT" run --bundle "$b" "$id" 2>"$TD/err") || rc=$?
	assert_eq "$rc" 0 "run in the single-id namespace: $(cat "$TD/err")"
	assert_eq "$out" "$(printf '0\n1:3')"
}

t_run "the holder is a user namespace where mknod fails" t_namespace_is_nested
t_run "default spec runs nested: host devices bound, /proc and /sys, hostname" t_default_spec_runs
t_run "cgroup resources applied nested, device rules skipped" t_cgroup_resources_nested
t_run "create/start/exec/ps/pause/resume/kill --all/delete nested" t_lifecycle_nested
t_run "no network namespace: sysfs bind fallback" t_no_netns_sysfs_fallback
t_run "a user-namespaced container inside the nested namespace" t_userns_container_nested
t_run "host ids not mapped in the nested namespace: clear error, nothing left" t_unmapped_host_ids
t_run "single-id namespace (unshare -r style): spec --rootless runs" t_single_map_rootless_spec
t_done
