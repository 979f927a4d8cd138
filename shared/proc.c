#include "proc.h"

#include "error.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

bool
berth_proc_stat (pid_t pid, uint64_t f[BERTH_PROC_STAT_FIELDS])
{
  char path[64], buf[4096];
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  berth_autofd int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  /* comm (field 2) may hold spaces and ')': fields are counted from the last ')'. */
  const char *p = strrchr (buf, ')');
  if (p == NULL)
    return false;
  p++;
  memset (f, 0, BERTH_PROC_STAT_FIELDS * sizeof f[0]);
  for (int field = 3; field < BERTH_PROC_STAT_FIELDS; field++)
    {
      while (*p == ' ')
        p++;
      if (*p == '\0')
        return false;
      char *end;
      if (field == 3)
        f[3] = (unsigned char) *p, end = (char *) p + 1;   /* the state letter */
      else
        f[field] = strtoull (p, &end, 10);
      p = end;
    }
  return true;
}

uint64_t
berth_proc_start_time (pid_t pid)
{
  uint64_t f[BERTH_PROC_STAT_FIELDS];
  return berth_proc_stat (pid, f) ? f[BERTH_PROC_STAT_STARTTIME] : 0;
}

bool
berth_proc_is_alive (pid_t pid, uint64_t start_time)
{
  uint64_t f[BERTH_PROC_STAT_FIELDS];
  if (pid <= 0 || !berth_proc_stat (pid, f))
    return false;
  if (f[BERTH_PROC_STAT_STATE] == 'Z' || f[BERTH_PROC_STAT_STATE] == 'X')
    return false;
  return start_time == 0 || f[BERTH_PROC_STAT_STARTTIME] == start_time;
}

