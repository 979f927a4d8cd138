#!/bin/bash
# `spec`: default config.json, --rootless, --bundle, refusal to overwrite.
source "$(dirname "$0")/../lib/tap.sh"

t_spec_default() {
	mkdir -p "$TD/s"
	(cd "$TD/s" && "$BERTH" spec) || t_fail "spec failed"
	local c=$TD/s/config.json
	jq -e . "$c" >/dev/null || t_fail "config.json is not valid JSON"
	assert_match "$(jq -r .ociVersion "$c")" '^1\.' ociVersion
	assert_eq "$(jq -r '.root.path' "$c")" rootfs root.path
	assert_eq "$(jq -r '.process.args | length > 0' "$c")" true "process.args non-empty"
	assert_eq "$(jq -r '.process.cwd' "$c")" / cwd
	assert_eq "$(jq -r '.process.capabilities.inheritable // [] | length' "$c")" 0 "no inheritable capabilities"
	assert_eq "$(jq -r '[.linux.namespaces[].type] | sort | join(",")' "$c")" "ipc,mount,network,pid,uts" namespaces
	assert_eq "$(jq -r '[.mounts[].destination] | index("/proc") != null' "$c")" true "/proc mount"
	assert_eq "$(jq -r '.linux.maskedPaths | index("/proc/kcore") != null' "$c")" true "maskedPaths"
}

t_spec_bundle_flag() {
	mkdir -p "$TD/bun"
	"$BERTH" spec --bundle "$TD/bun" || t_fail "spec --bundle failed"
	jq -e . "$TD/bun/config.json" >/dev/null
	assert_no_file "$TD/config.json" "spec --bundle wrote into the cwd"
}

t_spec_rootless() {
	mkdir -p "$TD/r"
	(cd "$TD/r" && "$BERTH" spec --rootless) || t_fail "spec --rootless failed"
	local c=$TD/r/config.json
	assert_eq "$(jq -r '[.linux.namespaces[].type] | index("user") != null' "$c")" true "user namespace"
	assert_eq "$(jq -r '.linux.uidMappings | length' "$c")" 1 uidMappings
	assert_eq "$(jq -r '.linux.gidMappings | length' "$c")" 1 gidMappings
	assert_eq "$(jq -r '.linux.uidMappings[0].containerID' "$c")" 0 "maps container root"
	assert_eq "$(jq -r '.linux.resources // {} | has("devices")' "$c")" false "no device cgroup rules"
	assert_eq "$(jq -r '[.mounts[] | select(.destination == "/sys") | .options[]] | index("rbind") != null' "$c")" true "/sys is a bind mount"
}

t_spec_no_overwrite() {
	mkdir -p "$TD/o"; echo '{"keep":1}' >"$TD/o/config.json"
	(cd "$TD/o" && "$BERTH" spec) 2>"$TD/err" && t_fail "spec overwrote an existing config.json"
	assert_contains "$(cat "$TD/err")" config.json "message names the file"
	assert_eq "$(jq -c . "$TD/o/config.json")" '{"keep":1}' "existing file untouched"
}

t_spec_runs() {
	# The default spec (with our test edits) runs a container.
	local b=$TD/b; make_bundle "$b"
	set_args "$b" sh -c 'echo hello'
	rt_ok run --bundle "$b" "$(new_id)"
	assert_eq "$RT_OUT" hello
}

t_run "spec writes a valid default config.json without inheritable caps" t_spec_default
t_run "spec --bundle DIR" t_spec_bundle_flag
t_run "spec --rootless" t_spec_rootless
t_run "spec refuses to overwrite config.json" t_spec_no_overwrite
t_run "default spec runs" t_spec_runs
t_done
