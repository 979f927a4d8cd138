#!/bin/bash
# Security regression tests: one (or more) per row of ../shared/notes/security.md. Every test performs
# the attack technique against a real container and asserts that it is blocked (the host is unchanged),
# not merely that some flag is set.
source "$(dirname "$0")/../lib/tap.sh"

SEC_DIR=$T_TOP/tests/integration/security
# Host files the attacks aim at (read-only checks; nothing here writes to them).
CORE_PATTERN=$(cat /proc/sys/kernel/core_pattern)

# Files written into rootfses must not be hard links of the shared busybox cache (make-rootfs.sh).
export ROOTFS_COPY=1

# static_helper NAME: compile tests/integration/security/NAME.c statically into $T_WORK/NAME.
static_helper() {
	local out=$T_WORK/$1
	[ -x "$out" ] && { echo "$out"; return 0; }
	"${CC:-cc}" -static -O2 -o "$out" "$SEC_DIR/$1.c" 2>"$T_WORK/$1.cc.log" || return 1
	echo "$out"
}

# sec_run NAME FUNC...: t_run, limited to the functions listed in $SEC_ONLY when it is set.
sec_run() { [ -z "${SEC_ONLY:-}" ] || [[ " $SEC_ONLY " == *" $2 "* ]] || return 0; t_run "$@"; }

wait_file() { local i=0; while [ ! -s "$1" ] && [ $i -lt "${2:-100}" ]; do sleep 0.05; i=$((i + 1)); done; [ -s "$1" ]; }

# host_unchanged: the host files the attacks target are as they were.
host_unchanged() {
	assert_eq "$(cat /proc/sys/kernel/core_pattern)" "$CORE_PATTERN" "host core_pattern"
}

# ------------------------------------------------------------------------------------ CVE-2019-5736
# copy_libs BINARY ROOTFS: the ELF interpreter and shared libraries of BINARY, at their host paths
# (none for a static-pie berth).
copy_libs() {
	local lib
	for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*'); do
		mkdir -p "$2$(dirname "$lib")"; cp -L "$lib" "$2$lib"
	done
}

# A container whose binaries are `#!/proc/self/exe` tries to get the runtime binary executed inside
# it, grabs /proc/PID/exe of every foreign process and tries to write to it once it has exited.
# The runtime under attack is a private copy, so a successful exploit cannot damage the build.
t_cve_2019_5736() {
	local attack orig=$BERTH copy b b2 id id2 sum pid i
	attack=$(static_helper exe-attack) || t_skip "no static C compiler"
	b=$TD/a; make_bundle "$b"; cp "$attack" "$b/rootfs/exe-attack"
	b2=$TD/b; make_bundle "$b2"
	# As in a real image, the dynamic loader and libraries the runtime needs exist in the rootfs, so
	# the runtime binary can actually run inside the container if it is ever exec'd there.
	copy_libs "$orig" "$b/rootfs"; copy_libs "$orig" "$b2/rootfs"
	printf '#!/proc/self/exe\n' >"$b/rootfs/evil"; chmod 755 "$b/rootfs/evil"
	printf '#!/proc/self/exe\n' >"$b2/rootfs/evil"; chmod 755 "$b2/rootfs/evil"
	# The image's own /bin/sh replaced by the shebang, as in the original exploit.
	rm "$b/rootfs/bin/sh"; printf '#!/proc/self/exe\n' >"$b/rootfs/bin/sh"; chmod 755 "$b/rootfs/bin/sh"
	copy=$TD/berth-copy; cp "$orig" "$copy"; sum=$(sha256sum <"$copy")
	BERTH=$copy # the runtime under attack
	bundle_jq "$b" '.root.readonly = false'
	set_args "$b" /bin/busybox sh -c "/exe-attack 8 $(stat -c '%d %i' "$copy") > /result"
	id=$(new_id)
	rt_ok run -d --bundle "$b" "$id"; rt_state "$id"; pid=$(jq -r .pid <<<"$STATE")
	sleep 0.3
	# exec path: the exec'd process's interpreter is /proc/self/exe.
	for i in 1 2 3 4 5 6; do
		run_rt exec "$id" /evil; run_rt exec "$id" /bin/sh -c true; run_rt exec "$id" /proc/self/exe
	done
	# create/start path: containers sharing the attacker's pid namespace whose process is the shebang.
	bundle_jq "$b2" --arg p "/proc/$pid/ns/pid" '(.linux.namespaces[] | select(.type == "pid")) .path = $p'
	for i in 1 2 3 4 5; do
		set_args "$b2" /evil; run_rt run --bundle "$b2" "$(new_id)"
		set_args "$b2" /proc/self/exe; run_rt run --bundle "$b2" "$(new_id)"
	done
	BERTH=$orig
	local i=0; while [ $i -lt 200 ] && ! grep -q DONE "$b/rootfs/result" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
	local result; result=$(cat "$b/rootfs/result")
	diag "attacker: $(grep -c SEEN <<<"$result") foreign executables seen"
	[ "$(sha256sum <"$copy")" = "$sum" ] || t_fail "EXPLOITED: the runtime binary was overwritten from the container:" "$result"
	wait_status "$id" stopped 15
	rt_ok delete "$id"
	for id2 in $("$BERTH" --root "$T_ROOT" list -q); do run_rt delete -f "$id2"; done
	assert_contains "$result" DONE "attacker finished"
	assert_not_contains "$result" HOSTEXE "container got a handle on the host runtime binary"
	assert_not_contains "$result" WROTE "container wrote to a runtime executable"
	# Whatever the container saw as a foreign executable was the sealed trampoline.
	if grep -q '^SEEN' <<<"$result" && [ "$T_RT_KIND" = berth ]; then
		assert_eq "$(grep '^SEEN' <<<"$result" | grep -vc 'memfd:berth-exec-trampoline')" 0 "foreign executables other than the trampoline"
	fi
}

