#!/bin/sh
# createRuntime hook: create a per-container scratch directory BASE/<id> (BASE = $1, default
# /run/berth-scratch). Pair it with remove-dir.sh as a poststop hook.
set -eu
base=${1:-/run/berth-scratch}
state=$(cat)
id=$(printf '%s' "$state" | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p')
case $id in "" | */* | . | ..) echo "make-dir: bad container id '$id'" >&2; exit 1 ;; esac
mkdir -p "$base/$id"
