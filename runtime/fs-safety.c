/* fd-first path handling inside a container rootfs; see fs-safety.h. */
#include "fs-safety.h"
#include "error.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int
berth_openat_in_root (int rootfd, const char *path, int flags, uint64_t extra_resolve)
{
  struct open_how how = {
    .flags = (uint64_t) (flags | O_CLOEXEC),
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra_resolve,
  };
  int fd;
  do
    fd = (int) syscall (SYS_openat2, rootfd, path, &how, sizeof how);
  while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  return fd < 0 ? -errno : fd;
}

/* Lexically cleaned components of a container path: no "", ".", and ".."
 * never climbs above the root (like filepath.Clean("/" + path)). */
static GPtrArray *
split_clean (const char *path)
{
  GPtrArray *parts = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) raw = g_strsplit (path, "/", -1);
  for (char **p = raw; *p != NULL; p++)
    {
      if (**p == '\0' || strcmp (*p, ".") == 0)
        continue;
      if (strcmp (*p, "..") == 0)
        {
          if (parts->len > 0)
            g_ptr_array_remove_index (parts, parts->len - 1);
          continue;
        }
      g_ptr_array_add (parts, g_strdup (*p));
    }
  return parts;
}

static char *
join_prefix (GPtrArray *parts, guint n)
{
  if (n == 0)
    return g_strdup (".");
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (s, '/');
      g_string_append (s, parts->pdata[i]);
    }
  return g_string_free (s, false);
}

/* Create (or open if it appeared meanwhile) one component below parentfd
 * without following a symlink. */
