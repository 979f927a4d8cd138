#!/bin/bash
# Hooks: each kind runs at its step with the state JSON on stdin, args and env are passed, timeouts and
# failures behave as the runtime-spec says.
source "$(dirname "$0")/../lib/tap.sh"

# hook PHASE [EXTRA-SCRIPT]: a hook object that appends PHASE to <log dir>/log and saves its stdin.
# Host-side hooks write to $TD/hl; startContainer runs inside the container, where $TD/hl is bind-mounted
# at /hl.
hook() {
	local phase=$1 extra=${2:-} dir=$TD/hl
	[ "$phase" = startContainer ] && dir=/hl
	jq -nc --arg p "$phase" --arg d "$dir" --arg x "$extra" '{
		path: "/bin/sh",
		args: ["sh", "-c", ("cat > " + $d + "/" + $p + ".json; echo \"" + $p + " $0 $1 $HOOK_PHASE\" >> " + $d + "/log; " + $x), "arg0", "arg1"],
		env: ["HOOK_PHASE=env-" + $p, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
	}'
}

hooked_bundle() {
	B=$TD/b; make_bundle "$B"; mkdir -p "$TD/hl"; chmod 777 "$TD/hl"
	bundle_jq "$B" --arg hl "$TD/hl" '.mounts += [{"destination": "/hl", "type": "bind", "source": $hl, "options": ["rbind"]}]'
}
phases() { [ -f "$TD/hl/log" ] && awk '{ print $1 }' "$TD/hl/log" | tr '\n' ' '; }

t_all_hooks() {
	hooked_bundle
	local p
	for p in prestart createRuntime createContainer startContainer poststart poststop; do
		bundle_jq "$B" --arg p "$p" --argjson h "$(hook "$p")" '.hooks[$p] = [$h]'
	done
	set_args "$B" sh -c 'echo container-ran >> /hl/log; sleep 0.5'
	local id; id=$(new_id)
	rt_ok create --bundle "$B" "$id"; rt_state "$id"
	local pid; pid=$(jq -r .pid <<<"$STATE")
	local after_create; after_create=$(phases)
	if [ "$T_RT_KIND" = runc ]; then
		# runc 1.1 runs poststart during create (fixed in 1.2)
		assert_match "$after_create" '^prestart createRuntime createContainer ' "hooks run by create"
	else
		assert_eq "$after_create" "prestart createRuntime createContainer " "hooks run by create"
	fi
	rt_ok start "$id"
	wait_status "$id" stopped 10
	assert_match "$(phases)" 'startContainer container-ran' "startContainer runs right before the process"
	assert_contains "$(phases)" poststart
	assert_not_contains "$(phases)" poststop "poststop must wait for delete"
	rt_ok delete "$id"
	assert_match "$(phases)" 'poststop $' "poststop after delete"
	# state on stdin
	for p in prestart createRuntime createContainer startContainer poststart poststop; do
		local js=$TD/hl/$p.json
		jq -e . "$js" >/dev/null || t_fail "$p: stdin is not state JSON: $(cat "$js")"
		assert_eq "$(jq -r .id "$js")" "$id" "$p: id"
		assert_eq "$(jq -r .bundle "$js")" "$B" "$p: bundle"
		assert_match "$(jq -r .ociVersion "$js")" '^1\.' "$p: ociVersion"
	done
	assert_eq "$(jq -r .pid "$TD/hl/createRuntime.json")" "$pid" "createRuntime: pid"
	assert_eq "$(jq -r .status "$TD/hl/poststop.json")" stopped "poststop: status"
	if [ "$T_RT_KIND" != runc ]; then
		# runtime-spec: creating during create, created before start, running after it.
		assert_eq "$(jq -r .status "$TD/hl/createRuntime.json")" creating "createRuntime: status"
		assert_eq "$(jq -r .status "$TD/hl/createContainer.json")" creating "createContainer: status"
		assert_eq "$(jq -r .status "$TD/hl/startContainer.json")" created "startContainer: status"
		assert_eq "$(jq -r .status "$TD/hl/poststart.json")" running "poststart: status"
	fi
	# args and env
	assert_contains "$(grep '^prestart' "$TD/hl/log")" "prestart arg0 arg1 env-prestart" "args/env of prestart"
	assert_contains "$(grep '^poststop' "$TD/hl/log")" "poststop arg0 arg1 env-poststop" "args/env of poststop"
}

