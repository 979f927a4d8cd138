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

static void
close_fd_elem (gpointer p)
{
  close (*(int *) p);
}

/* Push the components of a symlink target in front of the queue. */
static void
push_components (GQueue *queue, const char *path)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  for (guint n = g_strv_length (parts); n > 0; n--)
    if (*parts[n - 1] != '\0' && strcmp (parts[n - 1], ".") != 0)
      g_queue_push_head (queue, g_strdup (parts[n - 1]));
}

#define MAX_SYMLINKS 40

int
berth_create_in_root (int rootfd, const char *path, bool is_dir, const char *what, GError **error)
{
  int fd = berth_openat_in_root (rootfd, path, O_PATH, 0);
  if (fd >= 0)
    return fd;
  if (fd != -ENOENT)
    return berth_fail_errno (error, -fd, "%s: open %s in the rootfs", what, path), -1;

  /* Something is missing: walk the path one component at a time the way
   * RESOLVE_IN_ROOT does (symlinks expanded by us and scoped to the root,
   * ".." never above it), creating what does not exist relative to the
   * directory fd we hold.  A dangling symlink thus gets its target created
   * inside the rootfs, never on the host. */
  g_autoptr (GArray) stack = g_array_new (false, false, sizeof (int)); /* dirs below the root */
  g_array_set_clear_func (stack, close_fd_elem);
  g_autoptr (GQueue) queue = g_queue_new ();
  push_components (queue, path);
  int links = 0;
  char *c;
  while ((c = g_queue_pop_head (queue)) != NULL)
    {
      g_autofree char *name = c;
      if (strcmp (name, "..") == 0)
        {
          if (stack->len > 0)
            g_array_remove_index (stack, stack->len - 1);
          continue;
        }
      int cur = stack->len > 0 ? g_array_index (stack, int, stack->len - 1) : rootfd;
      bool last = g_queue_is_empty (queue);
      int next = openat (cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0 && errno == ENOENT)
        {
          next = create_component (cur, name, !last || is_dir, what, error);
          if (next < 0)
            {
              g_queue_free_full (g_steal_pointer (&queue), g_free);
              return -1;
            }
        }
      else
        {
          struct stat st;
          if (next < 0 || fstat (next, &st) < 0)
            {
              int saved = errno;
              if (next >= 0)
                close (next);
              g_queue_free_full (g_steal_pointer (&queue), g_free);
              return berth_fail_errno (error, saved, "%s: open %s", what, name), -1;
            }
          if (S_ISLNK (st.st_mode))
            {
              char target[PATH_MAX];
              ssize_t n = readlinkat (next, "", target, sizeof target - 1);
              int saved = errno;
              close (next);
              if (n < 0 || ++links > MAX_SYMLINKS)
                {
                  g_queue_free_full (g_steal_pointer (&queue), g_free);
                  return berth_fail_errno (error, n < 0 ? saved : ELOOP, "%s: symlink %s", what, name), -1;
                }
              target[n] = '\0';
              if (target[0] == '/')
                g_array_set_size (stack, 0);
              push_components (queue, target);
              continue;
            }
          if (!last && !S_ISDIR (st.st_mode))
            {
              close (next);
              g_queue_free_full (g_steal_pointer (&queue), g_free);
              return berth_fail_errno (error, ENOTDIR, "%s: %s", what, name), -1;
            }
        }
      if (last)
        return next;
      g_array_append_val (stack, next);
    }
  /* The path named the root itself (or a symlink chain back to it). */
  int cur = stack->len > 0 ? g_array_index (stack, int, stack->len - 1) : rootfd;
  fd = openat (cur, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_errno (error, errno, "%s: open %s", what, path), -1;
  return fd;
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