# ------------------------------------------------------------------------------------ CVE-2016-9962
# While the init is waiting for `start` (holding the runtime's fds), a process in the same pid
# namespace tries to read its memory, fds and environment.
t_cve_2016_9962() {
	local b b2 id id2 pid ipid nspid out
	b=$TD/a; make_bundle "$b"; set_args "$b" sleep 30
	id=$(new_id); rt_ok run -d --bundle "$b" "$id"; rt_state "$id"; pid=$(jq -r .pid <<<"$STATE")
	b2=$TD/b; make_bundle "$b2"; set_args "$b2" true
	bundle_jq "$b2" --arg p "/proc/$pid/ns/pid" '(.linux.namespaces[] | select(.type == "pid")) .path = $p'
	id2=$(new_id); rt_ok create --bundle "$b2" "$id2"; rt_state "$id2"; ipid=$(jq -r .pid <<<"$STATE")
	nspid=$(awk '/^NSpid:/ { print $NF }' "/proc/$ipid/status")
	# From the host: the waiting init holds no directory fd (nothing to fchdir/openat out of).
	local f
	for f in /proc/$ipid/fd/*; do
		[ -d "$f" ] && t_fail "init holds a directory fd: $f -> $(readlink "$f")"
	done
	# From inside the container's pid namespace: no access to the init's internals.
	# Control: the same accesses to a dumpable process of the container work.
	run_rt exec "$id" sh -c "readlink /proc/1/exe >/dev/null && readlink /proc/1/fd/0 >/dev/null && cat /proc/1/environ >/dev/null && echo control-ok"
	assert_eq "$RT_OUT" control-ok "accesses to a dumpable container process"
	run_rt exec "$id" sh -c "cat /proc/$nspid/environ >/dev/null 2>&1 && echo ENVIRON; readlink /proc/$nspid/fd/0 >/dev/null 2>&1 && echo FDLINK; for f in /proc/$nspid/fd/*; do readlink \$f >/dev/null 2>&1 && echo FDLINK; done; dd if=/proc/$nspid/mem bs=1 count=1 skip=4194304 >/dev/null 2>&1 && echo MEM; readlink /proc/$nspid/exe >/dev/null 2>&1 && echo EXE; readlink /proc/$nspid/cwd >/dev/null 2>&1 && echo CWD; echo checked"
	assert_eq "$RT_RC" 0 "exec"
	assert_eq "$RT_OUT" checked "accesses to the waiting init that succeeded"
	rt_ok delete -f "$id2"; rt_ok delete -f "$id"
}

# ------------------------------------------------------------------------------------ CVE-2019-16884
# The image mounts its own fake /proc: procfs writes the runtime makes (oomScoreAdj after pivot_root,
# sysctl) must reach the real procfs (a private, verified instance), never the image's files.
t_cve_2019_16884() {
	local b fake id pid
	b=$TD/b; make_bundle "$b"
	fake=$TD/fakeproc; mkdir -p "$fake/self/attr" "$fake/sys/kernel" "$fake/thread-self/attr"
	echo 0 >"$fake/self/oom_score_adj"; echo 0 >"$fake/sys/kernel/shmmax"; : >"$fake/self/attr/exec"
	bundle_jq "$b" --arg s "$fake" '.mounts |= map(if .destination == "/proc" then {destination: "/proc", type: "bind", source: $s, options: ["rbind"]} else . end) | .process.oomScoreAdj = 123 | .linux.sysctl = {"kernel.shmmax": "12345678"} | .process.apparmorProfile = "berth-test"'
	set_args "$b" sleep 10
	id=$(new_id)
	rt_ok run -d --bundle "$b" "$id"; rt_state "$id"; pid=$(jq -r .pid <<<"$STATE")
	assert_eq "$(cat "/proc/$pid/oom_score_adj")" 123 "oom_score_adj of the container process (real procfs)"
	assert_eq "$(nsenter --ipc="/proc/$pid/ns/ipc" cat /proc/sys/kernel/shmmax)" 12345678 "kernel.shmmax in the container's ipc namespace"
	assert_eq "$(cat "$fake/self/oom_score_adj")" 0 "fake oom_score_adj untouched"
	assert_eq "$(cat "$fake/sys/kernel/shmmax")" 0 "fake shmmax untouched"
	assert_eq "$(cat "$fake/self/attr/exec")" "" "fake attr/exec untouched"
	rt_ok delete -f "$id"
}

# ------------------------------------------------------------- CVE-2019-19921/2023-27561/2023-28642
# The image's /proc (or /sys) is a symlink pointing out of the rootfs (or at another pseudo-fs).
t_proc_sys_symlink() {
	local b dest target
	for dest in proc sys; do
		for target in "$TD/host-$dest" "../../../../../../..$TD/host-$dest" sys proc; do
			[ "$target" = "$dest" ] && continue
			b=$TD/b-$dest-$RANDOM; make_bundle "$b"
			mkdir -p "$TD/host-$dest"
			rmdir "$b/rootfs/$dest"; ln -s "$target" "$b/rootfs/$dest"
			rt_fails run --bundle "$b" "$(new_id)"
			assert_contains "$RT_ERR" "$dest" "error names /$dest"
			assert_eq "$(ls -A "$TD/host-$dest")" "" "host directory untouched"
			grep -q " $TD/host-$dest " /proc/self/mountinfo && t_fail "mounted on the host: $TD/host-$dest"
		done
	done
	host_unchanged
}

# ------------------------------------------------------------------------------------ CVE-2021-30465
# A bind mount destination that is a symlink pointing out of the rootfs (static case and a race
# where the destination is swapped between a directory and such a symlink while containers start).
t_cve_2021_30465() {
	local b src host out i
	b=$TD/b; make_bundle "$b"
	src=$TD/src; mkdir -p "$src"; echo inside >"$src/file"
	host=$TD/host; mkdir -p "$host"; echo host >"$host/marker"
	ln -s "../../../../../../../..$host" "$b/rootfs/vol"
	bundle_jq "$b" --arg s "$src" '.mounts += [{destination: "/vol", type: "bind", source: $s, options: ["rbind"]}]'
	set_args "$b" sh -c 'cat /vol/file; ls /vol'
	run_rt run --bundle "$b" "$(new_id)"
	if [ "$RT_RC" = 0 ]; then
		assert_contains "$RT_OUT" inside "the bind is seen at the symlink's in-root target"
		assert_not_contains "$RT_OUT" marker "host directory visible"
	fi
	assert_eq "$(ls -A "$host")" marker "host directory content"
	grep -q " $host " /proc/self/mountinfo && t_fail "bind landed on the host directory"
	# The race: swap /vol between a directory and the symlink during create.
	rm -f "$b/rootfs/vol"; mkdir -p "$b/rootfs/vol"
	set_args "$b" true
	(
		end=$((SECONDS + 6))
		while [ $SECONDS -lt $end ]; do
			ln -sfn "../../../../../../../..$host" "$b/rootfs/vol.l" 2>/dev/null
			mv -T "$b/rootfs/vol.l" "$b/rootfs/vol" 2>/dev/null
			rm -f "$b/rootfs/vol"; mkdir -p "$b/rootfs/vol" 2>/dev/null
		done
	) &
	local swapper=$!
	for i in $(seq 1 15); do
		run_rt run --bundle "$b" "$(new_id)"
		grep -q " $host " /proc/self/mountinfo && t_fail "race: bind landed on the host directory"
	done
	wait "$swapper" || true
	assert_eq "$(ls -A "$host")" marker "host directory content after the race"
}

# ------------------------------------------------------------------------------------ CVE-2022-29162
# exec --cap and the spec template never yield inheritable capabilities (a setuid-less binary with
# file caps could otherwise gain them).
t_cve_2022_29162() {
	local b id
	b=$TD/b; make_bundle "$b"
	assert_eq "$(jq -c '.process.capabilities.inheritable // []' "$b/config.json")" "[]" "spec template inheritable"
	set_args "$b" sh -c 'grep CapInh /proc/self/status; sleep 10'
	id=$(new_id)
	rt_ok run -d --bundle "$b" "$id"; rt_state "$id"
	run_rt exec --cap CAP_NET_ADMIN --cap CAP_SYS_ADMIN "$id" sh -c 'grep -E "Cap(Inh|Eff)" /proc/self/status'
	assert_eq "$RT_RC" 0 "exec --cap"
	assert_contains "$RT_OUT" "CapInh:	0000000000000000" "inheritable after exec --cap"
	run_rt exec --user 1000:1000 --cap CAP_NET_ADMIN "$id" sh -c 'grep -E "Cap(Inh|Amb|Prm)" /proc/self/status'
	assert_contains "$RT_OUT" "CapInh:	0000000000000000" "inheritable after exec --cap as a user"
	rt_ok delete -f "$id"
}

# ------------------------------------------------------------------------------------ CVE-2023-25809
# Without a cgroup namespace the container must not be able to write to the host's cgroup tree.
t_cve_2023_25809() {
	local b out
	b=$TD/b; make_bundle "$b"
	bundle_jq "$b" 'del(.linux.namespaces[] | select(.type == "cgroup"))'
	set_args "$b" sh -c 'for d in /sys/fs/cgroup/*/; do mkdir "$d/escape" 2>/dev/null && echo "MKDIR $d"; echo 1 >"$d/cgroup.procs" 2>/dev/null && echo "PROCS $d"; done; echo checked'
	rt_ok run --bundle "$b" "$(new_id)"
	assert_eq "$RT_OUT" checked "writes into /sys/fs/cgroup that succeeded"
	# The same with a rootless-style config: /sys bound from the host with "ro".
	bundle_jq "$b" '.mounts |= map(select(.destination != "/sys" and .destination != "/sys/fs/cgroup")) | .mounts += [{destination: "/sys", type: "none", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"]}]'
	rt_ok run --bundle "$b" "$(new_id)"
	assert_eq "$RT_OUT" checked "writes into a bound /sys/fs/cgroup that succeeded"
	local m; for m in $(t_cgroup_mounts); do [ -e "$m/escape" ] && t_fail "created $m/escape"; done
	return 0
}

