/* Everything about the container's filesystem view: rootfs propagation, the
 * spec's mounts, /dev (devices, symlinks, pts, console), pivot_root, masked and
 * readonly paths.  Runs in the container init, in its new mount namespace.
 * Every path inside the rootfs is resolved fd-first (openat2 RESOLVE_IN_ROOT,
 * O_PATH, mount by fd) so a hostile image cannot redirect a mount onto the
 * host (see ../shared/notes/security.md). */
#pragma once
#include "spec.h"
#include <glib.h>
#include <stdbool.h>

/* Before pivot_root: make / rslave (or linux.rootfsPropagation), bind the
 * rootfs onto itself, mount every spec mount, create /dev (devices, default
 * devices, /dev symlinks, /dev/pts + ptmx).  Called after namespaces are
 * joined/created and (with a user namespace) after we are root in it. */
bool berth_rootfs_prepare (const BerthSpec *spec, GError **error);

/* pivot_root into the rootfs (or MS_MOVE + chroot when no_pivot), apply
 * maskedPaths, readonlyPaths, rootfsPropagation and root.readonly. */
bool berth_rootfs_finish (const BerthSpec *spec, bool no_pivot, GError **error);

/* After berth_rootfs_finish: bind-mount the pty slave (an open fd) onto
 * /dev/console without re-resolving any path in the container. */
bool berth_rootfs_bind_console (int pty_slave_fd, GError **error);

/* Parse mount options into flags (exported for unit tests and exec). */
typedef struct
{
  unsigned long flags;             /* MS_* set */
  unsigned long clear_flags;       /* MS_* explicitly cleared ("rw", "suid"...) */
  unsigned long propagation;       /* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE (+MS_REC) */
  uint64_t attr_set, attr_clr;     /* MOUNT_ATTR_* for recursive options (rro, rnosuid...) */
  bool recursive_attrs;
  bool bind, rbind, tmpcopyup, idmap, ridmap;
  char *data;                      /* remaining fs-specific options, comma separated */
} BerthMountOptions;
bool berth_mount_options_parse (char *const *options, BerthMountOptions *ret, GError **error);
void berth_mount_options_clear (BerthMountOptions *opts);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BerthMountOptions, berth_mount_options_clear)