static int
create_component (int parentfd, const char *name, bool is_dir, const char *what, GError **error)
{
  int fd;
  if (is_dir)
    {
      if (mkdirat (parentfd, name, 0755) < 0 && errno != EEXIST)
        return berth_fail_errno (error, errno, "%s: mkdir %s", what, name), -1;
      fd = openat (parentfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        return berth_fail_errno (error, errno == ELOOP ? ENOTDIR : errno,
                                 "%s: open %s (a symlink or not a directory?)", what, name), -1;
      return fd;
    }
  fd = openat (parentfd, name, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
  if (fd >= 0 || errno != EEXIST)
    return fd >= 0 ? fd : (berth_fail_errno (error, errno, "%s: create %s", what, name), -1);
  fd = openat (parentfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      return berth_fail_errno (error, saved, "%s: open %s", what, name), -1;
    }
  if (S_ISLNK (st.st_mode))
    {
      close (fd);
      return berth_fail_errno (error, ELOOP, "%s: %s is a dangling symlink", what, name), -1;
    }
  return fd;
}

int
berth_create_in_root (int rootfd, const char *path, bool is_dir, const char *what, GError **error)
{
  g_autoptr (GPtrArray) parts = split_clean (path);
  g_autofree char *full = join_prefix (parts, parts->len);
  int fd = berth_openat_in_root (rootfd, full, O_PATH, 0);
  if (fd >= 0)
    return fd;
  if (fd != -ENOENT)
    return berth_fail_errno (error, -fd, "%s: open %s in the rootfs", what, full), -1;

  /* Find the deepest existing ancestor (usually the parent). */
  berth_autofd int parent = -1;
  guint have = parts->len;
  while (have > 0)
    {
      have--;
      g_autofree char *prefix = join_prefix (parts, have);
      int pfd = berth_openat_in_root (rootfd, prefix, O_PATH | O_DIRECTORY, 0);
      if (pfd >= 0)
        {
          parent = pfd;
          break;
        }
      if (pfd != -ENOENT)
        return berth_fail_errno (error, -pfd, "%s: open %s in the rootfs", what, prefix), -1;
    }
  if (parent < 0)
    return berth_fail_errno (error, ENOENT, "%s: rootfs vanished", what), -1;

  for (guint i = have; i < parts->len; i++)
    {
      bool last = i + 1 == parts->len;
      int child = create_component (parent, parts->pdata[i], !last || is_dir, what, error);
      if (child < 0)
        return -1;
      close (parent);
      parent = child;
    }
  return berth_steal_fd (&parent);
}

int
berth_open_dev_null (int dirfd, const char *path, GError **error)
{
  struct open_how how = {
    .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
    .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  };
  berth_autofd int fd = (int) syscall (SYS_openat2, dirfd, path, &how, sizeof how);
  if (fd < 0)
    return berth_fail_errno (error, errno, "open %s", path), -1;
  struct stat st;
  if (fstat (fd, &st) < 0)
    return berth_fail_errno (error, errno, "fstat %s", path), -1;
  if (!S_ISCHR (st.st_mode) || major (st.st_rdev) != 1 || minor (st.st_rdev) != 3)
    return berth_fail_code (error, EPERM, "%s is not the null device (char 1:3)", path), -1;
  return berth_steal_fd (&fd);
}

static bool
copy_file_data (int src, int dst, off_t size)
{
  off_t done = 0;
  while (done < size)
    {
      ssize_t n = sendfile (dst, src, NULL, (size_t) MIN (size - done, (off_t) 1 << 30));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return n == 0; /* file shrank: stop */
      done += n;
    }
  return true;
}

static bool
copy_entry (int srcdir, int dstdir, const char *name, GError **error)
{
  struct stat st;
  if (fstatat (srcdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return berth_fail_errno (error, errno, "tmpcopyup: stat %s", name);
  if (S_ISDIR (st.st_mode))
    {
      if (mkdirat (dstdir, name, 0700) < 0)
        return berth_fail_errno (error, errno, "tmpcopyup: mkdir %s", name);
      berth_autofd int s = openat (srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      berth_autofd int d = openat (dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (s < 0 || d < 0)
        return berth_fail_errno (error, errno, "tmpcopyup: open %s", name);
      if (!berth_copy_tree (s, d, error))
        return false;
    }
  else if (S_ISREG (st.st_mode))
    {
      berth_autofd int s = openat (srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
      if (s < 0)
        return berth_fail_errno (error, errno, "tmpcopyup: open %s", name);
      berth_autofd int d = openat (dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (d < 0)
        return berth_fail_errno (error, errno, "tmpcopyup: create %s", name);
      if (!copy_file_data (s, d, st.st_size))
        return berth_fail_errno (error, errno, "tmpcopyup: copy %s", name);
    }
  else if (S_ISLNK (st.st_mode))
    {
      char target[PATH_MAX];
      ssize_t n = readlinkat (srcdir, name, target, sizeof target - 1);
      if (n < 0)
        return berth_fail_errno (error, errno, "tmpcopyup: readlink %s", name);
      target[n] = '\0';
      if (symlinkat (target, dstdir, name) < 0)
        return berth_fail_errno (error, errno, "tmpcopyup: symlink %s", name);
    }
  else if (mknodat (dstdir, name, st.st_mode & (S_IFMT | 0600), st.st_rdev) < 0)
    return berth_fail_errno (error, errno, "tmpcopyup: mknod %s", name);

  if (fchownat (dstdir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
    return berth_fail_errno (error, errno, "tmpcopyup: chown %s", name);
  if (!S_ISLNK (st.st_mode) && fchmodat (dstdir, name, st.st_mode & 07777, 0) < 0)
    return berth_fail_errno (error, errno, "tmpcopyup: chmod %s", name);
  return true;
}

bool
berth_copy_tree (int srcfd, int dstfd, GError **error)
{
  int dupfd = openat (srcfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dupfd < 0)
    return berth_fail_errno (error, errno, "tmpcopyup: open source directory");
  DIR *dir = fdopendir (dupfd);
  if (dir == NULL)
    {
      close (dupfd);
      return berth_fail_errno (error, errno, "tmpcopyup: fdopendir");
    }
  bool ok = true;
  struct dirent *de;
  while (ok && (de = readdir (dir)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      ok = copy_entry (dirfd (dir), dstfd, de->d_name, error);
    }
  closedir (dir);
  return ok;
}
