#!/bin/bash
# Rootless: every berth command run AS an unprivileged user (the test itself runs as root, creates
# the user and its /etc/subuid, /etc/subgid ranges idempotently, and runs berth through setpriv).
#   * single-ID mapping (no subordinate ids), state under $XDG_RUNTIME_DIR/berth;
#   * create/start/exec/kill/delete/list/state/ps/pause/resume/run -d;
#   * multi-range mapping through newuidmap/newgidmap: files owned by several uids visible with the
#     right owners inside;
#   * bad input (no subuid entry, range not delegated, overlapping ranges): one clear line, nothing left;
#   * cgroups: on a v1/hybrid host none (one warning); on v2 with a delegated subtree, limits work.
# Env: BERTH_TEST_USER (default berthtest, subuid/subgid 200000:65536), BERTH_TEST_USER2 (default
# berthtest2, deliberately without subuid/subgid entries).
source "$(dirname "$0")/../lib/tap.sh"

T_USER=${BERTH_TEST_USER:-berthtest}
T_USER2=${BERTH_TEST_USER2:-berthtest2}
T_SUBID_START=200000
T_SUBID_COUNT=65536

# ------------------------------------------------------------------------------------------- setup
# Idempotent: the users exist, T_USER has exactly our range, T_USER2 has none (Debian's useradd
# allocates ranges on its own, so remove what it added).
ensure_user() {
	id "$1" >/dev/null 2>&1 || useradd -m -s /bin/sh "$1" >/dev/null 2>&1 || useradd -m -s /bin/sh "$1"
}
set_subid() { # FILE USER [LINE]
	local f=$1 u=$2 line=${3:-}
	touch "$f"
	if [ -n "$line" ] && grep -qx "$line" "$f"; then
		[ "$(grep -c "^$u:" "$f")" = 1 ] && return 0
	fi
	sed -i "/^$u:/d" "$f"
	[ -z "$line" ] || echo "$line" >>"$f"
}
ensure_user "$T_USER" || bail "cannot create user $T_USER"
ensure_user "$T_USER2" || bail "cannot create user $T_USER2"
for f in /etc/subuid /etc/subgid; do
	set_subid "$f" "$T_USER" "$T_USER:$T_SUBID_START:$T_SUBID_COUNT"
	set_subid "$f" "$T_USER2"
done
T_UID=$(id -u "$T_USER"); T_GID=$(id -g "$T_USER")
T_UID2=$(id -u "$T_USER2"); T_GID2=$(id -g "$T_USER2")

# The runtime is copied where the users can run it (the checkout may be private), and $BERTH
# becomes a wrapper running it as $T_USER with a clean environment: every tap.sh helper (run_rt,
# the leak check) then talks to berth as the unprivileged user.
chmod 711 "$T_WORK"
mkdir -p "$T_WORK/bin"
T_REAL_BERTH=$BERTH
cp "$T_REAL_BERTH" "$T_WORK/bin/berth"
chmod 755 "$T_WORK/bin" "$T_WORK/bin/berth"
# berth events starts berth-monitor from beside berth; a short idle grace so it is gone before the
# next test looks for the users' processes.
T_MONITOR=${BERTH_MONITOR:-$(dirname "$T_REAL_BERTH")/../monitor/berth-monitor}
[ -x "$T_MONITOR" ] && install -m 755 "$T_MONITOR" "$T_WORK/bin/berth-monitor"
T_GRACE_MS=200
T_XDG=$T_WORK/xdg-$T_USER
T_XDG2=$T_WORK/xdg-$T_USER2
install -d -m 700 -o "$T_UID" -g "$T_GID" "$T_XDG"
install -d -m 700 -o "$T_UID2" -g "$T_GID2" "$T_XDG2"

# as_user USER XDG CMD...: CMD as USER (its own groups), clean env, cwd kept.
as_user() {
	local u=$1 xdg=$2; shift 2
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups \
		env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="$(getent passwd "$u" | cut -d: -f6)" \
		USER="$u" LOGNAME="$u" ${xdg:+XDG_RUNTIME_DIR="$xdg"} "$@"
}
cat >"$T_WORK/bin/berth-as-user" <<EOF
#!/bin/bash
exec setpriv --reuid=$T_UID --regid=$T_GID --init-groups env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \\
	HOME=$(getent passwd "$T_USER" | cut -d: -f6) USER=$T_USER XDG_RUNTIME_DIR=$T_XDG \
	BERTH_MONITOR_GRACE_MS=$T_GRACE_MS $T_WORK/bin/berth "\$@"
