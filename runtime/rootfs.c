/* The container's filesystem view: propagation, the rootfs bind, spec mounts
 * (mounts.c), /dev (devices.c), maskedPaths/readonlyPaths, root.readonly,
 * pivot_root and the console bind.  See rootfs.h for the call order.
 *
 * Without a mount namespace in the spec nothing is mounted (that would change
 * the host): prepare does nothing and finish only chroots into the rootfs
 * (runc refuses such a spec; we keep the simple behaviour documented here).
 *
 * Everything that mounts inside the rootfs uses fds: paths are resolved once
 * with openat2(RESOLVE_IN_ROOT) and mounts are attached with move_mount onto
 * those fds.  maskedPaths, readonlyPaths and root.readonly are applied just
 * before pivot_root, from an fd of the rootfs, so they never depend on the
 * container's /proc and the host /dev/null is at hand; the result is the same
 * mount tree runc builds after its pivot. */
#include "rootfs.h"
#include "devices.h"
#include "error.h"
#include "fs-safety.h"
#include "lsm.h"
#include "mount-options.h"
#include "mounts.h"
#include "mountinfo.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

static bool
has_mount_namespace (const BerthSpec *spec)
{
  if (spec->linux_ == NULL)
    return false;
  for (size_t i = 0; i < spec->linux_->n_namespaces; i++)
    if (spec->linux_->namespaces[i].kind == BERTH_NS_MOUNT)
      return true;
  return false;
}

static bool
root_propagation (const BerthSpec *spec, unsigned long *ret, bool *ret_given, GError **error)
{
  *ret = MS_SLAVE | MS_REC;
  *ret_given = spec->linux_ != NULL && spec->linux_->rootfsPropagation != NULL;
  if (*ret_given && !berth_propagation_parse (spec->linux_->rootfsPropagation, ret))
    return berth_fail (error, "linux.rootfsPropagation: unknown value %s", spec->linux_->rootfsPropagation);
  return true;
}

/* pivot_root refuses a shared parent mount and a bind of the rootfs fails
 * under an unbindable one: with a "shared" or "unbindable" rootfsPropagation
 * make the mount that contains the rootfs private (runc's
 * rootfsParentMountPrivate).  Only then is mountinfo read. */
static bool
make_parent_mount_private (const char *root_path, GError **error)
{
  g_autoptr (GPtrArray) mounts = berth_mount_info_read ("/proc/self/mountinfo");
  if (mounts == NULL)
    return berth_fail_errno (error, errno, "read /proc/self/mountinfo");
  const char *best = NULL;
  size_t best_len = 0;
  for (guint i = 0; i < mounts->len; i++)
    {
      const char *mp = ((const BerthMountInfo *) mounts->pdata[i])->mountpoint;
      size_t len = strlen (mp);
      bool prefix = strcmp (mp, "/") == 0
                    || (strncmp (root_path, mp, len) == 0 && (root_path[len] == '/' || root_path[len] == '\0'));
      if (prefix && len >= best_len) /* >=: the last mount on a mountpoint is the visible one */
        {
          best = mp;
          best_len = len;
        }
    }
  if (best == NULL)
    return berth_fail (error, "no mount contains the rootfs %s", root_path);
  if (mount (NULL, best, NULL, MS_PRIVATE, NULL) < 0)
    return berth_fail_errno (error, errno, "make %s private", best);
  return true;
}

/* CVE-2023-25809: without a cgroup namespace, host cgroup hierarchies that
 * reached the container through a bind of /sys (rootless configs: "/sys"
 * rbind, "ro" applies to the top mount only) are made read-only, recursively.
 * A /sys/fs/cgroup the spec mounts itself (the delegated case, e.g. "rw"
 * for systemd in the container) is left as asked. */
