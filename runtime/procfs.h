/* A private, verified procfs handle (CVE-2019-16884, CVE-2025-52881).
 *
 * Every write into procfs (linux.sysctl, oom_score_adj, /proc/self/attr files)
 * goes through a procfs instance the runtime created itself (fsopen("proc")
 * + fsmount: a detached mount nobody else can see or overmount), opened
 * with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS
 * | RESOLVE_NO_XDEV) and checked with fstatfs(PROC_SUPER_MAGIC). */
#pragma once
#include <glib.h>
#include <stdbool.h>

/* An O_PATH-like directory fd (O_CLOEXEC) on the root of a private procfs
 * instance for the caller's pid namespace.  When fsopen/fsmount are refused
 * (EPERM in a user namespace that does not own the pid namespace, ENOSYS) it
 * falls back to the /proc of the current root, accepted only if it is a real
 * procfs root (PROC_SUPER_MAGIC, root inode); RESOLVE_NO_XDEV in
 * berth_procfs_open_file then refuses anything mounted over its files.
 * -1 with *error set on failure. */
int berth_procfs_open (GError **error);

/* Open relpath (e.g. "sys/kernel/shmmax", "self/oom_score_adj",
 * "thread-self/attr/current") below procfd with flags | O_CLOEXEC.  No
 * symlink is followed, except that a leading "self" or "thread-self" is
 * resolved by reading that link and checking it is a pid ("123" or
 * "123/task/456").  The opened file must be on procfs.  -1 with *error set
 * ("open /proc/sys/kernel/shmmax: No such file or directory"). */
int berth_procfs_open_file (int procfd, const char *relpath, int flags, GError **error);

/* Convenience: open relpath O_WRONLY|O_TRUNC through procfd and write value. */
bool berth_procfs_write (int procfd, const char *relpath, const char *value, GError **error);
