/* Stats of a container that has no cgroup of its own (rootless on a host
 * without a delegated cgroup): the subset /proc shows about its processes.
 *
 * The container's processes are the init, its descendants (orphans inside
 * a pid namespace are reparented to its init) and, when the init's pid
 * namespace link is readable, every process in that namespace (e.g. `berth
 * exec`ed ones, whose parent is outside).  One /proc/PID/stat read per
 * process gives its parent, its times and its resident set:
 *   cpu.usage.total/kernel/user: utime+stime of the live processes plus
 *     the times of the children they reaped (cutime, cstime), in ns;
 *   memory.usage.usage: the sum of their resident sets (shared pages are
 *     counted once per process, so it overestimates);
 *   pids.current: how many there are.
 * Nothing else is known without a cgroup (no limits, blkio, hugetlb). */
#include "cgroup-stats.h"

#include "error.h"
#include "json-out.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct
{
  pid_t pid, ppid;
  uint64_t user_ticks, system_ticks, rss_pages;
  bool member;
} ProcStat;

/* Fields of /proc/PID/stat after "pid (comm)": state is field 3. */
static bool
parse_stat (const char *text, ProcStat *ps)
{
  const char *p = strrchr (text, ')');
  if (p == NULL)
    return false;
  p++;
  uint64_t f[25] = { 0 };
  for (int field = 3; field <= 24; field++)
    {
      while (*p == ' ')
        p++;
      if (*p == '\0')
        return false;
      char *end;
      if (field == 3)
        end = (char *) p + 1;          /* the state letter */
      else
        f[field] = strtoull (p, &end, 10);
      p = end;
    }
  ps->ppid = (pid_t) f[4];
  ps->user_ticks = f[14] + f[16];    /* utime + cutime */
  ps->system_ticks = f[15] + f[17];  /* stime + cstime */
  ps->rss_pages = f[24];
  return true;
}

static bool
read_stat (int proc_fd, pid_t pid, ProcStat *ps)
{
  char path[32], buf[1024];
  g_snprintf (path, sizeof path, "%d/stat", (int) pid);
  berth_autofd int fd = openat (proc_fd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  ps->pid = pid;
  return parse_stat (buf, ps);
}

static bool
pidns_link (int proc_fd, pid_t pid, char *buf, size_t size)
{
  char path[32];
  g_snprintf (path, sizeof path, "%d/ns/pid", (int) pid);
  ssize_t n = readlinkat (proc_fd, path, buf, size - 1);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  return true;
}

bool
berth_stats_proc_append_json (pid_t init_pid, GString *out, GError **error)
{
  berth_autofd int proc_fd = open ("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc_fd < 0)
    return berth_fail_errno (error, errno, "stats: open /proc");
  ProcStat init = { 0 };
  if (!read_stat (proc_fd, init_pid, &init))
    return berth_fail_code (error, ESRCH, "stats: container init %d is gone", (int) init_pid);
  /* The init's pid namespace, when it is readable and not ours. */
  char init_ns[64], own_ns[64], ns[64];
  bool by_ns = pidns_link (proc_fd, init_pid, init_ns, sizeof init_ns)
               && pidns_link (proc_fd, getpid (), own_ns, sizeof own_ns) && strcmp (init_ns, own_ns) != 0;

  int dfd = dup (proc_fd);
  DIR *dir = dfd >= 0 ? fdopendir (dfd) : NULL;
  if (dir == NULL)
    {
      if (dfd >= 0)
        close (dfd);
      return berth_fail_errno (error, errno, "stats: read /proc");
    }
  g_autoptr (GArray) procs = g_array_new (FALSE, FALSE, sizeof (ProcStat));
  init.member = true;
  g_array_append_val (procs, init);
  struct dirent *de;
  while ((de = readdir (dir)) != NULL)
    {
      int64_t v;
      if (de->d_name[0] < '1' || de->d_name[0] > '9' || !berth_parse_int64 (de->d_name, 1, INT32_MAX, &v)
          || (pid_t) v == init_pid)
        continue;
      ProcStat ps = { 0 };
      if (read_stat (proc_fd, (pid_t) v, &ps))
        g_array_append_val (procs, ps);
    }
  closedir (dir);

  /* Members: the init's descendants (repeat until nothing new: pids are not
   * ordered by ancestry after wrap-around), then the pid namespace. */
  g_autoptr (GHashTable) members = g_hash_table_new (NULL, NULL);
  g_hash_table_add (members, GINT_TO_POINTER (init_pid));
  for (bool grew = true; grew;)
    {
      grew = false;
      for (guint i = 1; i < procs->len; i++)
        {
          ProcStat *ps = &g_array_index (procs, ProcStat, i);
          if (!ps->member && g_hash_table_contains (members, GINT_TO_POINTER (ps->ppid)))
            {
              ps->member = grew = true;
              g_hash_table_add (members, GINT_TO_POINTER (ps->pid));
            }
        }
    }
  uint64_t user = 0, system = 0, rss = 0, n = 0;
  for (guint i = 0; i < procs->len; i++)
    {
      ProcStat *ps = &g_array_index (procs, ProcStat, i);
      if (!ps->member && !(by_ns && pidns_link (proc_fd, ps->pid, ns, sizeof ns) && strcmp (ns, init_ns) == 0))
        continue;
      user += ps->user_ticks;
      system += ps->system_ticks;
      rss += ps->rss_pages;
      n++;
    }
  long hz = sysconf (_SC_CLK_TCK), page = sysconf (_SC_PAGESIZE);
  uint64_t ns_per_tick = 1000000000ull / (uint64_t) (hz > 0 ? hz : 100);
  g_string_append (out, "\"cpu\":{\"usage\":{\"total\":");
  berth_json_u64 (out, (user + system) * ns_per_tick);
  g_string_append (out, ",\"kernel\":");
  berth_json_u64 (out, system * ns_per_tick);
  g_string_append (out, ",\"user\":");
  berth_json_u64 (out, user * ns_per_tick);
  g_string_append (out, "}},\"memory\":{\"usage\":{\"usage\":");
  berth_json_u64 (out, rss * (uint64_t) (page > 0 ? page : 4096));
  g_string_append (out, "}},\"pids\":{\"current\":");
  berth_json_u64 (out, n);
  g_string_append_c (out, '}');
  return true;
}