EOF
chmod 755 "$T_WORK/bin/berth-as-user"
BERTH=$T_WORK/bin/berth-as-user
# State goes where berth puts it for this user by default; the tests pass it explicitly as --root
# (tap.sh's helpers do) and t_default_root checks it is the default.
T_ROOT=$T_XDG/berth

# berth as the user, the way a user types it (no --root): sets RT_RC/RT_OUT/RT_ERR.
user_rt() {
	local o=$T_WORK/.u.out.$BASHPID e=$T_WORK/.u.err.$BASHPID
	RT_RC=0
	"$BERTH" "$@" >"$o" 2>"$e" </dev/null || RT_RC=$?
	RT_OUT=$(cat "$o"); RT_ERR=$(cat "$e"); rm -f "$o" "$e"
}

# make_user_bundle DIR [USER]: a private busybox rootfs (copied, never hard-linked to the cache:
# it gets chowned) owned by USER, and `berth spec --rootless` run by USER, edited for tests.
make_user_bundle() {
	local dir=$1 u=${2:-$T_USER}
	mkdir -p "$dir"
	ROOTFS_COPY=1 "$T_LIB_DIR/make-rootfs.sh" "$dir/rootfs" >/dev/null
	chown -R "$u:" "$dir"
	(cd "$dir" && as_user "$u" "" "$T_WORK/bin/berth" spec --rootless) || { echo "spec --rootless failed" >&2; return 1; }
	bundle_jq "$dir" '.process.terminal = false | .process.args = ["true"] | .root.readonly = false'
	chmod 644 "$dir/config.json"
}

# The multi-range mapping: container root = the user's own id, 1..65536 = the subordinate range.
multi_range() {
	bundle_jq "$1" --argjson u "$T_UID" --argjson g "$T_GID" --argjson s "$T_SUBID_START" --argjson n "$T_SUBID_COUNT" \
		'.linux.uidMappings = [{containerID: 0, hostID: $u, size: 1}, {containerID: 1, hostID: $s, size: $n}]
		| .linux.gidMappings = [{containerID: 0, hostID: $g, size: 1}, {containerID: 1, hostID: $s, size: $n}]'
}

