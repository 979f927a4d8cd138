/* Path resolution inside a container rootfs that a hostile image cannot
 * redirect: everything goes through openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS) from an fd of the rootfs, missing components are
 * created fd-relatively without following symlinks (CVE-2024-45310), and the
 * fds returned are what mounts are attached to (CVE-2021-30465). */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* openat2 (rootfd, path, flags|O_CLOEXEC, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS|extra_resolve).
 * Returns the fd or -errno (no GError: callers decide whether ENOENT is fatal). */
int berth_openat_in_root (int rootfd, const char *path, int flags, uint64_t extra_resolve);

/* Open PATH (inside rootfd) as O_PATH, creating what is missing: every missing
 * parent as a 0755 directory and the last component as a directory (is_dir) or
 * an empty 0644 file, each with mkdirat/openat relative to the already-opened
 * parent, never following a symlink it did not resolve through openat2.  The
 * result is never a symlink.  `what` names the field for errors. */
int berth_create_in_root (int rootfd, const char *path, bool is_dir, const char *what, GError **error);

/* Open dirfd/path (O_PATH, no symlink anywhere) and check it is the real
 * /dev/null: a character device 1:3 (CVE-2025-31133). */
int berth_open_dev_null (int dirfd, const char *path, GError **error);

/* Copy the content of directory srcfd into directory dstfd (tmpcopyup):
 * directories, regular files, symlinks, device nodes and fifos with their
 * modes and owners, all fd-relative and never following symlinks. */
bool berth_copy_tree (int srcfd, int dstfd, GError **error);
