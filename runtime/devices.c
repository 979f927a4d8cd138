/* /dev setup, fd-first; see devices.h. */
#include "devices.h"
#include "error.h"
#include "fs-safety.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char *const dev_symlinks[][2] = {
  { "fd", "/proc/self/fd" },        { "stdin", "/proc/self/fd/0" },   { "stdout", "/proc/self/fd/1" },
  { "stderr", "/proc/self/fd/2" },
};

/* In a user namespace mknod is EPERM: bind the host's node onto an empty file. */
static bool
bind_host_device (int parentfd, const char *name, const char *host_path, GError **error)
{
  berth_autofd int target = openat (parentfd, name, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0000);
  if (target < 0)
    return berth_fail_errno (error, errno, "create %s", host_path);
  berth_autofd int src = open_tree (AT_FDCWD, host_path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (src < 0)
    return berth_fail_errno (error, errno, "bind host %s", host_path);
  if (move_mount (src, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return berth_fail_errno (error, errno, "bind host %s", host_path);
  return true;
}

static bool
create_device (int rootfd, int devfd, const char *path, mode_t type, dev_t rdev, mode_t mode, uid_t uid, gid_t gid,
               GError **error)
{
  g_autofree char *clean = g_canonicalize_filename (path, "/");
  int base = rootfd;
  const char *rel = clean + 1;
  if (g_str_has_prefix (clean, "/dev/"))
    base = devfd, rel = clean + 5;
  if (*rel == '\0')
    return berth_fail (error, "linux.devices: invalid path %s", path);

  g_autofree char *dir = g_path_get_dirname (rel);
  g_autofree char *name = g_path_get_basename (rel);
  berth_autofd int owned_parent = -1;
  int parent = base;
  if (strcmp (dir, ".") != 0)
    {
      owned_parent = berth_create_in_root (base, dir, true, "linux.devices", error);
      if (owned_parent < 0)
        return false;
      parent = owned_parent;
    }

  for (int attempt = 0;; attempt++)
    {
      if (mknodat (parent, name, type | (mode & 07777), rdev) == 0)
        break;
      if (errno == EPERM)
        return bind_host_device (parent, name, clean, error);
      if (errno != EEXIST || attempt > 0)
        return berth_fail_errno (error, errno, "linux.devices: mknod %s", clean);
      /* Something the image put there: keep it only if it is that device;
       * a symlink or anything else is replaced, never followed. */
      struct stat st;
      if (fstatat (parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & S_IFMT) == type
          && (type == S_IFIFO || st.st_rdev == rdev))
        break;
      if (unlinkat (parent, name, 0) < 0)
        return berth_fail_errno (error, errno, "linux.devices: replace %s", clean);
    }
  if ((uid != 0 || gid != 0) && fchownat (parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return berth_fail_errno (error, errno, "linux.devices: chown %s", clean);
  return true;
}

static bool
device_type (const char *t, mode_t *ret)
{
  if (t == NULL)
    return false;
  if (strcmp (t, "c") == 0 || strcmp (t, "u") == 0)
    *ret = S_IFCHR;
  else if (strcmp (t, "b") == 0)
    *ret = S_IFBLK;
  else if (strcmp (t, "p") == 0)
    *ret = S_IFIFO;
  else
    return false;
  return true;
}

static int
open_image_dev (int rootfd, GError **error)
{
  int fd = berth_openat_in_root (rootfd, "dev", O_PATH | O_DIRECTORY | O_NOFOLLOW, RESOLVE_NO_SYMLINKS);
  if (fd == -ENOENT)
    return berth_create_in_root (rootfd, "dev", true, "/dev", error);
  if (fd < 0)
    return berth_fail_errno (error, -fd, "/dev: open (a symlink?)"), -1;
  return fd;
}

bool
berth_devices_setup (int rootfd, const BerthMountState *state, const BerthSpec *spec, GError **error)
{
  if (state->dev_is_bind)
    return true; /* the host's (or the caller's) /dev: leave it alone, as runc does */

  berth_autofd int owned_dev = -1;
  int devfd = state->dev_fd;
  if (devfd < 0)
    {
      owned_dev = open_image_dev (rootfd, error);
      if (owned_dev < 0)
        return false;
      devfd = owned_dev;
    }

  mode_t old_umask = umask (0);
  bool ok = true;
  size_t n = spec->linux_ != NULL ? spec->linux_->n_devices : 0;
  for (size_t i = 0; ok && i < n; i++)
    {
      const BerthDevice *d = &spec->linux_->devices[i];
      mode_t type;
      if (d->path == NULL || !device_type (d->type, &type))
        {
          ok = berth_fail (error, "linux.devices[%zu]: invalid path or type", i);
          break;
        }
      ok = create_device (rootfd, devfd, d->path, type, makedev (d->major, d->minor),
                          d->has_fileMode ? d->fileMode : 0666, d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0,
                          error);
    }
  for (size_t i = 0; ok && i < berth_n_default_devices; i++)
    {
      const BerthDefaultDevice *dd = &berth_default_devices[i];
      bool overridden = false;
      for (size_t j = 0; j < n && !overridden; j++)
        {
          g_autofree char *c = g_canonicalize_filename (spec->linux_->devices[j].path, "/");
          overridden = strcmp (c, dd->path) == 0;
        }
      if (!overridden)
        ok = create_device (rootfd, devfd, dd->path, dd->type, makedev (dd->major, dd->minor), 0666, 0, 0, error);
    }
  umask (old_umask);
  if (!ok)
    return false;

  for (size_t i = 0; i < G_N_ELEMENTS (dev_symlinks); i++)
    if (symlinkat (dev_symlinks[i][1], devfd, dev_symlinks[i][0]) < 0 && errno != EEXIST)
      return berth_fail_errno (error, errno, "/dev/%s: symlink", dev_symlinks[i][0]);
  if (access ("/proc/kcore", F_OK) == 0 && symlinkat ("/proc/kcore", devfd, "core") < 0 && errno != EEXIST)
    return berth_fail_errno (error, errno, "/dev/core: symlink");

  /* /dev/ptmx -> pts/ptmx, so the devpts instance of the spec serves it. */
  if (unlinkat (devfd, "ptmx", 0) < 0 && errno != ENOENT)
    return berth_fail_errno (error, errno, "/dev/ptmx: remove");
  if (symlinkat ("pts/ptmx", devfd, "ptmx") < 0)
    return berth_fail_errno (error, errno, "/dev/ptmx: symlink");
  return true;
}