# ------------------------------------------------------------------------------------ CVE-2024-21626
# process.cwd through a leaked fd (/proc/self/fd/N) must never land on the host filesystem, and the
# container process holds no fd but stdio and --preserve-fds.
t_cve_2024_21626() {
	local b n marker
	b=$TD/b; make_bundle "$b"
	marker=$TD/host-marker-$RANDOM; : >"$marker"
	set_args "$b" sh -c "pwd; ls ../../../../../../../../..$marker 2>/dev/null && echo ESCAPED; true"
	for n in 3 4 5 6 7 8 9 10 11 12 13 14 15 16 20 25 30; do
		bundle_jq "$b" --arg c "/proc/self/fd/$n" '.process.cwd = $c'
		run_rt run --bundle "$b" "$(new_id)"
		assert_not_contains "$RT_OUT" ESCAPED "cwd /proc/self/fd/$n reached the host"
		assert_not_contains "$RT_OUT" unreachable "cwd /proc/self/fd/$n outside the root"
		if [ "$RT_RC" = 0 ]; then assert_match "$RT_OUT" '^/' "cwd /proc/self/fd/$n"; fi
	done
}

t_only_stdio_and_preserved_fds() {
	local b id pid fds
	b=$TD/b; make_bundle "$b"
	set_args "$b" sh -c 'ls /proc/1/fd; true'
	rt_ok run --bundle "$b" "$(new_id)"
	assert_eq "$(echo $RT_OUT)" "0 1 2" "fds of the container process (run)"
	# --preserve-fds 2: fds 3 and 4 are passed, 5 is not.
	run_rt run --preserve-fds 2 --bundle "$b" "$(new_id)" 3</dev/null 4</dev/null 5</dev/null
	assert_eq "$RT_RC" 0 "run --preserve-fds"
	assert_eq "$(echo $RT_OUT)" "0 1 2 3 4" "fds with --preserve-fds 2"
	# Right after start, seen from the host.
	set_args "$b" sleep 10
	id=$(new_id)
	rt_ok create --bundle "$b" "$id"; rt_ok start "$id"; rt_state "$id"; pid=$(jq -r .pid <<<"$STATE")
	sleep 0.1
	fds=$(cd "/proc/$pid/fd" && echo *)
	assert_eq "$fds" "0 1 2" "fds of the started init"
	run_rt exec "$id" sh -c "ls /proc/self/fd"
	assert_eq "$(echo $RT_OUT)" "0 1 2 3" "fds of an exec'd process (3 is ls's own)"
	rt_ok delete -f "$id"
}

