#!/bin/bash
# Bad input: non-zero exit, a message naming the field/argument (one line for berth), nothing left behind
# (the leak check after every test covers state dirs, mounts, processes and cgroups).
source "$(dirname "$0")/../lib/tap.sh"

# bad_config NAME PATTERN JQ-FILTER: create with an edited config must fail with PATTERN on stderr.
bad_config() {
	local b=$TD/b; make_bundle "$b"
	bundle_jq "$b" "$2"
	assert_fails_with "$1" create --bundle "$b" "$(new_id)"
	local left; left=$(ls -A "$T_ROOT"); assert_eq "$left" "" "state root empty"
}

t_missing_bundle() { assert_fails_with 'no such file|not found|does not exist|bundle' create --bundle "$TD/nope" "$(new_id)"; }
t_missing_config() { mkdir -p "$TD/b"; assert_fails_with 'config.json' create --bundle "$TD/b" "$(new_id)"; }
t_invalid_json() {
	local b=$TD/b; make_bundle "$b"; echo '{"ociVersion": "1.0.2", ' >"$b/config.json"
	assert_fails_with 'json|config|unexpected|EOF' create --bundle "$b" "$(new_id)"
}
t_missing_rootfs() {
	local b=$TD/b; make_bundle "$b"; rm -rf "$b/rootfs"
	assert_fails_with 'rootfs|root|no such file' create --bundle "$b" "$(new_id)"
}
t_empty_args() { bad_config 'args' '.process.args = []'; }
t_unknown_ns() { bad_config 'namespace|bogus' '.linux.namespaces += [{"type": "bogus"}]'; }
t_mapping_without_userns() {
	bad_config 'mapping|user' '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
}
t_relative_cwd() { bad_config 'cwd' '.process.cwd = "relative/dir"'; }
t_unknown_cap() { bad_config 'CAP_BOGUS|capabilit' '.process.capabilities.bounding += ["CAP_BOGUS"] | .process.capabilities.effective += ["CAP_BOGUS"]'; }
t_unknown_rlimit() { bad_config 'RLIMIT_BOGUS|rlimit' '.process.rlimits += [{"type": "RLIMIT_BOGUS", "hard": 1, "soft": 1}]'; }
t_bad_oom() { bad_config 'oomScoreAdj|oom' '.process.oomScoreAdj = 5000'; }
t_missing_process() { bad_config 'process' 'del(.process)'; }
t_ns_path_missing() { bad_config 'namespace|no such file|/nonexistent' '.linux.namespaces = [.linux.namespaces[] | if .type == "network" then .path = "/nonexistent/ns" else . end]'; }

t_unknown_command() { assert_fails_with 'frobnicate|command' frobnicate; }
t_unknown_flag() {
	local b=$TD/b; make_bundle "$b"
	assert_fails_with 'no-such-flag|flag|option' create --no-such-flag --bundle "$b" "$(new_id)"
}
t_missing_id() {
	local b=$TD/b; make_bundle "$b"
	local cmd
	assert_fails_with 'id|argument|usage' create --bundle "$b"
	for cmd in start state delete kill; do
		assert_fails_with 'id|argument|usage' "$cmd"
	done
}
t_bad_signal() {
	local b=$TD/b id; id=$(new_id); make_bundle "$b"; set_args "$b" sleep 100
	rt_ok run -d --bundle "$b" "$id"; rt_state "$id"
	assert_fails_with 'signal|SIGBOGUS|BOGUS' kill "$id" SIGBOGUS
	assert_fails_with 'signal|999' kill "$id" 999
	rt_state "$id"; assert_eq "$(jq -r .status <<<"$STATE")" running "still running after bad kill"
	rt_ok delete --force "$id"
}
# delete of an unknown ID fails; with --force it succeeds quietly, as runc and crun (containerd's shim
# deletes with --force after the container is gone); a bad ID still fails with --force (berth, runc).
t_delete_unknown() {
	assert_fails_with 'not exist|no such|unknown|not found' delete "nope-$$"
	run_rt delete --force "nope-$$"
	[ "$RT_RC" = 0 ] && [ -z "$RT_OUT$RT_ERR" ] || t_fail "delete --force of an unknown ID: exit $RT_RC" "$RT_OUT$RT_ERR"
	run_rt --root "$TD/no-such-root" delete --force "nope-$$"
	[ "$RT_RC" = 0 ] || t_fail "delete --force with a missing --root: exit $RT_RC" "$RT_ERR"
	[ "$T_RT_KIND" != berth ] || assert_fails_with 'invalid|must|container ID' delete --force "../nope"
}
t_state_unknown() { assert_fails_with 'not exist|no such|unknown|not found' state "nope-$$"; }

# Berth-only strictness (runc ignores these).
t_unknown_cap_berth() { bad_config '\.process\.capabilities.*CAP_BOGUS' '.process.capabilities.bounding += ["CAP_BOGUS"]'; }
t_field_named_berth() { bad_config '\.process\.args' '.process.args = []'; }
t_bad_mount_dest_berth() { bad_config '\.mounts\[[0-9]+\]\.destination' '.mounts += [{"type": "tmpfs", "source": "tmpfs"}]'; }

t_run "missing bundle" t_missing_bundle
t_run "missing config.json" t_missing_config
t_run "invalid JSON" t_invalid_json
t_run "missing rootfs" t_missing_rootfs
t_run "empty process.args" t_empty_args
t_run "unknown namespace type" t_unknown_ns
t_run "uid mapping without a user namespace (runc ignores it)" t_mapping_without_userns berth_only
t_run "relative process.cwd" t_relative_cwd
t_run "unknown capability (runc 1.1 ignores it)" t_unknown_cap berth_only
t_run "unknown rlimit" t_unknown_rlimit
t_run "oomScoreAdj out of range" t_bad_oom
t_run "missing process" t_missing_process
t_run "namespace path that does not exist" t_ns_path_missing
t_run "unknown command" t_unknown_command
t_run "unknown flag" t_unknown_flag
t_run "missing ID argument" t_missing_id
t_run "bad signal for kill" t_bad_signal
t_run "delete of an unknown ID (and --force: exit 0)" t_delete_unknown
t_run "state of an unknown ID" t_state_unknown
t_run "unknown capability names .process.capabilities" t_unknown_cap_berth berth_only
t_run "error names the JSON path (.process.args)" t_field_named_berth berth_only
t_run "mount without destination names .mounts[N].destination" t_bad_mount_dest_berth berth_only
t_done
