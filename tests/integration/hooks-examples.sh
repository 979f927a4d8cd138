#!/bin/bash
# hooks-examples/: the netns-veth and poststop-cleanup hooks in real containers.
source "$(dirname "$0")/../lib/tap.sh"
EX=$T_TOP/hooks-examples

t_veth() {
	command -v ip >/dev/null || t_skip "iproute2 not installed"
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	# a /30 unlikely to clash: 10.200.<pid-derived>.x
	local n=$(( $$ % 250 )) hif
	bundle_jq "$b" --arg c "$EX/netns-veth/create-veth.sh" --arg r "$EX/netns-veth/remove-veth.sh" \
		--arg ha "10.200.$n.1/30" --arg ca "10.200.$n.2/30" \
		'.hooks = {"createRuntime": [{"path": $c, "env": ["VETH_HOST_ADDR=" + $ha, "VETH_CONTAINER_ADDR=" + $ca]}], "poststop": [{"path": $r}]}
		 | .process.capabilities.bounding += ["CAP_NET_RAW"] | .process.capabilities.effective += ["CAP_NET_RAW"] | .process.capabilities.permitted += ["CAP_NET_RAW"]'
	set_args "$b" sh -c "ip -o -4 addr show eth0; ping -c1 -W2 10.200.$n.1"
	hif=bv$(printf '%s' "$id" | sha256sum | cut -c1-10)
	rt_ok create --bundle "$b" "$id"; rt_state "$id"
	ip link show "$hif" >/dev/null || t_fail "host veth $hif missing after create"
	assert_contains "$(ip -o -4 addr show "$hif")" "10.200.$n.1/30" "host address"
	"$BERTH" --root "$T_ROOT" start "$id"
	wait_status "$id" stopped
	rt_ok delete "$id"
	ip link show "$hif" >/dev/null 2>&1 && { ip link del "$hif"; t_fail "host veth $hif left after delete"; }
	true
}
# with `run`, capture the container's output for the ping result
t_veth_ping() {
	command -v ip >/dev/null || t_skip "iproute2 not installed"
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	local n=$(( ($$ + 1) % 250 )) hif
	bundle_jq "$b" --arg c "$EX/netns-veth/create-veth.sh" --arg r "$EX/netns-veth/remove-veth.sh" \
		--arg ha "10.200.$n.1/30" --arg ca "10.200.$n.2/30" \
		'.hooks = {"createRuntime": [{"path": $c, "env": ["VETH_HOST_ADDR=" + $ha, "VETH_CONTAINER_ADDR=" + $ca]}], "poststop": [{"path": $r}]}
		 | .process.capabilities.bounding += ["CAP_NET_RAW"] | .process.capabilities.effective += ["CAP_NET_RAW"] | .process.capabilities.permitted += ["CAP_NET_RAW"]'
	set_args "$b" sh -c "ip -o -4 addr show eth0; ping -c1 -W2 10.200.$n.1"
	hif=bv$(printf '%s' "$id" | sha256sum | cut -c1-10)
	rt_ok run --bundle "$b" "$id"
	assert_contains "$RT_OUT" "10.200.$n.2/30" "container address on eth0"
	assert_contains "$RT_OUT" "1 packets received" "ping of the host end"
	ip link show "$hif" >/dev/null 2>&1 && { ip link del "$hif"; t_fail "host veth $hif left after run"; }
	true
}
t_veth_fails_without_netns() {
	command -v ip >/dev/null || t_skip "iproute2 not installed"
	local b=$TD/b id; id=$(new_id); make_bundle "$b"
	bundle_jq "$b" --arg c "$EX/netns-veth/create-veth.sh" \
		'.hooks = {"createRuntime": [{"path": $c}]} | .linux.namespaces = [.linux.namespaces[] | select(.type != "network")]'
	rt_fails create --bundle "$b" "$id"
	local left; left=$(ls -A "$T_ROOT"); assert_eq "$left" "" "state root empty"
}
t_cleanup_dir() {
	local b=$TD/b id base=$TD/scratch; id=$(new_id); make_bundle "$b"
	bundle_jq "$b" --arg m "$EX/poststop-cleanup/make-dir.sh" --arg r "$EX/poststop-cleanup/remove-dir.sh" --arg base "$base" \
		'.hooks = {"createRuntime": [{"path": $m, "args": ["make-dir.sh", $base]}], "poststop": [{"path": $r, "args": ["remove-dir.sh", $base]}]}'
	rt_ok create --bundle "$b" "$id"; rt_state "$id"
	[ -d "$base/$id" ] || t_fail "$base/$id not created"
	rt_ok start "$id"; wait_status "$id" stopped
	rt_ok delete "$id"
	assert_no_file "$base/$id" "per-container dir removed"
	assert_no_file "$base" "empty base removed"
}

t_run "netns-veth: veth made by createRuntime, removed by poststop" t_veth
t_run "netns-veth: container pings the host end" t_veth_ping
t_run "netns-veth: refuses a container without its own netns" t_veth_fails_without_netns
t_run "poststop-cleanup: per-container dir made and removed" t_cleanup_dir
t_done