# ------------------------------------------------------------------------------------ CVE-2024-45310
# A mount destination through a symlink to a host path with missing directories: nothing may be
# created on the host.
t_cve_2024_45310() {
	local b host
	b=$TD/b; make_bundle "$b"
	host=$TD/host; mkdir -p "$host"
	ln -s "$host" "$b/rootfs/abs"
	ln -s "../../../../../../../../..$host" "$b/rootfs/rel"
	bundle_jq "$b" '.mounts += [{destination: "/abs/a/b/c", type: "tmpfs", source: "tmpfs", options: []}, {destination: "/rel/x/y", type: "tmpfs", source: "tmpfs", options: []}]'
	set_args "$b" sh -c 'grep -c " /abs/a/b/c \| /rel/x/y \|'"$host"'" /proc/self/mountinfo'
	run_rt run --bundle "$b" "$(new_id)"
	assert_eq "$(ls -A "$host")" "" "host directory content"
	if [ "$RT_RC" = 0 ]; then assert_eq "$RT_OUT" 2 "tmpfs mounts inside the container"; fi
}

# ------------------------------------------------------------------------------------ CVE-2025-31133
# The image's /dev/null is a symlink to a procfs file; a bind-mounted /dev whose null is such a
# symlink. Masking must use the real /dev/null, or fail; no procfs file may become writable.
t_cve_2025_31133() {
	local b check
	b=$TD/b; make_bundle "$b"
	ln -s /proc/sys/kernel/core_pattern "$b/rootfs/dev/null"
	# Every masked file must be the null device (1:3), masked dirs an empty read-only tmpfs, and
	# /proc/sys (readonly) unwritable.
	check='stat -c "%F %t:%T" /dev/null; echo "|/bin/pwned" >/dev/null
for p in /proc/kcore /proc/keys /proc/timer_list /proc/latency_stats /proc/sched_debug; do
	[ -e "$p" ] || continue
	t=$(stat -c "%F %t:%T" "$p"); [ "$t" = "character special file 1:3" ] || echo "NOTNULL $p $t"
done
echo "|/bin/pwned" >/proc/sys/kernel/core_pattern 2>/dev/null && echo WROTE-core_pattern; true'
	set_args "$b" sh -c "$check"
	rt_ok run --bundle "$b" "$(new_id)"
	assert_contains "$RT_OUT" "character special file 1:3" "/dev/null in the container"
	assert_not_contains "$RT_OUT" NOTNULL "masked path not masked by the null device"
	assert_not_contains "$RT_OUT" WROTE "write to /proc/sys"
	host_unchanged
	# /dev bound from the image (no fresh tmpfs): its null is the symlink. Masking must refuse it
	# (or use the real device); never bind core_pattern over a masked path.
	mkdir -p "$TD/imgdev"; ln -s /proc/sys/kernel/core_pattern "$TD/imgdev/null"
	bundle_jq "$b" --arg s "$TD/imgdev" '.mounts |= map(if .destination == "/dev" then {destination: "/dev", type: "bind", source: $s, options: ["rbind"]} else . end) | .mounts |= map(select(.destination | startswith("/dev/") | not))'
	run_rt run --bundle "$b" "$(new_id)"
	assert_not_contains "$RT_OUT" NOTNULL "masked path not masked by the null device (image /dev)"
	assert_not_contains "$RT_OUT" WROTE "write to /proc/sys (image /dev)"
	host_unchanged
	# The bound dir is the container's /dev (a volume): berth may replace the symlink by a device
	# node, but never write through it.
	if [ -L "$TD/imgdev/null" ]; then assert_eq "$(readlink "$TD/imgdev/null")" /proc/sys/kernel/core_pattern "image dev/null link"; fi
	if [ -e "$TD/imgdev/null" ] && [ ! -L "$TD/imgdev/null" ]; then assert_eq "$(stat -c '%F %t:%T' "$TD/imgdev/null")" "character special file 1:3" "image dev/null"; fi
}

