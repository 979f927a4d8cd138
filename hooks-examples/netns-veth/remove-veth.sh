#!/bin/sh
# poststop hook: delete the host end of the veth pair made by create-veth.sh (the peer goes with it).
# Reads the OCI state JSON from stdin (needs .id). Succeeds when the interface is already gone (the
# kernel removes the pair when the container's network namespace dies).
set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin
. "$(dirname "$0")/veth-name.sh"
if ip link show "$HOST_IF" >/dev/null 2>&1; then
	ip link del "$HOST_IF"
fi
