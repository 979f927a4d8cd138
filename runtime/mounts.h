/* Applying the spec's mounts[] inside the rootfs, one at a time, with the new
 * mount API: build a detached mount (fsopen/fsmount for a filesystem,
 * open_tree(OPEN_TREE_CLONE) for a bind), configure it (mount_setattr:
 * flags, idmap), then attach it with move_mount onto the O_PATH fd of the
 * destination resolved inside the rootfs.  No path is resolved twice and no
 * /proc is needed. */
#pragma once
#include "rootfs.h"
#include <stdint.h>

typedef struct
{
  int dev_fd;        /* root of the tmpfs the spec mounted at /dev, or -1 */
  bool dev_mounted;  /* the spec mounts something at /dev */
  bool dev_is_bind;  /* ... and it is a bind mount (then /dev is not set up) */
} BerthMountState;

/* Mount spec->mounts[index] inside rootfd (the rootfs bind mount). */
bool berth_mount_apply (int rootfd, const BerthSpec *spec, size_t index, BerthMountState *state, GError **error);

/* A detached mount of a fresh filesystem: fsopen(type) with source and the
 * comma separated data (key or key=value), the SELinux "context" option if
 * context is not NULL (passed whole: labels contain commas), fsmount with
 * MOUNT_ATTR_* attr.  Returns the mount fd or -1. */
int berth_fs_mount_new (const char *type, const char *source, const char *data, const char *context,
                        unsigned long sb_flags, uint64_t attr, GError **error);

/* mount_setattr(fd, "", AT_EMPTY_PATH [| AT_RECURSIVE]) with set/clear bits. */
bool berth_mount_setattr (int fd, bool recursive, uint64_t attr_set, uint64_t attr_clr, uint64_t propagation,
                          GError **error);

/* Attach the detached mount mntfd onto the O_PATH fd target. */
bool berth_move_mount (int mntfd, int target, const char *what, GError **error);
