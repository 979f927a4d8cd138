/* Small files the shim writes: pid files, exit files (atomic, no newline, as
 * podman parses them with strconv.Atoi), and the sync-pipe JSON lines. */
#include "shim.h"
#include "json-out.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

bool
shim_atomic_write (const char *dir, const char *name, const char *data, GError **error)
{
  berth_autofd int dfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return berth_fail_errno (error, errno, "open %s", dir);
  g_autofree char *tmp = g_strdup_printf (".%s.tmp.%d", name, (int) getpid ());
  berth_autofd int fd = openat (dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    return berth_fail_errno (error, errno, "create %s/%s", dir, tmp);
  if (!berth_write_all (fd, data, strlen (data)))
    {
      int e = errno;
      unlinkat (dfd, tmp, 0);
      return berth_fail_errno (error, e, "write %s/%s", dir, tmp);
    }
  if (renameat (dfd, tmp, dfd, name) < 0)
    {
      int e = errno;
      unlinkat (dfd, tmp, 0);
      return berth_fail_errno (error, e, "rename %s/%s", dir, name);
    }
  return true;
}

bool
shim_write_pidfile (const char *path, pid_t pid, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  char buf[32];
  g_snprintf (buf, sizeof buf, "%d", (int) pid);
  return shim_atomic_write (dir, base, buf, error);
}

char *
shim_sync_line (bool api_version, const char *key0, int64_t value, const char *message)
{
  const char *key = api_version ? "data" : key0;
  if (message == NULL)
    return g_strdup_printf ("{\"%s\": %" G_GINT64_FORMAT "}\n", key, value);
  /* The one JSON string escaper (shared/json-out.c): invalid UTF-8 becomes
   * \ufffd, so podman's json.Unmarshal always accepts the line. */
  g_autoptr (GString) esc = g_string_new (NULL);
  berth_json_string (esc, message);
  return g_strdup_printf ("{\"%s\": %" G_GINT64_FORMAT ", \"message\": %s}\n", key, value, esc->str);
}
