/* Private verified procfs handle: see procfs.h. */
#include "procfs.h"
#include "error.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PROC_ROOT_INO 1

static bool
fd_is_procfs (int fd)
{
  struct statfs sfs;
  return fstatfs (fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

static int
open_private_procfs (void)
{
  berth_autofd int fsfd = fsopen ("proc", FSOPEN_CLOEXEC);
  if (fsfd < 0)
    return -1;
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return -1;
  return fsmount (fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
}

int
berth_procfs_open (GError **error)
{
  berth_autofd int fd = open_private_procfs ();
  if (fd < 0)
    {
      berth_debug ("private procfs (fsopen/fsmount) unavailable (%s), using /proc", g_strerror (errno));
      fd = open ("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        return berth_fail_errno (error, errno, "open /proc"), -1;
      struct stat st;
      if (fstat (fd, &st) < 0)
        return berth_fail_errno (error, errno, "stat /proc"), -1;
      if (st.st_ino != PROC_ROOT_INO)
        return berth_fail_code (error, EXDEV, "/proc is not the root of a procfs mount"), -1;
    }
  if (!fd_is_procfs (fd))
    return berth_fail_code (error, EXDEV, "/proc is not a procfs (fstatfs magic mismatch)"), -1;
  return berth_steal_fd (&fd);
}

/* Resolve a leading "self" / "thread-self" component to "PID" / "PID/task/TID". */
static char *
resolve_self (int procfd, const char *relpath, GError **error)
{
  const char *rest = NULL;
  const char *link = NULL;
  if (g_str_has_prefix (relpath, "self/") || strcmp (relpath, "self") == 0)
    link = "self", rest = relpath + 4;
  else if (g_str_has_prefix (relpath, "thread-self/") || strcmp (relpath, "thread-self") == 0)
    link = "thread-self", rest = relpath + 11;
  else
    return g_strdup (relpath);

  char target[64];
  ssize_t n = readlinkat (procfd, link, target, sizeof target - 1);
  if (n < 0)
    return berth_fail_errno (error, errno, "readlink /proc/%s", link), NULL;
  target[n] = '\0';
  /* "123" or "123/task/456", nothing else. */
  g_auto (GStrv) parts = g_strsplit (target, "/", -1);
  guint np = g_strv_length (parts);
  bool ok = (np == 1 || (np == 3 && strcmp (parts[1], "task") == 0));
  for (guint i = 0; ok && i < np; i += 2)
    {
      ok = parts[i][0] != '\0';
      for (const char *c = parts[i]; ok && *c; c++)
        ok = g_ascii_isdigit (*c);
    }
  if (!ok)
    return berth_fail_code (error, EXDEV, "/proc/%s points to unexpected \"%s\"", link, target), NULL;
  return g_strconcat (target, rest, NULL);
}

int
berth_procfs_open_file (int procfd, const char *relpath, int flags, GError **error)
{
  g_autofree char *path = resolve_self (procfd, relpath, error);
  if (path == NULL)
    return -1;
  struct open_how how = {
    .flags = (uint64_t) (flags | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW),
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
  };
  berth_autofd int fd = (int) syscall (SYS_openat2, procfd, path, &how, sizeof how);
  if (fd < 0)
    return berth_fail_errno (error, errno, "open /proc/%s", relpath), -1;
  if (!fd_is_procfs (fd))
    return berth_fail_code (error, EXDEV, "open /proc/%s: not on procfs", relpath), -1;
  return berth_steal_fd (&fd);
}

bool
berth_procfs_write (int procfd, const char *relpath, const char *value, GError **error)
{
  berth_autofd int fd = berth_procfs_open_file (procfd, relpath, O_WRONLY | O_TRUNC, error);
  if (fd < 0)
    return false;
  if (!berth_write_all (fd, value, strlen (value)))
    return berth_fail_errno (error, errno, "write %s to /proc/%s", value, relpath);
  return true;
}