# ------------------------------------------------------------------------------------ CVE-2025-52565
# /dev/pts replaced by a directory of symlinks to procfs files: the console must still be the
# container's pty (TIOCGPTPEER), never a re-resolved /dev/pts/N.
t_cve_2025_52565() {
	local b n
	b=$TD/b; make_bundle "$b"
	mkdir -p "$TD/fakepts"
	for n in $(seq 0 63); do ln -s /proc/sys/kernel/core_pattern "$TD/fakepts/$n"; done
	bundle_jq "$b" --arg s "$TD/fakepts" '.process.terminal = true | .mounts |= map(if .destination == "/dev/pts" then {destination: "/dev/pts", type: "bind", source: $s, options: ["rbind"]} else . end)'
	set_args "$b" sh -c 'stat -c "%F %t" /dev/console; echo "|/bin/pwned" >/dev/console; true'
	run_rt run --bundle "$b" "$(new_id)"
	if [ "$RT_RC" = 0 ]; then
		assert_contains "$RT_OUT" "character special file 88" "/dev/console is a pts device (major 136 = 0x88)"
	fi
	host_unchanged
	assert_eq "$(readlink "$TD/fakepts/0")" /proc/sys/kernel/core_pattern "image pts untouched"
}

# ------------------------------------------------------------------------------------ CVE-2025-52881
# sysctl names that walk out of /proc/sys (../, absolute, symlink-looking) are refused.
t_cve_2025_52881() {
	local b name
	b=$TD/b; make_bundle "$b"
	for name in "kernel.shmmax/../../kernel/core_pattern" "kernel/shmmax/../../../sysrq-trigger" \
		"net.ipv4/../../kernel/core_pattern" "../kernel/core_pattern" "/proc/sys/kernel/core_pattern" \
		"fs.mqueue/../../kernel/core_pattern" "net/ipv4/../../../self/attr/exec" "kernel..core_pattern" \
		"fs.mqueue.msg_max/.." "net.ipv4.conf.all.forwarding/../../../../../../../proc/sys/kernel/core_pattern"; do
		bundle_jq "$b" --arg k "$name" '.linux.sysctl = {($k): "|/bin/pwned"}'
		rt_fails run --bundle "$b" "$(new_id)"
		host_unchanged
	done
}