t_hook_order() {
	hooked_bundle
	bundle_jq "$B" --argjson a "$(hook one)" --argjson b "$(hook two)" --argjson c "$(hook three)" '.hooks.createRuntime = [$a, $b, $c]'
	set_args "$B" true
	rt_ok run --bundle "$B" "$(new_id)"
	assert_eq "$(phases)" "one two three " "hooks of one kind run in order"
}

# create must fail, leave nothing behind, and not leave the container process.
t_failing_hook() {
	local kind=$1
	hooked_bundle
	bundle_jq "$B" --arg k "$kind" --argjson h "$(hook "$kind" 'exit 7')" '.hooks[$k] = [$h]'
	set_args "$B" sh -c 'echo container-ran >> /hl/log'
	local id; id=$(new_id)
	rt_fails create --bundle "$B" "$id"
	assert_contains "$(phases)" "$kind" "hook ran"
	rt_fails state "$id"
	local left; left=$(ls -A "$T_ROOT"); assert_eq "$left" "" "state root empty"
}
t_failing_prestart() { t_failing_hook prestart; }
t_failing_createRuntime() { t_failing_hook createRuntime; }
t_failing_createContainer() { t_failing_hook createContainer; }

# t_hook_timeout [exec]: with "exec" the hook process itself sleeps; without, a child of the hook does
# (a runtime must kill the hook's whole process group: runc 1.1 waits for the child's stdout instead).
t_hook_timeout() {
	hooked_bundle
	local naptime=29.$((RANDOM % 1000))
	bundle_jq "$B" --argjson h "$(hook prestart "${1:-} sleep $naptime")" '.hooks.prestart = [$h | .timeout = 1]'
	local id t0 t1; id=$(new_id)
	t0=$(date +%s)
	rt_fails create --bundle "$B" "$id"
	t1=$(date +%s)
	[ $((t1 - t0)) -lt 10 ] || t_fail "create took $((t1 - t0)) s with a 1 s hook timeout"
	local left; left=$(ls -A "$T_ROOT"); assert_eq "$left" "" "state root empty"
	sleep 0.2
	local p; p=$(pgrep -f "sleep $naptime" || true)
	if [ -n "$p" ]; then kill $p; t_fail "hook process survived its timeout: $p"; fi
}

t_hook_timeout_exec() { t_hook_timeout exec; }

t_failing_poststart_warns() {
	hooked_bundle
	bundle_jq "$B" --argjson h "$(hook poststart 'exit 1')" '.hooks.poststart = [$h]'
	set_args "$B" sleep 1
	local id; id=$(new_id)
	rt_ok create --bundle "$B" "$id"; rt_state "$id"
	rt_ok start "$id"
	rt_state "$id"
	rt_ok delete --force "$id"
}
t_failing_poststop_warns() {
	hooked_bundle
	bundle_jq "$B" --argjson h "$(hook poststop 'exit 1')" '.hooks.poststop = [$h]'
	set_args "$B" true
	local id; id=$(new_id)
	rt_ok create --bundle "$B" "$id"; rt_state "$id"
	rt_ok start "$id"
	wait_status "$id" stopped
	rt_ok delete "$id"
	assert_contains "$(phases)" poststop
	rt_fails state "$id"
}

t_run "every hook kind runs at its step with state on stdin, args and env" t_all_hooks
t_run "hooks of one kind run in order" t_hook_order
t_run "failing prestart aborts create, leaves nothing" t_failing_prestart
t_run "failing createRuntime aborts create, leaves nothing" t_failing_createRuntime
t_run "failing createContainer aborts create, leaves nothing" t_failing_createContainer
t_run "hook timeout kills the hook and fails create" t_hook_timeout_exec
t_run "hook timeout kills the hook's children too (runc 1.1 waits for them)" t_hook_timeout berth_only
t_run "failing poststart only warns (runc 1.1 errors)" t_failing_poststart_warns berth_only
t_run "failing poststop only warns (runc 1.1 errors)" t_failing_poststop_warns berth_only
t_done
