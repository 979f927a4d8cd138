/* Internal helpers of the mount options table (runtime/mount-options.c); the
 * parser itself, berth_mount_options_parse(), is declared in rootfs.h. */
#pragma once
#include "rootfs.h"
#include <stdint.h>

/* The per-mount MS_* flags (ro, nosuid, nodev, noexec, atime modes,
 * nosymfollow) as MOUNT_ATTR_* bits for fsmount(2)/mount_setattr(2). */
uint64_t berth_mount_flags_to_attr (unsigned long ms_flags);

/* "rslave" -> MS_SLAVE|MS_REC ... (linux.rootfsPropagation). false if unknown. */
bool berth_propagation_parse (const char *value, unsigned long *ret_propagation);

/* Every option name berth_mount_options_parse knows (static strings). */
void berth_mount_option_names (GPtrArray *ret_names);