# ------------------------------------------------------------------------------------ CVE-2026-41579
# The image's /dev, /dev/pts, /dev/shm are symlinks out of the rootfs: /dev setup must not follow them.
t_cve_2026_41579() {
	local b host
	host=$TD/hostdev; mkdir -p "$host"
	b=$TD/b; make_bundle "$b"
	rmdir "$b/rootfs/dev"; ln -s "../../../../../../../..$host" "$b/rootfs/dev"
	run_rt run --bundle "$b" "$(new_id)"
	assert_eq "$(ls -A "$host")" "" "host dir after a symlinked /dev"
	b=$TD/c; make_bundle "$b"
	rmdir "$b/rootfs/dev"; ln -s "$host" "$b/rootfs/dev"
	run_rt run --bundle "$b" "$(new_id)"
	assert_eq "$(ls -A "$host")" "" "host dir after an absolute /dev symlink"
	b=$TD/d; make_bundle "$b"
	ln -s "$host" "$b/rootfs/dev/pts"; ln -s "$host" "$b/rootfs/dev/shm"; ln -s "$host/null" "$b/rootfs/dev/null"
	set_args "$b" sh -c 'stat -c "%F" /dev/pts /dev/shm; stat -c "%t:%T" /dev/null'
	rt_ok run --bundle "$b" "$(new_id)"
	assert_eq "$RT_OUT" "directory
directory
1:3" "/dev entries in the container"
	assert_eq "$(ls -A "$host")" "" "host dir after symlinked /dev entries"
	grep -q " $host " /proc/self/mountinfo && t_fail "mounted on the host"
	return 0
}

