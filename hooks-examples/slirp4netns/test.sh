#!/bin/bash
# test.sh BUNDLE ROOT ID: loopback-only check of slirp4netns-hook.
#
# BUNDLE is a rootless bundle (`berth spec --rootless`, busybox rootfs) owned by the user that
# $BERTH runs as (BERTH: the runtime, or a wrapper running it as an unprivileged user; default
# berth on PATH). The test starts a TCP server on the host's 127.0.0.1 only, gives the container a
# network namespace plus the hook (createRuntime start, poststop stop), and the container connects to
# 10.0.2.2:PORT -- slirp4netns's host-loopback forwarding -- and must read the server's token.
# No external address is used. Afterwards nothing of slirp4netns may be left.
# Exit 0 on success; messages on stderr.
set -euo pipefail
bundle=${1:?usage: test.sh BUNDLE ROOT ID}
root=${2:?}
id=${3:?}
BERTH=${BERTH:-berth}
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "slirp4netns test: $*" >&2; exit 1; }

# slirp4netns opens /dev/net/tun as the user: Debian makes it 0666, but some hosts (this CI VM)
# have 0600. As root, run the test in a private mount namespace with a 0666 node bound over it;
# the host is not changed.
if [ "$(stat -c %a /dev/net/tun 2>/dev/null)" != 666 ]; then
	[ "$(id -u)" = 0 ] || fail "/dev/net/tun is not usable by unprivileged users (mode $(stat -c %a /dev/net/tun 2>/dev/null))"
	if [ -z "${SLIRP_TEST_PRIVATE_TUN:-}" ]; then
		exec unshare -m --propagation private env SLIRP_TEST_PRIVATE_TUN=1 "$0" "$@"
	fi
	tundir=$(mktemp -d)
	mount -t tmpfs -o mode=755,size=16k tmpfs "$tundir"
	mknod -m 666 "$tundir/tun" c 10 200
	mount --bind "$tundir/tun" /dev/net/tun
fi

# The hook must be reachable by the runtime's user: copy it into the bundle.
install -m 755 "$here/slirp4netns-hook" "$bundle/slirp4netns-hook"
owner=$(stat -c %u:%g "$bundle")
chown "$owner" "$bundle/slirp4netns-hook" 2>/dev/null || true

token=berth-slirp-$RANDOM$RANDOM
portfile=$(mktemp)
python3 - "$token" "$portfile" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))           # loopback only
s.listen(1)
s.settimeout(30)
with open(sys.argv[2], "w") as f:
    f.write(str(s.getsockname()[1]))
c, _ = s.accept()
c.sendall((sys.argv[1] + "\n").encode())
c.close()
PY
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$portfile"' EXIT
for _ in $(seq 100); do [ -s "$portfile" ] && break; sleep 0.05; done
port=$(cat "$portfile")
[ -n "$port" ] || fail "server did not start"

cfg=$bundle/config.json
jq --arg hook "$bundle/slirp4netns-hook" --arg port "$port" '
	.linux.namespaces += [{type: "network"}]
	| .hooks.createRuntime = [{path: $hook, args: ["slirp4netns-hook", "start"]}]
	| .hooks.poststop = [{path: $hook, args: ["slirp4netns-hook", "stop"]}]
	| .process.args = ["sh", "-c", "ip -4 addr show tap0 | grep -o \"inet [0-9.]*\"; nc -w 5 10.0.2.2 " + $port]
' "$cfg" >"$cfg.tmp" && mv "$cfg.tmp" "$cfg" && chmod 644 "$cfg"

out=$("$BERTH" --root "$root" run --bundle "$bundle" "$id" 2>&1) || fail "run failed: $out"
grep -q 'inet 10.0.2.100' <<<"$out" || fail "no 10.0.2.100 on tap0: $out"
grep -qx "$token" <<<"$out" || fail "token not received through 10.0.2.2: $out"
wait "$server" || fail "server failed"

# run deletes the container, so poststop ran: slirp4netns, its watchdog and the pid file are gone.
[ ! -e "$bundle/.slirp4netns-$id.pid" ] || fail "pid file left"
for _ in $(seq 60); do pgrep -f "\.slirp4netns-$id\.pid" >/dev/null || break; sleep 0.05; done
! pgrep -f "\.slirp4netns-$id\.pid" >/dev/null || fail "slirp4netns watchdog left running"
echo "slirp4netns test: ok ($out)" | tr '\n' ' ' >&2
echo >&2
