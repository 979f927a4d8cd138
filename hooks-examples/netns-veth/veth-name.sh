# Sourced by create-veth.sh and remove-veth.sh: read the OCI state JSON from stdin and derive names.
# Sets: STATE_ID, STATE_PID, HOST_IF (host-side veth, <= 15 chars, unique per container ID), PEER_IF.
state=$(cat)
if command -v jq >/dev/null 2>&1; then
	STATE_ID=$(printf '%s' "$state" | jq -r .id)
	STATE_PID=$(printf '%s' "$state" | jq -r '.pid // 0')
else
	STATE_ID=$(printf '%s' "$state" | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p')
	STATE_PID=$(printf '%s' "$state" | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
fi
[ -n "$STATE_ID" ] || { echo "netns-veth: no id in the state on stdin" >&2; exit 1; }
hash=$(printf '%s' "$STATE_ID" | sha256sum | cut -c1-10)
HOST_IF=${VETH_HOST_IF:-bv$hash}
PEER_IF=bc$hash