# ------------------------------------------------------------------------------------------- seccomp
# Podman's default profile (containers-common), converted as Podman does: the container runs under it
# and what it forbids is forbidden.
t_seccomp_podman_profile() {
	local b prof=/usr/share/containers/seccomp.json
	[ -r "$prof" ] || t_skip "$prof missing (apt-get install golang-github-containers-common)"
	b=$TD/b; make_bundle "$b"
	jq --argjson caps "$(jq -c .process.capabilities.bounding "$b/config.json")" -f "$SEC_DIR/podman-seccomp.jq" "$prof" >"$TD/seccomp.json"
	bundle_jq "$b" --slurpfile s "$TD/seccomp.json" '.linux.seccomp = $s[0]'
	set_args "$b" sh -c 'echo ran; unshare -r true 2>/dev/null && echo UNSHARE; true'
	rt_ok run --bundle "$b" "$(new_id)"
	assert_eq "$RT_OUT" ran "output under the Podman profile (unshare must be denied)"
}

seccomp_agent_bin() {
	local a
	for a in "${MESON_BUILD_ROOT:-$T_TOP/build}/hooks-examples/seccomp-notify/berth-seccomp-agent" \
		"$T_TOP/build/hooks-examples/seccomp-notify/berth-seccomp-agent"; do
		[ -x "$a" ] && { echo "$a"; return 0; }
	done
	return 1
}

# linux.seccomp.listenerPath: the example agent gets the notify fd and the state, emulates mkdir /x
# (success, nothing created) and lets other mkdirs through; exec'd processes are handed over too.
t_seccomp_notify_agent() {
	local agent b id sock log apid
	agent=$(seccomp_agent_bin) || t_skip "berth-seccomp-agent not built"
	sock=$TD/agent.sock; log=$TD/agent.log
	"$agent" "$sock" "$log" & apid=$!
	wait_file "$log" || t_fail "agent did not start"
	b=$TD/b; make_bundle "$b"
	bundle_jq "$b" --arg s "$sock" '.root.readonly = false | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: $s, listenerMetadata: "berth-test-metadata", syscalls: [{names: ["mkdir", "mkdirat", "mknod", "mknodat"], action: "SCMP_ACT_NOTIFY"}]}'
	set_args "$b" sh -c 'mkdir /x && echo mkdir-x-ok; [ -d /x ] || echo x-absent; mkdir /tmp/y && [ -d /tmp/y ] && echo y-created; sleep 5'
	id=$(new_id)
	rt_ok run -d --bundle "$b" "$id"; rt_state "$id"
	local i=0; while [ $i -lt 100 ] && ! grep -q 'mkdir.*tmp/y' "$log"; do sleep 0.05; i=$((i + 1)); done
	run_rt exec "$id" sh -c 'mkdir /x && [ ! -d /x ] && echo exec-emulated'
	assert_eq "$RT_OUT" exec-emulated "exec'd process under the agent"
	rt_ok kill "$id" KILL; wait_status "$id" stopped; rt_ok delete "$id"
	kill "$apid"; wait "$apid" 2>/dev/null || true
	local text; text=$(cat "$log")
	assert_contains "$text" '"metadata":"berth-test-metadata"' "listenerMetadata sent"
	assert_contains "$text" '"fds":["seccompFd"]' "fds names"
	assert_contains "$text" "\"id\":\"$id\"" "state sent"
	assert_contains "$text" '"status":"creating"' "init state is creating"
	assert_match "$text" 'mkdir[a-z]* pid=[0-9]+ path=/x -> emulated' "mkdir /x emulated"
	assert_match "$text" 'mkdir[a-z]* pid=[0-9]+ path=/tmp/y -> continue' "mkdir /tmp/y continued"
	assert_file "$b/rootfs/tmp/y" "mkdir /tmp/y really ran"
	assert_no_file "$b/rootfs/x" "mkdir /x was emulated"
}

