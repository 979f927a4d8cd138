#!/bin/sh
# poststop hook: remove the per-container directory BASE/<id> (BASE = $1, default /run/berth-scratch)
# made by make-dir.sh, then BASE itself if it is empty. Reads the OCI state JSON from stdin.
set -eu
base=${1:-/run/berth-scratch}
state=$(cat)
id=$(printf '%s' "$state" | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p')
case $id in "" | */* | . | ..) echo "remove-dir: bad container id '$id'" >&2; exit 1 ;; esac
rm -rf -- "${base:?}/$id"
rmdir -- "$base" 2>/dev/null || true