static bool
protect_host_cgroup_tree (int rootfd, const BerthSpec *spec, GError **error)
{
  if (berth_spec_namespace (spec, BERTH_NS_CGROUP) != NULL)
    return true;
  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      const char *d = spec->mounts[i].destination;
      if (d != NULL && (strcmp (d, "/sys/fs/cgroup") == 0 || strcmp (d, "/sys/fs/cgroup/") == 0))
        return true;
    }
  berth_autofd int fd = berth_openat_in_root (rootfd, "/sys/fs/cgroup", O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
  if (fd < 0)
    return true; /* no /sys/fs/cgroup in the container */
  struct statx stx;
  if (statx (fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) < 0 || !(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
      || !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
    return true;
  if (!berth_mount_setattr (fd, true, MOUNT_ATTR_RDONLY, 0, 0, error))
    return g_prefix_error (error, "/sys/fs/cgroup: "), false;
  return true;
}

bool
berth_rootfs_prepare (const BerthSpec *spec, GError **error)
{
  if (spec->root_path == NULL || spec->root_path[0] != '/')
    return berth_fail (error, "root.path: must be an absolute path");
  if (!has_mount_namespace (spec))
    return true;

  unsigned long propagation;
  bool given;
  if (!root_propagation (spec, &propagation, &given, error))
    return false;
  if (mount (NULL, "/", NULL, propagation, NULL) < 0)
    return berth_fail_errno (error, errno, "linux.rootfsPropagation: set on /");
  if ((propagation & (MS_SHARED | MS_UNBINDABLE)) && !make_parent_mount_private (spec->root_path, error))
    return g_prefix_error (error, "linux.rootfsPropagation: "), false;
  if (mount (spec->root_path, spec->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
    return berth_fail_errno (error, errno, "root.path: bind %s onto itself", spec->root_path);
  berth_autofd int rootfd = open (spec->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return berth_fail_errno (error, errno, "root.path: open %s", spec->root_path);

  BerthMountState state = { .dev_fd = -1 };
  bool ok = true;
  for (size_t i = 0; ok && i < spec->n_mounts; i++)
    ok = berth_mount_apply (rootfd, spec, i, &state, error);
  if (ok)
    ok = berth_devices_setup (rootfd, &state, spec, error);
  if (ok)
    ok = protect_host_cgroup_tree (rootfd, spec, error);
  berth_close_fdp (&state.dev_fd);
  return ok;
}

/* runc's readonlyPath: a recursive bind of the path onto itself, read-only. */
static bool
apply_readonly_paths (int rootfd, char **paths, GError **error)
{
  for (size_t i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      berth_autofd int fd = berth_openat_in_root (rootfd, paths[i], O_PATH, 0);
      if (fd == -ENOENT)
        continue;
      if (fd < 0)
        return berth_fail_errno (error, -fd, "linux.readonlyPaths[%zu] (%s)", i, paths[i]);
      berth_autofd int tree = open_tree (fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
      if (tree < 0)
        return berth_fail_errno (error, errno, "linux.readonlyPaths[%zu] (%s): clone", i, paths[i]);
      if (!berth_mount_setattr (tree, true, MOUNT_ATTR_RDONLY, 0, 0, error)
          || !berth_move_mount (tree, fd, "bind", error))
        return g_prefix_error (error, "linux.readonlyPaths[%zu] (%s): ", i, paths[i]), false;
    }
  return true;
}

/* maskedPaths: files get the verified host /dev/null (CVE-2025-31133),
 * directories a read-only empty tmpfs (one superblock, cloned for each),
 * labelled with linux.mountLabel as runc's maskPath does. */
static bool
apply_masked_paths (int rootfd, char **paths, const char *mount_label, GError **error)
{
  berth_autofd int null_fd = -1;
  berth_autofd int ro_tmpfs = -1;
  for (size_t i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      berth_autofd int fd = berth_openat_in_root (rootfd, paths[i], O_PATH, 0);
      if (fd == -ENOENT)
        continue;
      struct stat st;
      if (fd < 0 || fstat (fd, &st) < 0)
        return berth_fail_errno (error, fd < 0 ? -fd : errno, "linux.maskedPaths[%zu] (%s)", i, paths[i]);
      berth_autofd int src = -1;
      if (S_ISDIR (st.st_mode))
        {
          if (ro_tmpfs < 0)
            src = berth_fs_mount_new ("tmpfs", "tmpfs", NULL, mount_label, 0, MOUNT_ATTR_RDONLY, error);
          else
            src = open_tree (ro_tmpfs, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
        }
      else
        {
          if (null_fd < 0 && (null_fd = berth_open_dev_null (AT_FDCWD, "/dev/null", error)) < 0)
            return g_prefix_error (error, "linux.maskedPaths: "), false;
          src = open_tree (null_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
        }
      if (src < 0)
        {
          if (error != NULL && *error != NULL)
            return g_prefix_error (error, "linux.maskedPaths[%zu] (%s): ", i, paths[i]), false;
          return berth_fail_errno (error, errno, "linux.maskedPaths[%zu] (%s): clone", i, paths[i]);
        }
      if (!berth_move_mount (src, fd, "mask", error))
        return g_prefix_error (error, "linux.maskedPaths[%zu] (%s): ", i, paths[i]), false;
      if (S_ISDIR (st.st_mode) && ro_tmpfs < 0)
        ro_tmpfs = berth_steal_fd (&src);
    }
  return true;
}

/* pivot_root(".", "."): the old root ends up stacked on the new one; make it
 * rslave so the detach does not propagate to the host, then detach it. */
static bool
pivot_into (int rootfd, GError **error)
{
  berth_autofd int oldroot = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (oldroot < 0)
    return berth_fail_errno (error, errno, "open /");
  if (fchdir (rootfd) < 0)
    return berth_fail_errno (error, errno, "chdir into the rootfs");
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return berth_fail_errno (error, errno, "pivot_root");
  if (fchdir (oldroot) < 0)
    return berth_fail_errno (error, errno, "chdir into the old root");
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return berth_fail_errno (error, errno, "make the old root rslave");
  if (umount2 (".", MNT_DETACH) < 0)
    return berth_fail_errno (error, errno, "detach the old root");
  return true;
}

/* --no-pivot: move the rootfs mount onto / and chroot (host mounts outside
 * the rootfs stay in this namespace, unreachable through the chroot). */
static bool
move_into (int rootfd, GError **error)
{
  if (fchdir (rootfd) < 0)
    return berth_fail_errno (error, errno, "chdir into the rootfs");
  if (mount (".", "/", NULL, MS_MOVE, NULL) < 0)
    return berth_fail_errno (error, errno, "move the rootfs onto /");
  if (chroot (".") < 0)
    return berth_fail_errno (error, errno, "chroot");
  return true;
}

bool
berth_rootfs_finish (const BerthSpec *spec, bool no_pivot, GError **error)
{
  if (spec->root_path == NULL || spec->root_path[0] != '/')
    return berth_fail (error, "root.path: must be an absolute path");
  if (!has_mount_namespace (spec))
    {
      if (chdir (spec->root_path) < 0 || chroot (".") < 0 || chdir ("/") < 0)
        return berth_fail_errno (error, errno, "root.path: chroot into %s", spec->root_path);
      return true;
    }

  unsigned long propagation;
  bool given;
  if (!root_propagation (spec, &propagation, &given, error))
    return false;
  berth_autofd int rootfd = open (spec->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return berth_fail_errno (error, errno, "root.path: open %s", spec->root_path);

  if (spec->linux_ != NULL && !apply_readonly_paths (rootfd, spec->linux_->readonlyPaths, error))
    return false;
  if (spec->linux_ != NULL
      && !apply_masked_paths (rootfd, spec->linux_->maskedPaths, berth_lsm_mount_label (spec), error))
    return false;
  /* root.readonly: mount_setattr changes only MOUNT_ATTR_RDONLY, so flags
   * locked by a user namespace (nosuid, nodev...) are kept. */
  if (spec->root_readonly && !berth_mount_setattr (rootfd, false, MOUNT_ATTR_RDONLY, 0, 0, error))
    return g_prefix_error (error, "root.readonly: "), false;

  if (!(no_pivot ? move_into (rootfd, error) : pivot_into (rootfd, error)))
    return g_prefix_error (error, "root.path: "), false;

  /* The propagation of the new / itself (private was handled in prepare). */
  if (given && !(propagation & MS_PRIVATE) && mount (NULL, "/", NULL, propagation, NULL) < 0)
    return berth_fail_errno (error, errno, "linux.rootfsPropagation: set on the new /");
  if (chdir ("/") < 0)
    return berth_fail_errno (error, errno, "chdir /");
  return true;
}

static int
open_console_target (int rootfd, GError **error)
{
  int fd = berth_openat_in_root (rootfd, "dev/console", O_PATH | O_NOFOLLOW, RESOLVE_NO_SYMLINKS);
  if (fd == -ENOENT)
    {
      berth_autofd int devfd = berth_openat_in_root (rootfd, "dev", O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
      if (devfd < 0)
        return berth_fail_errno (error, -devfd, "/dev/console: open /dev"), -1;
      fd = openat (devfd, "console", O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
      if (fd < 0 && errno == EEXIST)
        fd = openat (devfd, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        return berth_fail_errno (error, errno, "/dev/console: create"), -1;
    }
  else if (fd < 0)
    return berth_fail_errno (error, -fd, "/dev/console: open"), -1;
  struct stat st;
  if (fstat (fd, &st) < 0 || S_ISLNK (st.st_mode) || S_ISDIR (st.st_mode))
    {
      close (fd);
      return berth_fail_code (error, ELOOP, "/dev/console: is a symlink or a directory"), -1;
    }
  return fd;
}

bool
berth_rootfs_bind_console (int pty_slave_fd, GError **error)
{
  berth_autofd int rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return berth_fail_errno (error, errno, "open /");
  berth_autofd int target = open_console_target (rootfd, error);
  if (target < 0)
    return false;
  berth_autofd int src = open_tree (pty_slave_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (src >= 0)
    return berth_move_mount (src, target, "/dev/console", error);

  /* A pty whose devpts is not in this mount namespace cannot be cloned by
   * fd; fall back to the magic links of a /proc we verify is procfs. */
  int saved = errno;
  struct statfs sfs;
  if (statfs ("/proc/self/fd", &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
    return berth_fail_errno (error, saved, "/dev/console: clone the pty");
  g_autofree char *from = g_strdup_printf ("/proc/self/fd/%d", pty_slave_fd);
  g_autofree char *to = g_strdup_printf ("/proc/self/fd/%d", target);
  if (mount (from, to, NULL, MS_BIND, NULL) < 0)
    return berth_fail_errno (error, errno, "/dev/console: bind the pty");
  return true;
}
