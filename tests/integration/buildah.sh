#!/bin/bash
# Debian's buildah (1.28) with `--runtime`, once with /usr/bin/runc and once with $BERTH: `buildah run`
# and the RUN steps of `buildah bud`, the runtime driven by an image builder none of us wrote. Private
# storage (vfs) under the test dir, a base image committed from the busybox rootfs (no registry), the
# build containers' cgroup in $T_CG_BASE (--cgroup-parent), the runtime's state in $T_ROOT (--runtime-flag).
source "$(dirname "$0")/../lib/tap.sh"

BH_DIR=$T_WORK/buildah
BH_STORAGE=(--root "$BH_DIR/root" --runroot "$BH_DIR/runroot" --storage-driver vfs)
bh() { timeout 120 buildah "${BH_STORAGE[@]}" "$@"; }
# The runtime under test, with its state in $T_ROOT (set per runtime at the bottom).
BH_RUNTIME=()

bh_setup() {
	mkdir -p "$BH_DIR/ctx"
	"$T_LIB_DIR/make-rootfs.sh" "$BH_DIR/rootfs" >/dev/null
	local c
	c=$(bh from --cgroup-parent "$T_CG_BASE/build" scratch) || bail "buildah from scratch failed"
	bh copy "$c" "$BH_DIR/rootfs/" / >/dev/null && bh commit "$c" localhost/berth-test:bb >/dev/null 2>&1 \
		|| bail "buildah: committing the busybox rootfs failed"
	bh rm "$c" >/dev/null
}

# bh_container: a working container of the base image, its cgroup ours.
bh_container() { bh from --cgroup-parent "$T_CG_BASE/build" localhost/berth-test:bb; }

t_bh_run() {
	local c out rc=0; c=$(bh_container)
	mkdir -p "$BH_DIR/vol"; echo volfile >"$BH_DIR/vol/f"
	out=$(bh run "${BH_RUNTIME[@]}" -v "$BH_DIR/vol:/vol:ro" --network none "$c" -- \
		sh -c 'echo "out $(cat /vol/f) $(ls /sys/class/net)"; touch /vol/x 2>/dev/null || echo ro; echo err >&2; exit 7' \
		2>"$BH_DIR/stderr") || rc=$?
	assert_eq "$rc" 7 "buildah run exit code"
	assert_eq "$(tr '\n' ' ' <<<"$out")" "out volfile lo ro " "stdout"
	assert_eq "$(grep -v '^Error: ' "$BH_DIR/stderr")" err "stderr"
	if command -v script >/dev/null; then
		out=$(timeout 60 script -qec "$(printf '%q ' buildah "${BH_STORAGE[@]}" run "${BH_RUNTIME[@]}" -t "$c" -- tty)" /dev/null </dev/null 2>&1 | tr -d '\r\0') || true
		grep -q '/dev/pts/[0-9]' <<<"$out" || t_fail "buildah run -t: no pty:" "$out"
	fi
	bh rm "$c" >/dev/null
}

t_bh_bud() {
	local tag; tag=localhost/berth-out:$(basename "$BH_RT")
	printf '%s\n' 'FROM localhost/berth-test:bb' 'RUN echo built > /built && id -u > /uid' \
		'RUN ["sh", "-c", "echo step2 $(cat /built /uid)"]' >"$BH_DIR/ctx/Containerfile"
	local out rc=0
	out=$(bh bud "${BH_RUNTIME[@]}" --cgroup-parent "$T_CG_BASE/build" -t "$tag" "$BH_DIR/ctx" 2>&1) || rc=$?
	assert_eq "$rc" 0 "bud exit code (output: $out)"
	grep -qx "step2 built 0" <<<"$out" || t_fail "the second RUN step did not see the first's files:" "$out"
	# A failing RUN step fails the build with its status.
	printf '%s\n' 'FROM localhost/berth-test:bb' 'RUN exit 3' >"$BH_DIR/ctx/Containerfile"
	rc=0; out=$(bh bud "${BH_RUNTIME[@]}" --cgroup-parent "$T_CG_BASE/build" "$BH_DIR/ctx" 2>&1) || rc=$?
	assert_ne "$rc" 0 "bud with a failing RUN"
	grep -q "exit status 3" <<<"$out" || t_fail "the RUN step's status is not reported:" "$out"
	# The built image holds the first step's file.
	local c; c=$(bh from --cgroup-parent "$T_CG_BASE/build" "$tag")
	assert_eq "$(bh run "${BH_RUNTIME[@]}" "$c" -- cat /built)" built "file in the built image"
	bh rm "$c" >/dev/null
}

command -v buildah >/dev/null || bail "buildah not installed"
bh_setup
for BH_RT in /usr/bin/runc "$BERTH"; do
	rtn=$(basename "$BH_RT")
	BH_RUNTIME=(--runtime "$BH_RT" --runtime-flag "root=$T_ROOT")
	t_run "buildah/$rtn: run (exit code, output, ro volume, --network none, -t)" t_bh_run
	t_run "buildah/$rtn: bud RUN steps (files carried over, failing step's status)" t_bh_bud
done
t_done
