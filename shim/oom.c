/* OOM detection from the container's pid alone: its memory cgroup from
 * /proc/PID/cgroup; v1: memory.oom_control (an eventfd registered through
 * cgroup.event_control, and the oom_kill counter), v2: memory.events'
 * oom_kill counter.  The counter is compared with its value when the watch
 * started, once more when the container exits. */
#include "shim.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

void
shim_oom_init (ShimOom *oom)
{
  memset (oom, 0, sizeof *oom);
  oom->counter_fd = -1;
  oom->event_fd = -1;
}

bool
shim_oom_parse_counter (const char *text, uint64_t *ret)
{
  for (const char *p = text; p && *p;)
    {
      const char *eol = strchr (p, '\n');
      size_t l = eol ? (size_t) (eol - p) : strlen (p);
      if (l > 9 && strncmp (p, "oom_kill ", 9) == 0)
        {
          char num[32];
          size_t nl = MIN (l - 9, sizeof num - 1);
          memcpy (num, p + 9, nl);
          num[nl] = '\0';
          return berth_parse_uint64 (num, UINT64_MAX, ret);
        }
      p = eol ? eol + 1 : NULL;
    }
  return false;
}

static bool
read_counter (int fd, uint64_t *ret)
{
  char buf[1024];
  ssize_t n = pread (fd, buf, sizeof buf - 1, 0);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  return shim_oom_parse_counter (buf, ret);
}

bool
shim_oom_watch (ShimOom *oom, pid_t pid, GError **error)
{
  char path[64];
  g_snprintf (path, sizeof path, "/proc/%d/cgroup", (int) pid);
  g_autofree char *text = berth_read_file_at (AT_FDCWD, path, 64 * 1024, NULL);
  if (text == NULL)
    return berth_fail_errno (error, errno, "read %s", path);
  g_autofree char *v1 = NULL, *v2 = NULL;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      char *c1 = strchr (*l, ':');
      char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      g_autofree char *ctrls = g_strndup (c1 + 1, (gsize) (c2 - c1 - 1));
      g_auto (GStrv) cs = g_strsplit (ctrls, ",", -1);
      if (g_strv_contains ((const char *const *) cs, "memory"))
        v1 = g_strdup (c2 + 1);
      else if (*ctrls == '\0' && strncmp (*l, "0:", 2) == 0)
        v2 = g_strdup (c2 + 1);
    }
  if (v1)
    {
      g_autofree char *dir = g_strconcat ("/sys/fs/cgroup/memory", v1, NULL);
      g_autofree char *ctl = g_strconcat (dir, "/memory.oom_control", NULL);
      oom->counter_fd = open (ctl, O_RDONLY | O_CLOEXEC);
      if (oom->counter_fd < 0)
        return berth_fail_errno (error, errno, "open %s", ctl);
      read_counter (oom->counter_fd, &oom->baseline);
      int efd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
      if (efd >= 0)
        {
          g_autofree char *ec = g_strconcat (dir, "/cgroup.event_control", NULL);
          g_autofree char *msg = g_strdup_printf ("%d %d", efd, oom->counter_fd);
          int fd = open (ec, O_WRONLY | O_CLOEXEC);
          if (fd >= 0 && berth_write_all (fd, msg, strlen (msg)))
            oom->event_fd = efd;
          else
            close (efd);
          if (fd >= 0)
            close (fd);
        }
      return true;
    }
  if (v2)
    {
      const char *bases[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
      for (size_t i = 0; i < G_N_ELEMENTS (bases); i++)
        {
          g_autofree char *ev = g_strconcat (bases[i], v2, "/memory.events", NULL);
          oom->counter_fd = open (ev, O_RDONLY | O_CLOEXEC);
          if (oom->counter_fd >= 0)
            {
              read_counter (oom->counter_fd, &oom->baseline);
              return true;
            }
        }
    }
  return berth_fail_code (error, ENOENT, "no memory cgroup for pid %d", (int) pid);
}

bool
shim_oom_check (ShimOom *oom)
{
  if (oom->seen)
    return true;
  uint64_t now;
  if (oom->counter_fd >= 0 && read_counter (oom->counter_fd, &now) && now > oom->baseline)
    oom->seen = true;
  return oom->seen;
}

void
shim_oom_clear (ShimOom *oom)
{
  berth_close_fdp (&oom->counter_fd);
  berth_close_fdp (&oom->event_fd);
}
