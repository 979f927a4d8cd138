#!/bin/bash
# make-rootfs.sh DIR — build a busybox rootfs in DIR from the host's static busybox (Debian's
# busybox-static, /bin/busybox). No downloads. The result is cached under
# ${BERTH_ROOTFS_CACHE:-/var/tmp/berth-test-rootfs}/<sha256 of busybox> and hard-linked (cp -al)
# or copied into DIR, so building many rootfses is cheap.
#
# Layout (same as runtime-tools' rootfs): /bin/busybox, one symlink per applet in its usual place,
# /etc/passwd, /etc/group, empty /dev /proc /sys /tmp.
# Env: BUSYBOX (default /bin/busybox), ROOTFS_COPY=1 to copy instead of hard-linking.
set -euo pipefail

dest=${1:?usage: make-rootfs.sh DIR}
busybox=${BUSYBOX:-/bin/busybox}
cache_base=${BERTH_ROOTFS_CACHE:-/var/tmp/berth-test-rootfs}

[ -x "$busybox" ] || { echo "make-rootfs.sh: $busybox not found (apt-get install busybox-static)" >&2; exit 1; }
if ! file_out=$(LC_ALL=C file -b "$busybox" 2>/dev/null) || [[ "$file_out" != *static* ]]; then
	# `file` may be missing; fall back to checking for an ELF interpreter.
	if LC_ALL=C readelf -l "$busybox" 2>/dev/null | grep -q 'Requesting program interpreter'; then
		echo "make-rootfs.sh: $busybox is not statically linked" >&2; exit 1
	fi
fi

hash=$(sha256sum "$busybox" | cut -c1-16)
cache=$cache_base/$hash

build_cache() {
	local tmp
	mkdir -p "$cache_base"
	tmp=$(mktemp -d "$cache_base/.build.XXXXXX")
	chmod 0755 "$tmp"   # mktemp makes it 0700: non-root container users must traverse /
	mkdir -p "$tmp"/{bin,sbin,usr/bin,usr/sbin,etc,dev,proc,sys,tmp,root,home}
	chmod 1777 "$tmp/tmp"
	chmod 0700 "$tmp/root"
	cp "$busybox" "$tmp/bin/busybox"
	chmod 0755 "$tmp/bin/busybox"
	# --list-full gives bin/ls, sbin/ifconfig, usr/bin/env ... ; fall back to --list -> bin/.
	local applets
	if applets=$("$tmp/bin/busybox" --list-full 2>/dev/null) && [ -n "$applets" ]; then :; else
		applets=$("$tmp/bin/busybox" --list | sed 's|^|bin/|')
	fi
	local a dir rel
	while IFS= read -r a; do
		[ -n "$a" ] || continue
		[ "$a" = bin/busybox ] && continue
		[ -e "$tmp/$a" ] && continue
		dir=$(dirname "$a")
		mkdir -p "$tmp/$dir"
		case $dir in
		bin) rel=busybox ;;
		sbin) rel=../bin/busybox ;;
		usr/bin | usr/sbin) rel=../../bin/busybox ;;
		*) rel=/bin/busybox ;;
		esac
		ln -s "$rel" "$tmp/$a"
	done <<<"$applets"
	# Commonly expected names.
	[ -e "$tmp/bin/sh" ] || ln -s busybox "$tmp/bin/sh"
	cat >"$tmp/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
PW
	cat >"$tmp/etc/group" <<'GR'
root:x:0:
daemon:x:1:
bin:x:2:
tty:x:5:
users:x:100:
nogroup:x:65534:
GR
	echo "berth-test" >"$tmp/etc/hostname"
	# Publish atomically; another builder may have won the race.
	if ! mv -T "$tmp" "$cache" 2>/dev/null; then
		rm -rf "$tmp"
	fi
}

[ -x "$cache/bin/busybox" ] || build_cache

mkdir -p "$dest"
if [ "${ROOTFS_COPY:-0}" != 1 ] && cp -al "$cache/." "$dest/" 2>/dev/null; then
	# Only the (read-only in practice) binary and symlinks are shared; small writable files are copied
	# so a container writing to /etc cannot change the cache.
	rm -rf "$dest/etc" && cp -a "$cache/etc" "$dest/etc"
else
	cp -a "$cache/." "$dest/"
fi
