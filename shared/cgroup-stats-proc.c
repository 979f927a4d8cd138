/* Stats of a container that has no cgroup of its own (rootless on a host
 * without a delegated cgroup): the subset /proc shows about its processes.
 *
 * The container's processes are those of berth_proc_pidns_pids (its pid
 * namespace, e.g. also `berth exec`ed ones whose parent is outside).  One
 * /proc/PID/stat read per process gives its times and its resident set:
 *   cpu.usage.total/kernel/user: utime+stime of the live processes plus
 *     the times of the children they reaped (cutime, cstime), in ns;
 *   memory.usage.usage: the sum of their resident sets (shared pages are
 *     counted once per process, so it overestimates);
 *   pids.current: how many there are.
 * Nothing else is known without a cgroup (no limits, blkio, hugetlb). */
#include "cgroup-stats.h"

#include "error.h"
#include "json-out.h"
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct
{
  uint64_t user_ticks, system_ticks, rss_pages;
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
  return parse_stat (buf, ps);
}

bool
berth_stats_proc_append_json (pid_t init_pid, GString *out, GError **error)
{
  g_autoptr (GArray) pids = berth_proc_pidns_pids (init_pid, error);
  if (pids == NULL)
    return g_prefix_error (error, "stats: "), false;
  berth_autofd int proc_fd = open ("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc_fd < 0)
    return berth_fail_errno (error, errno, "stats: open /proc");
  uint64_t user = 0, system = 0, rss = 0, n = 0;
  for (guint i = 0; i < pids->len; i++)
    {
      ProcStat ps = { 0 };
      if (!read_stat (proc_fd, g_array_index (pids, pid_t, i), &ps))
        continue; /* exited since */
      user += ps.user_ticks;
      system += ps.system_ticks;
      rss += ps.rss_pages;
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
