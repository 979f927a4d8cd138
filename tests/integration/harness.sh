#!/bin/bash
# Self-test of tests/lib/tap.sh: its assertions and leak check must catch what they claim to catch.
# Each case runs a tiny TAP file that leaks one thing on purpose and checks it is reported "not ok" with
# the right LEAK line (and that the harness then cleaned up).
source "$(dirname "$0")/../lib/tap.sh"

# child BODY: run a one-test TAP file whose test function has BODY; output in CHILD_OUT.
child() {
	local f=$TD/child.sh
	cat >"$f" <<CHILD
#!/bin/bash
source "$T_LIB_DIR/tap.sh"
t_case() {
$1
}
t_run case t_case
t_done
CHILD
	CHILD_OUT=$(BERTH_TEST_RUNTIME= TMPDIR=$TD T_TEST_TIMEOUT=${CHILD_TIMEOUT:-} bash "$f" 2>&1) || true
}
expect_not_ok() {
	assert_contains "$CHILD_OUT" "not ok 1 - case" "case reported as failed"
	[ -z "${1:-}" ] || assert_contains "$CHILD_OUT" "$1" "reported reason"
	local left; left=$(ls -A "$TD" | grep -v '^child.sh$' || true)
	assert_eq "$left" "" "child cleaned up its work dir"
}

t_pass() { child 'true'; assert_contains "$CHILD_OUT" "ok 1 - case"; assert_not_contains "$CHILD_OUT" "not ok"; }
t_assert_fails() { child 'assert_eq a b "the check"'; expect_not_ok "the check: got 'a', expected 'b'"; }
t_command_fails() { child 'false'; expect_not_ok "failed at"; }
t_leak_state() {
	child 'local b=$TD/b; make_bundle $b; set_args $b sleep 100; rt_ok run -d --bundle $b leak-state'
	expect_not_ok "containers left in --root: leak-state"
}
t_leak_mount() { child 'mkdir $TD/m; mount -t tmpfs none $TD/m'; expect_not_ok "new mount:"; }
t_leak_process() {
	# a container under another --root: only the process scan can see it
	child 'local b=$TD/b; make_bundle $b; set_args $b sleep 100; "$BERTH" --root $TD/other run -d --bundle $b hidden >/dev/null'
	expect_not_ok "processes rooted in the test dir"
}
t_leak_cgroup() { child 'local m; for m in $(t_cgroup_mounts); do mkdir -p $m$T_CG_BASE/stray; break; done'; expect_not_ok "cgroups left"; }
t_timeout() {
	# A hung test (and what it started) is killed after T_TEST_TIMEOUT; it alone fails.
	local mark=$TD.sleeper t0=$SECONDS
	CHILD_TIMEOUT=4 child "sleep 300 & echo \$! >$mark; wait"
	expect_not_ok "TIMEOUT: the test ran longer than 4 s"
	assert_contains "$CHILD_OUT" "1..1" "the file went on to its end"
	[ $((SECONDS - t0)) -lt 60 ] || t_fail "the child took $((SECONDS - t0)) s"
	local pid; pid=$(cat "$mark"); rm -f "$mark"
	! t_alive "$pid" || { kill -9 "$pid"; t_fail "the test's background process $pid survived"; }
}

t_run "a passing test is ok" t_pass
t_run "a failed assertion is not ok with its message" t_assert_fails
t_run "a failing command is not ok" t_command_fails
t_run "leak check: container left in --root" t_leak_state
t_run "leak check: mount left under the work dir" t_leak_mount
t_run "leak check: container process outside the root" t_leak_process
t_run "leak check: cgroup left" t_leak_cgroup
t_run "T_TEST_TIMEOUT kills a hung test and its processes" t_timeout
t_done