# ----------------------------------------------------------------------------------------------- LSM
# No AppArmor/SELinux here: as runc, an AppArmor profile is ignored, an SELinux process label is a clear
# one-line error (create and exec), a mount label is ignored.
t_lsm_labels_without_lsm() {
	local b id
	[ -e /sys/fs/selinux/enforce ] && t_skip "SELinux is enabled on this host"
	[ -e /sys/kernel/security/apparmor ] && grep -q Y /sys/module/apparmor/parameters/enabled 2>/dev/null && t_skip "AppArmor is enabled"
	b=$TD/b; make_bundle "$b"
	bundle_jq "$b" '.process.apparmorProfile = "berth-test-profile" | .linux.mountLabel = "system_u:object_r:container_file_t:s0"'
	set_args "$b" sh -c 'cat /proc/self/attr/current 2>/dev/null; echo ran'
	rt_ok run --bundle "$b" "$(new_id)"
	assert_contains "$RT_OUT" ran "apparmorProfile and mountLabel ignored"
	bundle_jq "$b" '.process.selinuxLabel = "system_u:system_r:container_t:s0"'
	assert_fails_with 'selinuxLabel.*SELinux is disabled or not supported' create --bundle "$b" "$(new_id)"
	bundle_jq "$b" 'del(.process.selinuxLabel)'
	set_args "$b" sleep 10
	id=$(new_id); rt_ok run -d --bundle "$b" "$id"; rt_state "$id"
	assert_fails_with 'selinuxLabel.*SELinux is disabled' exec --process-label "system_u:system_r:container_t:s0" "$id" true
	rt_ok exec --apparmor berth-other-profile "$id" true
	rt_ok delete -f "$id"
}

# ------------------------------------------------------------------------------- ID / path traversal
t_id_traversal() {
	local b id
	b=$TD/b; make_bundle "$b"
	mkdir -p "$TD/victim"
	for id in ../../victim ../x a/b /abs . .. "" -x .hidden "a b" "x$(printf '%0300d' 0)" 'a\b' "a:b"; do
		assert_fails_with 'id|name|invalid|container' create --bundle "$b" -- "$id"
	done
	assert_eq "$(ls -A "$TD/victim")" "" "victim dir untouched"
	# The state dir pre-created as a symlink: create must refuse and not write through it.
	id=$(new_id)
	ln -s "$TD/victim" "$T_ROOT/$id"
	rt_fails create --bundle "$b" "$id"
	assert_eq "$(ls -A "$TD/victim")" "" "create wrote through a symlinked state dir"
	# state/delete of a symlinked state dir with a forged state.json never act on it.
	echo '{"id":"forged","pid":1,"bundle":"/","rootfs":"/"}' >"$TD/victim/state.json"
	run_rt state "$id"; assert_ne "$RT_RC" 0 "state through a symlinked state dir"
	run_rt delete -f "$id"
	assert_file "$TD/victim/state.json" "delete removed a file through the symlink"
	rm -f "$T_ROOT/$id"
	rm -rf "${TD:?}/victim"/*
	# --root itself through a symlink still works but an ID never escapes it.
	return 0
}

sec_run "CVE-2019-5736: container cannot overwrite the runtime binary via /proc/self/exe" t_cve_2019_5736
sec_run "CVE-2016-9962: waiting init is not ptrace-able from the container" t_cve_2016_9962
sec_run "CVE-2019-16884: procfs writes ignore an image's fake /proc" t_cve_2019_16884
sec_run "CVE-2019-19921/2023-27561/2023-28642: /proc and /sys symlinks refused" t_proc_sys_symlink
sec_run "CVE-2021-30465: bind destination symlink (and swap race) stays inside" t_cve_2021_30465
sec_run "CVE-2022-29162: no inheritable capabilities from exec --cap or the template" t_cve_2022_29162
sec_run "CVE-2023-25809: /sys/fs/cgroup not writable without a cgroup namespace" t_cve_2023_25809
sec_run "CVE-2024-21626: cwd /proc/self/fd/N never reaches the host" t_cve_2024_21626
sec_run "CVE-2024-21626: container sees only stdio and preserved fds" t_only_stdio_and_preserved_fds
sec_run "CVE-2024-45310: no directories created on the host through symlinks" t_cve_2024_45310
sec_run "CVE-2025-31133: masking uses the real /dev/null" t_cve_2025_31133
sec_run "CVE-2025-52565: console is the real pty peer" t_cve_2025_52565
sec_run "CVE-2025-52881: sysctl names cannot leave /proc/sys" t_cve_2025_52881
sec_run "CVE-2026-41579: image /dev symlinks do not redirect /dev setup" t_cve_2026_41579
sec_run "container ID and state dir traversal refused" t_id_traversal
sec_run "LSM labels on a host without AppArmor/SELinux behave as runc" t_lsm_labels_without_lsm
sec_run "seccomp: Podman's default profile" t_seccomp_podman_profile
sec_run "seccomp notify: listenerPath agent answers notifications" t_seccomp_notify_agent
t_done
