#!/bin/sh
# createRuntime hook: give the container a veth pair into the host's network namespace.
#
# Reads the OCI state JSON from stdin (needs .id and .pid), creates veth HOST_IF <-> eth0 with the
# container end moved into /proc/PID/ns/net, assigns a private /30 and brings both ends (and the
# container's lo) up. No routing/NAT: traffic stays between the host end and the container.
#
# Environment (set them in the hook's "env"):
#   VETH_HOST_ADDR       host end,      default 10.200.0.1/30
#   VETH_CONTAINER_ADDR  container end, default 10.200.0.2/30
#   VETH_CONTAINER_IF    name inside,   default eth0
#   VETH_HOST_IF         host name,     default bv<hash of the container ID>
# Needs iproute2 and nsenter (util-linux); jq is used when present.
set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin
. "$(dirname "$0")/veth-name.sh"
host_addr=${VETH_HOST_ADDR:-10.200.0.1/30}
ctr_addr=${VETH_CONTAINER_ADDR:-10.200.0.2/30}
ctr_if=${VETH_CONTAINER_IF:-eth0}

[ "${STATE_PID:-0}" -gt 0 ] || { echo "netns-veth: no pid in the state on stdin" >&2; exit 1; }
netns=/proc/$STATE_PID/ns/net
[ -e "$netns" ] || { echo "netns-veth: $netns does not exist" >&2; exit 1; }
if [ "$(readlink "$netns")" = "$(readlink /proc/self/ns/net)" ]; then
	echo "netns-veth: the container shares the host network namespace" >&2; exit 1
fi

ip link add "$HOST_IF" type veth peer name "$PEER_IF"
# From here on, undo on failure so a failed create leaves no interface behind.
trap 'ip link del "$HOST_IF" 2>/dev/null || true' EXIT
ip link set "$PEER_IF" netns "$STATE_PID"
nsenter --net="$netns" ip link set "$PEER_IF" name "$ctr_if"
nsenter --net="$netns" ip addr add "$ctr_addr" dev "$ctr_if"
nsenter --net="$netns" ip link set lo up
nsenter --net="$netns" ip link set "$ctr_if" up
ip addr add "$host_addr" dev "$HOST_IF"
ip link set "$HOST_IF" up
trap - EXIT
