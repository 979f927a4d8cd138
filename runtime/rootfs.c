/* STUB: to be replaced by the rootfs implementation. */
#include "rootfs.h"
#include "error.h"
bool berth_rootfs_prepare (const BerthSpec *spec, GError **error) { return berth_fail (error, "rootfs not implemented"); }
bool berth_rootfs_finish (const BerthSpec *spec, bool no_pivot, GError **error) { return berth_fail (error, "rootfs not implemented"); }
bool berth_rootfs_bind_console (int fd, GError **error) { return berth_fail (error, "not implemented"); }
bool berth_mount_options_parse (char *const *options, BerthMountOptions *ret, GError **error) { return berth_fail (error, "not implemented"); }
void berth_mount_options_clear (BerthMountOptions *opts) { }