wait_file() { local i=0; while [ ! -e "$1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; [ -e "$1" ] || t_fail "$1 did not appear"; }

# No cgroup directory named after the container anywhere (rootless on a host without delegation).
assert_no_cgroup_named() {
	local hits
	hits=$(find /sys/fs/cgroup -maxdepth 8 -type d -name "$1" 2>/dev/null || true)
	[ -z "$hits" ] || t_fail "cgroup directories created for $1:" "$hits"
}
cgroup_v2_host() { [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; }

# --------------------------------------------------------------------------------------------- tests
t_spec_rootless() {
	local b=$TD/b; mkdir -p "$b"; chown "$T_USER:" "$b"
	# spec keeps no state: it works without XDG_RUNTIME_DIR (as runc's).
	(cd "$b" && as_user "$T_USER" "" "$T_WORK/bin/berth" spec --rootless) || t_fail "spec --rootless"
	local c=$b/config.json
	assert_eq "$(stat -c %U "$c")" "$T_USER" "config.json owner"
	assert_eq "$(jq -c '.linux.uidMappings' "$c")" "[{\"containerID\":0,\"hostID\":$T_UID,\"size\":1}]" uidMappings
	assert_eq "$(jq -c '.linux.gidMappings' "$c")" "[{\"containerID\":0,\"hostID\":$T_GID,\"size\":1}]" gidMappings
	assert_eq "$(jq -r '[.linux.namespaces[].type] | sort | join(",")' "$c")" "ipc,mount,pid,user,uts" namespaces
}

t_run_single_id() {
	local b=$TD/b id; id=$(new_id); make_user_bundle "$b"
	set_args "$b" sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; exit 7'
	run_rt run --bundle "$b" "$id"
	assert_eq "$RT_RC" 7 "exit status"
	local out; out=$(tr -s ' \t' ' ' <<<"$RT_OUT" | sed 's/^ //')
	assert_eq "$out" "$(printf '0\n0\n0 %s 1\n0 %s 1\ndeny' "$T_UID" "$T_GID")" "ids, maps and setgroups inside"
	# One warning about cgroups, no cgroup directories, state removed by run.
	assert_eq "$(grep -c 'cgroup' <<<"$RT_ERR")" 1 "one cgroup warning, stderr: $RT_ERR"
	assert_contains "$RT_ERR" "warning"
	assert_no_cgroup_named "$id"
	assert_no_file "$T_XDG/berth/$id"
}

t_default_root() {
	local b=$TD/b id; id=$(new_id); make_user_bundle "$b"
	set_args "$b" sleep 100
	# No --root: the user's $XDG_RUNTIME_DIR/berth.
	user_rt run -d --bundle "$b" "$id"
	assert_eq "$RT_RC" 0 "run -d without --root: $RT_ERR"
	rt_state "$id"
	assert_file "$T_XDG/berth/$id/state.json"
	assert_eq "$(stat -c %U "$T_XDG/berth/$id/state.json")" "$T_USER" "state owner"
	user_rt list -q
	assert_eq "$RT_OUT" "$id" "list without --root"
	user_rt delete -f "$id"
	assert_eq "$RT_RC" 0 "delete -f: $RT_ERR"
	assert_no_file "$T_XDG/berth/$id"
	# Without XDG_RUNTIME_DIR and without --root: a clear error, nothing created.
	local err rc=0
	err=$(cd "$b" && as_user "$T_USER" "" "$T_WORK/bin/berth" run "$(new_id)" 2>&1 >/dev/null) || rc=$?
	assert_ne "$rc" 0 "run without XDG_RUNTIME_DIR"
	assert_contains "$err" "XDG_RUNTIME_DIR is not set"
	assert_eq "$(grep -c . <<<"$err")" 1 "one line"
}

t_lifecycle() {
	local b=$TD/b id; id=$(new_id); make_user_bundle "$b"
	set_args "$b" sh -c 'trap "exit 0" TERM; echo up > /tmp/up; while :; do sleep 0.05; done'
	rt_ok create --bundle "$b" "$id"
	rt_state "$id"
	assert_eq "$(jq -r .status <<<"$STATE")" created
	assert_eq "$(jq -r .owner <<<"$STATE")" "$T_USER" owner
	local pid; pid=$(jq -r .pid <<<"$STATE")
	assert_eq "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" "$T_UID" "init's host uid"
	# ps of a created container: only the init (not yet dumpable-readable: found by ancestry).
	rt_ok ps --format json "$id"
	assert_eq "$RT_OUT" "[$pid]" "ps of a created container"
	rt_ok start "$id"
	wait_file "$b/rootfs/tmp/up"
	rt_state "$id"
	assert_eq "$(jq -r .status <<<"$STATE")" running
	rt_ok list
	assert_contains "$RT_OUT" "$id"
	assert_contains "$RT_OUT" "$T_USER"
	rt_ok exec "$id" sh -c 'id -u; cat /proc/1/cmdline | tr "\0" " "'
	assert_eq "$(head -1 <<<"$RT_OUT")" 0 "exec uid"
	assert_contains "$RT_OUT" "while"
	run_rt exec "$id" sh -c 'exit 5'
	assert_eq "$RT_RC" 5 "exec exit status"
	rt_ok kill "$id" TERM
	wait_status "$id" stopped 10
	rt_ok delete "$id"
	rt_fails state "$id"
	assert_no_file "$T_XDG/berth/$id"
	assert_no_cgroup_named "$id"
}

t_ps_and_kill_all() {
	local b=$TD/b id; id=$(new_id); make_user_bundle "$b"
	set_args "$b" sh -c 'sleep 101 & sleep 102 & echo > /tmp/up; wait'
	rt_ok run -d --bundle "$b" "$id"
	rt_state "$id"
	wait_file "$b/rootfs/tmp/up"
	local pid; pid=$(jq -r .pid <<<"$STATE")
	local i=0; while [ "$(wc -w <"/proc/$pid/task/$pid/children")" -lt 2 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	rt_ok ps "$id"
	assert_contains "$RT_OUT" "PID"
	assert_contains "$RT_OUT" "sleep 101"
	assert_contains "$RT_OUT" "sleep 102"
	assert_eq "$(grep -c . <<<"$RT_OUT")" 4 "ps lists only the container's 3 processes"
	rt_ok ps --format json "$id"
	local n; n=$(jq length <<<"$RT_OUT")
	assert_eq "$n" 3 "ps json: $RT_OUT"
	local p; for p in $(jq -r '.[]' <<<"$RT_OUT"); do track_pid "$p"; done
	# kill --all reaches the children through the pid namespace, not only the init.
	rt_ok kill --all "$id" KILL
	wait_status "$id" stopped 10
	for p in $(jq -r '.[]' <<<"$RT_OUT"); do
		i=0; while [ -e "/proc/$p" ] && [ "$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)" != Z ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	done
	rt_ok delete "$id"
}

t_pause_resume_error() {
	cgroup_v2_host && t_skip "v2 host: see the delegated test"
	local b=$TD/b id; id=$(new_id); make_user_bundle "$b"
	set_args "$b" sleep 100
	rt_ok run -d --bundle "$b" "$id"; rt_state "$id"
	assert_fails_with 'pause: container .* has no cgroup .*no freezer is reachable' pause "$id"
	assert_fails_with 'resume: container .* has no cgroup' resume "$id"
	rt_state "$id"
	assert_eq "$(jq -r .status <<<"$STATE")" running "still running after a refused pause"
	rt_ok delete -f "$id"
}

t_resources_warning() {
	cgroup_v2_host && t_skip "v2 host"
	local b=$TD/b id; id=$(new_id); make_user_bundle "$b"
	bundle_jq "$b" '.linux.resources = {pids: {limit: 10}, memory: {limit: 67108864}}'
	run_rt run --bundle "$b" "$id"
	assert_eq "$RT_RC" 0 "run with resources: $RT_ERR"
	assert_contains "$RT_ERR" ".linux.resources is ignored"
	assert_eq "$(grep -c . <<<"$RT_ERR")" 1 "one warning line"
	assert_no_cgroup_named "$id"
}

t_multi_range() {
	local b=$TD/b id; id=$(new_id); make_user_bundle "$b"
	multi_range "$b"
	mkdir -p "$b/rootfs/data"
	touch "$b/rootfs/data/root" "$b/rootfs/data/u1000" "$b/rootfs/data/nobody"
	# Container ids 0, 1000, 65534 are host ids: own, start+999, start+65533.
	chown "$T_UID:$T_GID" "$b/rootfs/data/root"
	chown $((T_SUBID_START + 999)):$((T_SUBID_START + 999)) "$b/rootfs/data/u1000"
	chown $((T_SUBID_START + 65533)):$((T_SUBID_START + 65533)) "$b/rootfs/data/nobody"
	chmod 1777 "$b/rootfs/data"
	set_args "$b" sh -c 'ls -ln /data | awk "NR > 1 { print \$3, \$4, \$9 }"; cat /proc/self/uid_map /proc/self/setgroups'
	rt_ok run --bundle "$b" "$id"
	local owners; owners=$(head -3 <<<"$RT_OUT")
	assert_eq "$owners" "$(printf '65534 65534 nobody\n0 0 root\n1000 1000 u1000')" "owners inside"
	local maps; maps=$(sed -n '4,5p' <<<"$RT_OUT" | tr -s ' ' | sed 's/^ //')
	assert_eq "$maps" "$(printf '0 %s 1\n1 %s %s' "$T_UID" "$T_SUBID_START" "$T_SUBID_COUNT")" "uid_map"
	assert_eq "$(sed -n 6p <<<"$RT_OUT")" allow "newgidmap leaves setgroups allowed"
	# A process running as container uid 1000 with a supplementary group creates a file owned by
	# the mapped host ids.
	id=$(new_id)
	bundle_jq "$b" '.process.user = {uid: 1000, gid: 1000, additionalGids: [65534]}'
	set_args "$b" sh -c 'id -u; id -G; touch /data/made-by-1000'
	rt_ok run --bundle "$b" "$id"
	assert_eq "$RT_OUT" "$(printf '1000\n1000 65534')" "process ids"
	assert_eq "$(stat -c '%u:%g' "$b/rootfs/data/made-by-1000")" "$((T_SUBID_START + 999)):$((T_SUBID_START + 999))" "host owner"
}

# Bad input: the error names the field and range, and nothing is left behind.
assert_nothing_left() { # ID XDG
	assert_no_file "$2/berth/$1"
	# (Container processes rooted in the test dir are also caught by tap.sh's leak check.)
	# An earlier test's process can still be a zombie for a moment: delete -f returns once it has
	# exited, and its parent (the shim) reaps it right after. Anything still there after 2 s is left.
	local p i=0
	while p=$(pgrep -u "$T_USER,$T_USER2" || true); [ -n "$p" ] && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done
	[ -z "$p" ] || t_fail "processes of the test users left: $(ps -o pid=,stat=,args= -p "$(echo $p | tr ' ' ,)")"
}

t_bad_not_delegated() {
	local b=$TD/b id; id=$(new_id); make_user_bundle "$b"
	multi_range "$b"
	bundle_jq "$b" '.linux.uidMappings[1] = {containerID: 1, hostID: 300000, size: 1000}'
	assert_fails_with "^berth: config.json: .linux.uidMappings\\[1\\]: host range 300000-300999 is not delegated to user $T_USER in /etc/subuid\$" \
		run --bundle "$b" "$id"
	assert_nothing_left "$id" "$T_XDG"
	# Partly outside (one id past the end), on the gid side.
	id=$(new_id); multi_range "$b"
	bundle_jq "$b" --argjson s "$T_SUBID_START" --argjson n "$T_SUBID_COUNT" '.linux.gidMappings[1] = {containerID: 1, hostID: $s, size: ($n + 1)}'
	assert_fails_with "\\.linux\\.gidMappings\\[1\\]: host range $T_SUBID_START-$((T_SUBID_START + T_SUBID_COUNT)) is not delegated to user $T_USER in /etc/subgid" \
		create --bundle "$b" "$id"
	assert_nothing_left "$id" "$T_XDG"
	# Someone else's id, size 1, without the helper's range.
	id=$(new_id); multi_range "$b"
	bundle_jq "$b" '.linux.uidMappings = [{containerID: 0, hostID: 0, size: 1}]'
	assert_fails_with '\.linux\.uidMappings\[0\]: host range 0-0 is not delegated' create --bundle "$b" "$id"
	assert_nothing_left "$id" "$T_XDG"
}

t_bad_no_subuid_entry() {
	local b=$TD/b id; id=$(new_id); make_user_bundle "$b" "$T_USER2"
	bundle_jq "$b" --argjson u "$T_UID2" --argjson s "$T_SUBID_START" \
		'.linux.uidMappings = [{containerID: 0, hostID: $u, size: 1}, {containerID: 1, hostID: $s, size: 1000}]'
	local rc=0 err
	err=$(cd "$b" && as_user "$T_USER2" "$T_XDG2" "$T_WORK/bin/berth" run "$id" 2>&1 >/dev/null) || rc=$?
	assert_ne "$rc" 0 "run without a subuid entry"
	assert_eq "$err" "berth: config.json: .linux.uidMappings[1]: host range $T_SUBID_START-$((T_SUBID_START + 999)) needs an entry for user $T_USER2 in /etc/subuid (only user id $T_UID2 may be mapped without one)"
	assert_nothing_left "$id" "$T_XDG2"
	# The same user can still run with its own id only.
	bundle_jq "$b" --argjson u "$T_UID2" '.linux.uidMappings = [{containerID: 0, hostID: $u, size: 1}]'
	err=$(cd "$b" && as_user "$T_USER2" "$T_XDG2" "$T_WORK/bin/berth" run "$id" 2>&1 >/dev/null) || t_fail "single-ID run as $T_USER2: $err"
	assert_nothing_left "$id" "$T_XDG2"
}

t_bad_overlap() {
	local b=$TD/b id; id=$(new_id); make_user_bundle "$b"
	multi_range "$b"
	bundle_jq "$b" --argjson s "$T_SUBID_START" \
		'.linux.uidMappings = [{containerID: 0, hostID: ($s + 10), size: 1}, {containerID: 1, hostID: $s, size: 100}]'
	assert_fails_with '\.linux\.uidMappings\[1\]: host range 200000-200099 overlaps \.linux\.uidMappings\[0\] \(200010-200010\)' \
		run --bundle "$b" "$id"
	assert_nothing_left "$id" "$T_XDG"
	id=$(new_id)
	bundle_jq "$b" --argjson s "$T_SUBID_START" \
		'.linux.uidMappings = [{containerID: 0, hostID: $s, size: 100}, {containerID: 50, hostID: ($s + 1000), size: 10}]'
	assert_fails_with '\.linux\.uidMappings\[1\]: container range 50-59 overlaps' run --bundle "$b" "$id"
	assert_nothing_left "$id" "$T_XDG"
}

t_bad_no_userns() {
	local b=$TD/b id; id=$(new_id); make_user_bundle "$b"
	bundle_jq "$b" '.linux.namespaces |= map(select(.type != "user")) | del(.linux.uidMappings, .linux.gidMappings)'
	assert_fails_with '^berth: config.json: \.linux\.namespaces: not running as root, so a user namespace is needed' \
		run --bundle "$b" "$id"
	assert_nothing_left "$id" "$T_XDG"
}

# v2 only: a subtree delegated to the user (chowned, controllers enabled, the user's process moved
# into a leaf of it) gives the container a real cgroup: limits apply, pause works, cleaned on delete.
t_v2_delegated() {
	cgroup_v2_host || t_skip "not a cgroup v2 host (run it in ../shared/v2vm/run-in-v2vm)"
	local base=/sys/fs/cgroup$T_CG_BASE deleg
	mkdir -p "$base"
	deleg=$base/deleg-$BASHPID
	mkdir "$deleg" "$deleg/leaf"
	# Controllers must be enabled from the root down to the delegated dir.
	local d=/sys/fs/cgroup rel c
	for rel in $(tr / ' ' <<<"${deleg#/sys/fs/cgroup/}"); do
		for c in memory pids; do echo "+$c" >"$d/cgroup.subtree_control" 2>/dev/null || true; done
		d=$d/$rel
	done
	for c in memory pids; do echo "+$c" >"$deleg/cgroup.subtree_control"; done
	chown -R "$T_UID:$T_GID" "$deleg"
	local b=$TD/b id; id=$(new_id); make_user_bundle "$b"
	bundle_jq "$b" --arg cg "${deleg#/sys/fs/cgroup}/$id" \
		'.linux.cgroupsPath = $cg | .linux.resources = {pids: {limit: 20}, memory: {limit: 67108864}}'
	set_args "$b" sh -c 'cat /sys/fs/cgroup/pids.max > /tmp/pids.max; echo > /tmp/up; sleep 100 & wait'
	bundle_jq "$b" '.linux.namespaces += [{type: "cgroup"}]'
	# The user's berth must start inside the delegated subtree (moving a process needs write access
	# to cgroup.procs of the common ancestor). Output to files: the container inherits it.
	local rc=0 err
	(cd "$b" && sh -c 'echo $$ > "$0/leaf/cgroup.procs" && exec "$@"' "$deleg" "$BERTH" --root "$T_ROOT" run -d --bundle "$b" "$id" \
		</dev/null >"$TD/run.out" 2>"$TD/run.err") || rc=$?
	err=$(cat "$TD/run.err")
	[ "$rc" = 0 ] || { rmdir "$deleg/leaf" "$deleg" 2>/dev/null; t_fail "run -d in a delegated cgroup: $err"; }
	if grep -qi 'warning.*cgroup' <<<"$err"; then t_fail "a cgroup warning although delegated: $err"; fi
	rt_state "$id"
	wait_file "$b/rootfs/tmp/up"
	assert_eq "$(cat "$deleg/$id/pids.max")" 20 pids.max
	assert_eq "$(cat "$deleg/$id/memory.max")" 67108864 memory.max
	assert_eq "$(stat -c %u "$deleg/$id/cgroup.procs")" "$T_UID" "cgroup owned by the container's root"
	assert_eq "$(cat "$b/rootfs/tmp/pids.max")" 20 "pids.max seen inside (cgroup namespace)"
	# events: the full sample from the delegated cgroup, read by the user's berth and by its monitor.
	if [ -x "$T_WORK/bin/berth-monitor" ]; then
		rt_ok events --stats "$id"
		assert_eq "$(jq -r .data.pids.limit <<<"$RT_OUT")" 20 "events: pids.limit"
		assert_eq "$(jq -r .data.pids.current <<<"$RT_OUT")" 2 "events: pids.current"
		assert_eq "$(jq -r .data.memory.usage.limit <<<"$RT_OUT")" 67108864 "events: memory limit"
		jq -e '.data | has("cpu") and has("cpuset") and has("blkio") and has("hugetlb") and (.memory.raw | length > 5)' \
			<<<"$RT_OUT" >/dev/null || t_fail "events: not a full sample:" "$RT_OUT"
		"$BERTH" --root "$T_ROOT" events --interval 200ms "$id" >"$TD/ev.out" 2>"$TD/ev.err" </dev/null &
		local ev=$! i=0
		while ! grep -q stats "$TD/ev.out" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
		kill $ev; wait $ev 2>/dev/null || true
		assert_eq "$(head -n1 "$TD/ev.out" | jq -r .data.pids.limit)" 20 "events via the monitor: $(cat "$TD/ev.err")"
		monitor_gone
	fi
	rt_ok pause "$id"
	rt_state "$id"
	assert_eq "$(jq -r .status <<<"$STATE")" paused
	rt_ok resume "$id"
	rt_ok ps --format json "$id"
	assert_eq "$(jq length <<<"$RT_OUT")" 2 "ps via the cgroup"
	rt_ok delete -f "$id"
	assert_no_file "$deleg/$id"
	rmdir "$deleg/leaf" "$deleg"
}

# events without a cgroup: the /proc subset (cpu, memory, pids of the container's processes; the
# interfaces of its network namespace), from
# berth itself for --stats and from a berth-monitor running as the user for streams; never a hang.
monitor_gone() {
	local i=0
	while [ -e "$T_ROOT/.monitor.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ ! -e "$T_ROOT/.monitor.sock" ] || t_fail "berth-monitor still running 5 s after its last client"
}
t_events_no_cgroup() {
	[ -x "$T_WORK/bin/berth-monitor" ] || t_skip "berth-monitor not built"
	local b=$TD/b id; id=$(new_id); make_user_bundle "$b"
	# The init shell holds 4 MB in a variable; with its two sleeps: 3 processes.
	set_args "$b" sh -c 'sleep 101 & sleep 102 & v=$(head -c 4000000 /dev/zero | tr "\\0" x); echo > /tmp/up; wait'
	bundle_jq "$b" '.linux.namespaces += [{type: "network"}]'
	rt_ok run -d --bundle "$b" "$id"
	rt_state "$id"
	wait_file "$b/rootfs/tmp/up"
	local pid; pid=$(jq -r .pid <<<"$STATE")
	local i=0; while [ "$(wc -w <"/proc/$pid/task/$pid/children")" -ne 2 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	local has_cg; has_cg=$(jq -r '.cgroup // empty' "$T_ROOT/$id/state.json")
	[ -z "$has_cg" ] || t_skip "the container has a cgroup here (see the v2 delegated test)"
	# --stats with no monitor: read by berth itself, no monitor started.
	rt_ok events --stats "$id"
	local s=$RT_OUT
	assert_eq "$(jq -r .type <<<"$s")" stats type
	assert_eq "$(jq -r .id <<<"$s")" "$id" id
	assert_eq "$(jq -c '.data | keys' <<<"$s")" '["cpu","memory","network_interfaces","pids"]' "the /proc subset"
	assert_eq "$(jq -r .data.pids.current <<<"$s")" 3 "pids: sh and 2 sleeps"
	[ "$(jq -r .data.memory.usage.usage <<<"$s")" -gt 4000000 ] || t_fail "memory.usage.usage: $(jq -c .data.memory <<<"$s")"
	jq -e '.data.cpu.usage | has("total") and has("kernel") and has("user")' <<<"$s" >/dev/null || t_fail "cpu.usage: $s"
	assert_eq "$(jq -c '[.data.network_interfaces[].Name]' <<<"$s")" '["lo"]' "its own network namespace's interfaces"
	assert_no_file "$T_ROOT/.monitor.sock"
	# A process joined with exec (its parent is outside): found by its pid namespace.
	rt_ok exec -d "$id" sleep 103
	rt_ok events --stats "$id"
	assert_eq "$(jq -r .data.pids.current <<<"$RT_OUT")" 4 "pids with an exec'd process"
	# A stream through berth-monitor, which runs as the user.
	local out=$TD/events.out
	"$BERTH" --root "$T_ROOT" events --interval 200ms "$id" >"$out" 2>"$TD/events.err" </dev/null &
	local evpid=$!
	i=0; while [ "$(grep -c stats "$out" 2>/dev/null)" -lt 2 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ "$(grep -c stats "$out")" -ge 2 ] || { kill $evpid; t_fail "no stats lines from the monitor: $(cat "$TD/events.err")"; }
	assert_eq "$(head -n1 "$out" | jq -r .data.pids.current)" 4 "pids from the monitor"
	local mpid; mpid=$(pgrep -u "$T_USER" -f "berth-monitor --root $T_ROOT" | head -n1)
	[ -n "$mpid" ] || t_fail "no berth-monitor running as $T_USER"
	# --stats while the monitor runs (answered by it), and --all.
	rt_ok events --stats "$id"
	assert_eq "$(jq -r .data.pids.current <<<"$RT_OUT")" 4 "pids via the monitor"
	run_rt events --all --stats
	assert_eq "$(jq -r .id <<<"$RT_OUT")" "$id" "--all --stats"
	# The container stops: the stream ends by itself.
	rt_ok kill "$id" KILL
	i=0; while kill -0 $evpid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	if kill -0 $evpid 2>/dev/null; then kill $evpid; t_fail "events did not end when the container stopped"; fi
	wait $evpid || t_fail "events exit status $?: $(cat "$TD/events.err")"
	wait_status "$id" stopped 10
	# Stopped: a clear error, no hang.
	assert_fails_with 'is not running' events --stats "$id"
	rt_ok delete "$id"
	monitor_gone
}

t_slirp4netns() {
	local b=$TD/b; make_user_bundle "$b"
	[ -c /dev/net/tun ] || t_skip "no /dev/net/tun"
	BERTH=$BERTH "$T_TOP/hooks-examples/slirp4netns/test.sh" "$b" "$T_ROOT" "$(new_id)"
}

# BERTH_TEST_ONLY=GLOB: run only the tests whose function name matches (e.g. in the v2 VM).
if [ -n "${BERTH_TEST_ONLY:-}" ]; then
	eval "$(declare -f t_run | sed '1s/^t_run /t_run_all /')"
	t_run() {
		local name=$1 fn=$2; shift 2
		# shellcheck disable=SC2053
		if [[ $fn == $BERTH_TEST_ONLY ]]; then t_run_all "$name" "$fn" "$@"; else t_run_all "$name" "$fn" "skip:BERTH_TEST_ONLY"; fi
	}
fi

t_run "spec --rootless: user namespace and the caller's ids" t_spec_rootless
t_run "run with a single-ID mapping: root inside, setgroups deny, one cgroup warning, no cgroup" t_run_single_id
t_run "state under \$XDG_RUNTIME_DIR/berth; clear error without it" t_default_root
t_run "create, ps, start, list, exec, kill, delete as the user" t_lifecycle
t_run "ps and kill --all without a cgroup (by pid namespace)" t_ps_and_kill_all
t_run "pause/resume without a cgroup: clear error" t_pause_resume_error
t_run "resources without a cgroup: one warning" t_resources_warning
t_run "multi-range mapping via newuidmap: owners inside, uid 1000 writes as the host subuid" t_multi_range needs:newuidmap
t_run "range not delegated in /etc/subuid or /etc/subgid: clear error, nothing left" t_bad_not_delegated
t_run "no subuid entry: clear error, nothing left" t_bad_no_subuid_entry
t_run "overlapping ranges: clear error, nothing left" t_bad_overlap
t_run "namespaces without a user namespace: clear error, nothing left" t_bad_no_userns
t_run "cgroup v2 delegated subtree: limits, pause, delete" t_v2_delegated
t_run "events without a cgroup: cpu, memory, pids from /proc; stream via the user's monitor" t_events_no_cgroup
t_run "slirp4netns hook: the container reaches a loopback server on the host" t_slirp4netns needs:slirp4netns
t_done