int
berth_pidfd_open_checked (pid_t pid, uint64_t start_time)
{
  if (pid <= 0)
    {
      errno = ESRCH;
      return -1;
    }
  int fd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (fd < 0)
    return -1;
  /* The pidfd pins the process: checking after opening closes the reuse race. */
  if (!berth_proc_is_alive (pid, start_time))
    {
      close (fd);
      errno = ESRCH;
      return -1;
    }
  fcntl (fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

int
berth_pidfd_send_signal (int pidfd, int signo)
{
  return (int) syscall (SYS_pidfd_send_signal, pidfd, signo, NULL, 0);
}

bool
berth_pidfd_wait_exit (int pidfd, int timeout_ms)
{
  struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
  for (;;)
    {
      int r = poll (&pfd, 1, timeout_ms);
      if (r < 0 && errno == EINTR)
        continue;
      return r > 0;
    }
}

static bool
status_mask (const char *status, const char *key, uint64_t *ret)
{
  const char *p = strstr (status, key);
  if (p == NULL)
    return false;
  *ret = g_ascii_strtoull (p + strlen (key), NULL, 16);
  return true;
}

static char *
read_status (pid_t pid)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
  return berth_read_file_at (AT_FDCWD, path, 16384, NULL);
}

/* NSpid: <pid in our ns> ... <pid in its own ns>; the last is 1 for an init. */
static bool
status_is_pid_namespace_init (const char *status)
{
  const char *ns = status ? strstr (status, "\nNSpid:") : NULL;
  if (ns == NULL)
    return false;
  const char *eol = strchr (ns + 1, '\n');
  g_autofree char *line = g_strndup (ns + 7, eol ? (gsize) (eol - ns - 7) : strlen (ns + 7));
  g_auto (GStrv) ids = g_strsplit_set (g_strstrip (line), " \t", -1);
  guint n = g_strv_length (ids);
  return n >= 2 && strcmp (ids[n - 1], "1") == 0;
}

bool
berth_proc_is_pid_namespace_init (pid_t pid)
{
  g_autofree char *status = read_status (pid);
  return status_is_pid_namespace_init (status);
}

bool
berth_proc_signal_dropped_by_init (pid_t pid, int signo)
{
  if (signo == SIGKILL || signo == SIGSTOP || signo < 1 || signo > 64)
    return false;
  g_autofree char *status = read_status (pid);
  if (!status_is_pid_namespace_init (status))
    return false;
  uint64_t caught = 0, ignored = 0;
  if (!status_mask (status, "\nSigCgt:", &caught) || !status_mask (status, "\nSigIgn:", &ignored))
    return false;
  uint64_t bit = UINT64_C (1) << (signo - 1);
  return !(caught & bit) && !(ignored & bit);
}

double
berth_proc_age (uint64_t start_time)
{
  g_autofree char *uptime = berth_read_file_at (AT_FDCWD, "/proc/uptime", 256, NULL);
  long ticks = sysconf (_SC_CLK_TCK);
  if (uptime == NULL || ticks <= 0)
    return -1;
  return g_ascii_strtod (uptime, NULL) - (double) start_time / (double) ticks;
}

/* ---- the processes of a pid namespace ---- */

static bool
pidns_inode (pid_t pid, ino_t *ret)
{
  char path[64];
  struct stat st;
  snprintf (path, sizeof path, "/proc/%d/ns/pid", (int) pid);
  if (stat (path, &st) < 0)
    return false;
  *ret = st.st_ino;
  return true;
}

static pid_t
parent_of (pid_t pid)
{
  uint64_t f[BERTH_PROC_STAT_FIELDS];
  return berth_proc_stat (pid, f) ? (pid_t) f[BERTH_PROC_STAT_PPID] : 0;
}

static int
compare_pid (gconstpointer a, gconstpointer b)
{
  pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;
  return (x > y) - (x < y);
}

GArray *
berth_proc_pidns_pids (pid_t init_pid, GError **error)
{
  ino_t own_ns = 0, init_ns = 0;
  bool by_ns = pidns_inode (init_pid, &init_ns);
  if (!by_ns && kill (init_pid, 0) < 0 && errno == ESRCH)
    {
      berth_fail_code (error, ESRCH, "container init %d is not running", (int) init_pid);
      return NULL;
    }
  if (by_ns && pidns_inode (getpid (), &own_ns) && own_ns == init_ns)
    {
      berth_fail_code (error, ENOTSUP, "the container has no cgroup and no pid namespace of its own: cannot tell its processes apart");
      return NULL;
    }
  DIR *dir = opendir ("/proc");
  if (dir == NULL)
    {
      berth_fail_errno (error, errno, "open /proc");
      return NULL;
    }
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (pid_t));
  g_array_append_val (pids, init_pid);
  /* Without access to the init's namespace link (an unprivileged caller
   * before the init has exec'd: it is not dumpable yet), fall back to the
   * init's descendants: orphans inside a pid namespace reparent to its init. */
  g_autoptr (GHashTable) members = g_hash_table_new (NULL, NULL);
  g_hash_table_add (members, GINT_TO_POINTER (init_pid));
  g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (pid_t));
  struct dirent *de;
  while ((de = readdir (dir)) != NULL)
    {
      int64_t v;
      if (!berth_parse_int64 (de->d_name, 1, INT32_MAX, &v) || (pid_t) v == init_pid)
        continue;
      pid_t pid = (pid_t) v;
      if (by_ns)
        {
          ino_t ns;
          if (pidns_inode (pid, &ns) && ns == init_ns)
            g_array_append_val (pids, pid);
        }
      else
        g_array_append_val (all, pid);
    }
  closedir (dir);
  /* Descendants: repeat until no new member is found (pids are not ordered
   * by ancestry after wrap-around). */
  for (bool grew = true; !by_ns && grew;)
    {
      grew = false;
      for (guint i = 0; i < all->len; i++)
        {
          pid_t pid = g_array_index (all, pid_t, i);
          if (g_hash_table_contains (members, GINT_TO_POINTER (pid)))
            continue;
          if (g_hash_table_contains (members, GINT_TO_POINTER (parent_of (pid))))
            {
              g_hash_table_add (members, GINT_TO_POINTER (pid));
              g_array_append_val (pids, pid);
              grew = true;
            }
        }
    }
  g_array_sort (pids, compare_pid);
  return pids;
}
